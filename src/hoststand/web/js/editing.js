// Editing a guest's details (a typo, a bigger party, a later time). Only what the host changed
// is sent, with the version the form was filled from (If-Match): when another host changed the
// guest meanwhile, the form takes their values into the fields the host left alone and saves
// again; a field both changed is marked and waits for the host to save again knowing it. The
// stand behind stays live; no redraw touches the form. A reservation's stay that came from the
// turn times follows a new party size, as it would have had the party been booked that size.
// Closing the form (Close, Escape) with changes not saved asks first: an edit is made on one
// version of one guest, so a draft kept for later would be replayed on a guest that may have
// moved on (seated, changed by another host); the booking form, which has no such base, keeps
// its draft instead. A held table that cannot take the party is asked about in the form.
// A guest seated, gone or cancelled meanwhile is said in the form, which then saves nothing on
// top of that by itself: a seated party's form takes the seated shape (its time, stay, held
// table and quote are history), and the host's edits to those fields are said not to be kept.

import { InlineConfirm } from "./confirm.js";
import { FormError } from "./formerror.js";
import { GuestForm } from "./guestform.js";
import { askAboutHold } from "./holds.js";
import { guestNow } from "./refusals.js";
import { stayFor } from "./turntimes.js";

const MOVED_ON = new Set(["seated", "completed", "cancelled", "no_show"]); // said in an open form
const SAVE_ATTEMPTS = 3; // a guest changing under every save is shown to the host, not chased

export class GuestEditor {
  #guestId = null;
  #base = null; // the guest as the form was filled from: the host's edits are what differs from it
  #theirs = new Set(); // the fields another host changed since the form was opened
  #stayFollows = false; // the stay is the turn time of the party size, and moves with it
  #stayTouched = false; // the host typed a stay in this form: it is theirs, left alone
  #unfitHold = null; // the refusal of the last save, when it was the held table that did not fit

  /** dialog: the <dialog> of the edit form. */
  constructor({ dialog, state, actions, signal }) {
    Object.assign(this, { dialog, state, actions });
    this.form = dialog.querySelector("form");
    this.fields = new GuestForm(this.form, "edit");
    this.title = dialog.querySelector("h2");
    this.error = new FormError(this.form.querySelector(".form-error"), this.form, signal);
    this.save = this.form.querySelector('button[type="submit"]');
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#submit();
    }, { signal });
    this.confirm = new InlineConfirm(this.form.querySelector(".form-actions"), signal);
    this.form.querySelector("[data-close]").addEventListener("click", () => this.#leave(), { signal });
    // Escape is caught before it becomes the dialog's cancel: Chromium lets a page refuse a
    // cancel only once per user gesture, and a second Escape would close it unasked.
    dialog.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || event.defaultPrevented) return;
      event.preventDefault();
      this.#leave();
    }, { signal });
    // Other close requests (a tablet's back gesture) ask too, where the browser lets them.
    dialog.addEventListener("cancel", (event) => {
      if (!event.cancelable) return;
      event.preventDefault();
      this.#leave();
    }, { signal });
    dialog.addEventListener("close", () => this.#closed(), { signal });
    signal.addEventListener("abort", () => this.dialog.close());
    this.fields.control("party_size").addEventListener("input", () => this.#followStay(), { signal });
    this.fields.control("duration_minutes").addEventListener("input", () => {
      this.#stayTouched = true;
      this.#stayFollows = false;
    }, { signal });
  }

  /** Open the form for a guest, filled with what the stand knows of them. */
  open(guestId) {
    const guest = this.state.guests.get(guestId);
    if (!guest) return;
    this.#guestId = guestId;
    this.#base = guest;
    this.#theirs.clear();
    this.fields.setKind(guest.kind, { seated: guest.status === "seated" });
    // Notes first: filling says when the held table no longer suits the party.
    this.fields.clearNotes();
    this.#offerTables();
    this.fields.fill(this.fields.valuesOf(guest, this.state.timeZone));
    this.fields.sayZone(this.state.timeZone);
    this.#stayTouched = false;
    // A stay other than the turn time was chosen by someone (at booking, or an edit): it stays.
    this.#stayFollows = guest.duration_minutes === stayFor(this.state.restaurant, guest.party_size);
    this.title.textContent = `Edit ${guest.name}`;
    this.error.clear();
    this.save.removeAttribute("aria-disabled");
    this.dialog.showModal();
  }

  /** The stand's state changed (an event, a refresh): take in another host's changes. */
  update() {
    if (this.#guestId === null) return;
    const guest = this.state.guests.get(this.#guestId);
    if (!guest) {
      this.error.say({ text: `${this.#base.name} was removed by another host; there is nothing to save.` });
      this.save.setAttribute("aria-disabled", "true");
      return;
    }
    this.#offerTables();
    if (guest.version <= this.#base.version) return;
    const before = this.#theirs.size;
    // Seated, gone or cancelled meanwhile: no field says it, and the list behind may no longer show them.
    const moved = this.#movedOn(guest);
    const dropped = this.#reshape(guest);
    this.#catchUp(guest);
    const parts = moved ? [{ text: moved, fields: [] }, ...dropped] : [];
    if (this.#theirs.size > before) {
      // Goes when the host edits a field of theirs: its note below still says what they did.
      parts.push({ text: `Another host just changed ${this.#changes()}. Their changes are marked below.`, fields: [...this.#theirs] });
    }
    if (parts.length) this.error.say({ parts });
  }

  /** Close, or, with changes not saved, ask first whether to discard them. */
  async #leave() {
    if (this.confirm.asking) return;
    const guest = this.#guestId === null ? null : this.state.guests.get(this.#guestId);
    // A guest removed meanwhile leaves nothing to save, hence nothing to lose.
    if (guest && Object.keys(this.#changed()).length > 0) {
      const discard = await this.confirm.ask(`Discard your changes to ${this.#base.name}?`, {
        yes: "Discard changes", no: "Keep editing",
      });
      if (!discard) return;
    }
    this.dialog.close();
  }

  /** What the host changed in the form: {name: text}. */
  #changed() {
    const before = this.fields.valuesOf(this.#base, this.state.timeZone);
    return Object.fromEntries(Object.entries(this.fields.values()).filter(([name, value]) => value !== before[name]));
  }

  /** The host changed the party size: a stay that follows it becomes the new size's turn time. */
  #followStay() {
    if (!this.fields.names().includes("duration_minutes") || this.#stayTouched) return;
    const size = Number(this.fields.values().party_size);
    const turn = stayFor(this.state.restaurant, size);
    if (turn === null) return; // not a party size (yet): the stay waits for one
    const was = this.fields.valuesOf(this.#base, this.state.timeZone).duration_minutes;
    if (!this.#stayFollows) {
      const differs = String(turn) !== this.fields.values().duration_minutes;
      this.fields.note("duration_minutes", differs ? `Kept as it was chosen; by the turn times a party of ${size} stays ${turn} minutes.` : "");
      return;
    }
    this.fields.fill({ duration_minutes: String(turn) });
    const moved = String(turn) !== was;
    this.fields.note("duration_minutes", moved ? `Follows the party size: the turn time of a party of ${size} (it was ${was} minutes).` : "");
  }

  #offerTables() {
    this.fields.offerTables(this.state.tablesInOrder(), (id) => this.state.knownTable(id));
  }

  /**
   * Rebase the form on `fresh`: a field another host changed takes their value unless the
   * host changed it too, in which case the host's stays and the note says what it would
   * replace. The names of those clashing fields.
   */
  #catchUp(fresh) {
    const timeZone = this.state.timeZone;
    const before = this.fields.valuesOf(this.#base, timeZone);
    const now = this.fields.valuesOf(fresh, timeZone);
    const mine = this.fields.values();
    const clashes = [];
    for (const name of this.fields.names()) {
      if (now[name] === before[name] || mine[name] === now[name]) continue;
      this.#theirs.add(name);
      if (mine[name] === before[name]) {
        this.fields.fill({ [name]: now[name] });
        this.fields.note(name, `Changed by another host (it was ${this.fields.describe(name, before[name])}).`);
      } else {
        clashes.push(name);
        this.fields.note(name, `Another host changed this to ${this.fields.describe(name, now[name])}; saving replaces it with yours.`);
      }
    }
    this.#base = fresh;
    this.title.textContent = `Edit ${fresh.name}`;
    return clashes;
  }

  /** "Ames's party size and notes": what other hosts changed. */
  #changes() {
    return `${this.#base.name}'s ${this.#list(this.#theirs)}`;
  }

  /** "party size, phone and notes": fields, as words in a sentence. */
  #list(names) {
    const words = [...names].map((name) => this.fields.words(name));
    return words.length > 1 ? `${words.slice(0, -1).join(", ")} and ${words.at(-1)}` : words[0];
  }

  /** "Ames was just seated by another host.": a guest who moved on since the form was filled, else null. */
  #movedOn(fresh) {
    const moved = MOVED_ON.has(fresh.status) && fresh.status !== this.#base.status;
    return moved ? guestNow(fresh.status, this.#base.name) : null;
  }

  /**
   * A party seated since the form was filled takes the seated shape: its history leaves the
   * form, and with it what the host typed there. The error line's part saying so, if any.
   */
  #reshape(fresh) {
    if (fresh.status !== "seated" || this.fields.seated) return [];
    const mine = Object.keys(this.#changed()); // against the form's base, before the shape changes
    this.fields.setKind(fresh.kind, { seated: true });
    this.fields.sayZone(this.state.timeZone);
    const dropped = mine.filter((name) => !this.fields.names().includes(name));
    if (dropped.length === 0) return [];
    const text = `Your change to the ${this.#list(dropped)} is not kept: a seated party's time, stay, held table and quote are history.`;
    return [{ text, fields: [] }];
  }

  /** Save what the host changed; extra: {override_hold} once the host chose to keep the table. */
  async #submit(extra = {}) {
    if (this.save.getAttribute("aria-disabled") === "true") return; // one save at a time
    const guestId = this.#guestId;
    this.error.clear();
    this.#unfitHold = null;
    const idle = this.save.textContent;
    this.save.textContent = "Saving…";
    this.save.setAttribute("aria-disabled", "true");
    try {
      // Another host's change that none of the host's own collides with needs no second Save:
      // the form took it in, and the host's changes go again on the version it came with.
      let again = true;
      for (let attempt = 1; again && attempt <= SAVE_ATTEMPTS; attempt += 1) again = await this.#attempt(guestId, extra);
      if (again) {
        this.error.say({ text: `Not saved: another host keeps changing ${this.#base.name}. Save again to keep your changes.` });
      }
    } finally {
      this.save.textContent = idle;
      if (this.state.guests.has(guestId)) this.save.removeAttribute("aria-disabled");
    }
    if (this.#unfitHold && this.#guestId === guestId) await this.#askAboutHold(this.#unfitHold);
  }

  async #askAboutHold(refusal) {
    const answer = await askAboutHold(this.confirm, this.fields, refusal.text);
    if (answer === "anyway") await this.#submit({ override_hold: true });
    else if (answer === "none") await this.#submit();
  }

  /** Send what the host changed on the version the form has; true to send it again (rebased). */
  async #attempt(guestId, extra) {
    const base = this.#base;
    const changed = this.#changed();
    if (Object.keys(changed).length === 0) {
      this.dialog.close();
      return false;
    }
    let again = false;
    const fields = { ...this.fields.body(changed, this.state.timeZone), ...extra };
    const say = (refusal, error) => {
      again = this.#refused(refusal, error);
    };
    if (await this.actions.editGuest(guestId, fields, base.version, say) && this.#guestId === guestId) {
      this.dialog.close();
    }
    return again && this.#guestId === guestId;
  }

  /** Say why the save failed; true when it was only a version the form has now caught up with. */
  #refused(refusal, error) {
    if (error.code === "hold_does_not_fit") {
      this.#unfitHold = refusal; // asked once the save is over
      return false;
    }
    if (error.code !== "version_conflict" || error.details?.id !== this.#guestId) {
      this.error.say(refusal);
      return false;
    }
    this.state.put("guests", error.details);
    const newer = error.details.version > this.#base.version;
    const moved = newer ? this.#movedOn(error.details) : null;
    const dropped = moved ? this.#reshape(error.details) : [];
    const clashes = newer ? this.#catchUp(error.details) : [];
    if (moved) {
      // Not sent again by itself: the host looks at the guest as they are now, then saves again.
      const said = [{ text: `Not saved: ${moved}`, fields: [] }, ...dropped];
      this.error.say({ parts: [...said, { text: "Check the form, then save again.", fields: [] }] });
      return false;
    }
    if (clashes.length === 0) {
      this.error.say({ text: `Another host just changed ${this.#base.name}; saving your changes on top…` });
      return true;
    }
    // Goes when the host edits a marked field: the form is on their version now, so Save saves.
    this.error.say({
      text: `Not saved: another host changed ${this.#changes()} meanwhile. Check the marked fields, then save again.`,
      fields: clashes,
    });
    return false;
  }

  #closed() {
    // The close event is dispatched later (Chromium: at the next frame). A form opened again
    // meanwhile (Escape then Enter at once, on a busy tablet) is not this closing's to reset:
    // it would lose its guest and save nothing.
    if (this.dialog.open) return;
    this.confirm.dismiss();
    const guestId = this.#guestId;
    this.#guestId = null;
    this.#base = null;
    if (guestId) document.querySelector(`[data-key="edit:${CSS.escape(guestId)}"]`)?.focus();
  }
}
