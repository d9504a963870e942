// A guest's details as a form, shared by the booking and the editing dialogs: the fields a
// walk-in or a reservation has, what a guest puts in them, and what they send to the API.
// Each field is compared as the text its control shows; times are on the restaurant's clocks.

import { h } from "./dom.js";
import { fitOf, meantFor, meantForSentence, unfit } from "./fit.js";
import { clockGap, fromWallClock, wallClock, zoneName } from "./time.js";

const BOTH = ["walk_in", "reservation"];
const RESERVATION = ["reservation"];
// A party at its table: its time, stay, held table and quote are history, not for editing.
const BEFORE_SEATING = { seated: false };

const text = {
  shown: (value) => value ?? "",
  sent: (shown) => shown || null,
};
const number = {
  shown: (value) => (value === null || value === undefined ? "" : String(value)),
  sent: (shown) => (shown === "" ? null : Number(shown)),
  normal: (raw) => (raw.trim() === "" ? "" : String(Number(raw))),
};
const tags = {
  shown: (value) => (value ?? []).join(", "),
  sent: (shown) => (shown ? shown.split(", ") : []),
  normal: (raw) => [...new Set(raw.split(",").map((tag) => tag.trim()).filter(Boolean))].join(", "),
};
const moment = {
  shown: (value, timeZone) => (value ? wallClock(value, timeZone) : ""),
  sent: (shown, timeZone) => fromWallClock(shown, timeZone),
};

const FIELDS = [
  { name: "name", label: "Name", kinds: BOTH, ...text, sent: (shown) => shown,
    control: ["input", { required: true, maxlength: 200, autocomplete: "off" }] },
  { name: "party_size", label: "Party size", kinds: BOTH, ...number,
    control: ["input", { type: "number", inputmode: "numeric", min: 1, max: 500, required: true }] },
  { name: "reserved_for", label: "Date and time", kinds: RESERVATION, ...BEFORE_SEATING, ...moment,
    control: ["input", { type: "datetime-local", required: true }] },
  { name: "duration_minutes", label: "Stay (minutes)", kinds: RESERVATION, ...BEFORE_SEATING, ...number,
    control: ["input", { type: "number", inputmode: "numeric", min: 5, max: 1440, placeholder: "by party size" }] },
  { name: "phone", label: "Phone", kinds: BOTH, ...text,
    control: ["input", { type: "tel", autocomplete: "off", placeholder: "+1 415 555 0123" }] },
  { name: "held_table_id", label: "Hold table", words: "held table", kinds: RESERVATION, ...BEFORE_SEATING, ...text,
    control: ["select", {}] },
  { name: "quoted_wait_minutes", label: "Quote (minutes)", kinds: ["walk_in"], ...BEFORE_SEATING, ...number,
    control: ["input", { type: "number", inputmode: "numeric", min: 0, max: 1440 }] },
  { name: "tags", label: "Tags", kinds: BOTH, wide: true, ...tags,
    control: ["input", { autocomplete: "off", placeholder: "window, birthday" }] },
  { name: "notes", label: "Notes", kinds: BOTH, wide: true, ...text,
    control: ["textarea", { rows: 2, maxlength: 2000 }] },
];

/** "4 · 4 seats", "2 · 2 seats · too small", "6 · 6 seats · for 4 or more", "7 · out of service". */
function optionWords(table, fit) {
  if (fit === "out of service") return `${table.label} · out of service`;
  const seats = `${table.label} · ${table.capacity} seats`;
  if (fit === "too small") return `${seats} · too small`;
  return fit === "below minimum" ? `${seats} · ${meantFor(table)}` : seats;
}

export class GuestForm {
  #heldNote = false; // the held table's note is ours: the chosen table was removed, or does not suit the party
  #offered = null; // the tables the held table's list was drawn from, and what each can take
  #tables = []; // the tables last offered: a new party size offers them again
  /** Build the fields into the form's .fields box; `prefix` keeps their ids apart from others'. */
  constructor(form, prefix) {
    this.form = form;
    this.kind = "reservation";
    this.seated = false;
    this.knownTable = () => null; // see offerTables
    const box = form.querySelector(".fields");
    box.replaceChildren(...FIELDS.map((field) => {
      const [tag, attributes] = field.control;
      const id = `${prefix}-${field.name}`;
      return h("div", { class: field.wide ? "field wide" : "field", "data-field": field.name },
        h("label", { for: id }, field.label),
        h(tag, { id, name: field.name, "aria-describedby": `${id}-note`, ...attributes }),
        h("p", { id: `${id}-note`, class: "field-note", hidden: true }));
    }));
    const held = this.control("held_table_id");
    held.addEventListener("change", () => this.#choose(held.value));
    this.control("party_size").addEventListener("input", () => this.offerTables(this.#tables, this.knownTable));
  }

  /** Show the fields a guest of `kind` has (fewer once seated); the others are hidden and left out. */
  setKind(kind, { seated = false } = {}) {
    this.kind = kind;
    this.seated = seated;
    for (const field of FIELDS) {
      const shown = this.#has(field);
      this.#box(field.name).hidden = !shown;
      this.control(field.name).disabled = !shown; // not validated, not read
    }
  }

  /**
   * The tables a reservation may hold, keeping the one chosen. A table out of service, or too
   * small for the party size typed, is listed as such and cannot be chosen; one meant for more
   * guests than the party says so ("for 4 or more") and can. A chosen table that was removed,
   * or that does not suit the party, stays chosen with a note: the host picks another, or keeps
   * it knowingly. knownTable(id): the table, or the one last seen under that id (its label).
   */
  offerTables(tables, knownTable = () => null) {
    const select = this.control("held_table_id");
    const chosen = select.value;
    this.knownTable = knownTable;
    this.#tables = tables;
    const size = Number(this.control("party_size").value || Number.NaN);
    const listed = tables.map((table) => ({ table, fit: fitOf(table, size) }));
    // Redrawn only when the list changed: a redraw closes the list under the host's finger.
    const offered = JSON.stringify(listed.map(({ table, fit }) => [table.id, table.label, table.capacity, table.min_capacity, fit]));
    if (offered === this.#offered) return;
    this.#offered = offered;
    select.replaceChildren(h("option", { value: "" }, "No table"),
      ...listed.map(({ table, fit }) =>
        h("option", { value: table.id, disabled: unfit(fit), "data-fit": fit }, optionWords(table, fit))));
    this.#choose(chosen);
  }

  /** Choose a held table (or "" for none), listing it as removed when it is not offered. */
  #choose(id) {
    const select = this.control("held_table_id");
    for (const option of select.querySelectorAll("option[data-removed]")) {
      if (option.value !== id) option.remove(); // listed only while chosen
    }
    const listed = id ? select.querySelector(`option[value="${CSS.escape(id)}"]`) : null;
    const removed = Boolean(id) && (!listed || listed.hasAttribute("data-removed"));
    if (removed && !listed) select.append(h("option", { value: id, "data-removed": true }, this.#removedWords(id)));
    select.value = id;
    const words = removed ? this.#removedNote(id) : this.#fitNote(id, listed?.dataset.fit);
    // Only a note of ours is taken away: another host's change may be said there too.
    if (words || this.#heldNote) this.note("held_table_id", words);
    this.#heldNote = Boolean(words);
  }

  #removedNote(id) {
    const label = this.knownTable(id)?.label;
    return `${label ? `Table ${label}` : "This table"} was removed. Choose another table, or No table.`;
  }

  #fitNote(id, fit) {
    const table = this.knownTable(id);
    if (!fit || !table) return "";
    const size = this.control("party_size").value;
    if (fit === "below minimum") return `${meantForSentence(table)}; a party of ${size} is below its minimum.`;
    const why = fit === "out of service" ? "is out of service" : `has ${table.capacity} seats, too few for a party of ${size}`;
    return `Table ${table.label} ${why}. Choose another table, or No table.`;
  }

  #removedWords(id) {
    const label = this.knownTable(id)?.label;
    return label ? `${label} · removed` : "A removed table";
  }

  /** Times are typed on the restaurant's clocks: say so when this device's are in another zone. */
  sayZone(timeZone) {
    const here = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const hint = this.form.querySelector(".zone");
    const gap = clockGap(timeZone);
    hint.textContent = `Times are the restaurant's: ${zoneName(timeZone)}${gap ? `, ${gap}` : ""}.`;
    hint.hidden = here === timeZone || !this.names().includes("reserved_for");
  }

  /** The names of the fields of the current kind. */
  names() {
    return this.#fields().map((field) => field.name);
  }

  /** What each field of the current kind holds now: {name: text}. */
  values() {
    return Object.fromEntries(this.#fields().map((field) => {
      const raw = this.control(field.name).value;
      return [field.name, field.normal ? field.normal(raw) : raw.trim()];
    }));
  }

  /** What each field of the current kind shows for a guest: {name: text}. */
  valuesOf(guest, timeZone) {
    return Object.fromEntries(this.#fields().map((field) => {
      const shown = field.shown(guest[field.name], timeZone);
      return [field.name, field.normal ? field.normal(shown) : shown];
    }));
  }

  /** Put texts in fields: {name: text}. */
  fill(values) {
    for (const [name, value] of Object.entries(values)) {
      if (name === "held_table_id") this.#choose(value);
      else this.control(name).value = value;
    }
    if ("party_size" in values) this.offerTables(this.#tables, this.knownTable); // what fits changed
  }

  /** The API's fields for some of the texts (an empty text is sent as null). */
  body(values, timeZone) {
    return Object.fromEntries(Object.entries(values).map(([name, shown]) =>
      [name, FIELDS.find((field) => field.name === name).sent(shown, timeZone)]));
  }

  /** How a field's text reads in a sentence: a table's label, "nothing" for an empty one. */
  describe(name, value) {
    if (!value) return "nothing";
    if (name === "held_table_id") {
      const label = this.knownTable(value)?.label;
      return label ? `table ${label}` : "a removed table";
    }
    if (name === "reserved_for") return value.replace("T", " ");
    return `“${value}”`;
  }

  /** The label of a field, as words in a sentence ("party size"). */
  words(name) {
    const field = FIELDS.find((one) => one.name === name);
    return field.words ?? field.label.replace(/ \(.*\)$/, "").toLowerCase();
  }

  /** Say something under a field ("" takes it away). */
  note(name, words) {
    const note = this.#box(name).querySelector(".field-note");
    note.textContent = words;
    note.hidden = !words;
  }

  /** Take every note away. */
  clearNotes() {
    for (const field of FIELDS) this.note(field.name, "");
    this.#heldNote = false;
  }

  #fields() {
    return FIELDS.filter((field) => this.#has(field));
  }

  #has(field) {
    return field.kinds.includes(this.kind) && !(this.seated && field.seated === false);
  }

  #box(name) {
    return this.form.querySelector(`[data-field="${name}"]`);
  }

  /** The input, select or textarea of a field. */
  control(name) {
    return this.#box(name).querySelector("input, select, textarea");
  }
}
