// The waitlist (walk-ins waiting, notified or arrived, in the order they joined) and today's
// reservations still expected, by time. Each guest offers the moves their status allows, and
// an edit of their details.

import { clock } from "./clocks.js";
import { actionButton, guestBusy } from "./controls.js";
import { h } from "./dom.js";
import { clockTime } from "./time.js";

/** The moves a guest of each status is offered. */
export const MOVES = {
  waiting: ["seat", "notify", "arrive", "cancel", "no-show"],
  booked: ["seat", "notify", "arrive", "cancel", "no-show"],
  notified: ["seat", "arrive", "cancel", "no-show"],
  arrived: ["seat", "cancel"],
};

const BUTTONS = {
  seat: (name) => ({ text: "Seat", label: `Seat ${name}`, className: "primary small" }),
  notify: (name) => ({ text: "Notify", label: `Notify ${name}` }),
  arrive: (name) => ({ text: "Arrived", label: `Mark ${name} arrived` }),
  cancel: (name) => ({ text: "Cancel", label: `Cancel ${name}`, className: "small danger" }),
  "no-show": (name) => ({ text: "No-show", label: `Mark ${name} as no-show` }),
};

const STATUS_WORDS = { notified: "Notified", arrived: "Arrived" };

/** Draw both lists and their counts. */
export function renderQueue(elements, state, ui, now = new Date()) {
  fill(elements.waitlist, elements.waitlistCount, elements.waitlistEmpty, state.waitlist(), (guest) => guestRow(guest, state, ui, false));
  fill(elements.reservations, elements.reservationsCount, elements.reservationsEmpty,
    state.reservationsToday(now), (guest) => guestRow(guest, state, ui, true));
}

function fill(list, count, empty, guests, row) {
  list.replaceChildren(...guests.map(row));
  count.textContent = guests.length ? `(${guests.length})` : "";
  empty.hidden = guests.length > 0;
}

function guestRow(guest, state, ui, upcoming) {
  const selected = ui.seating === guest.id;
  const busy = guestBusy(ui, guest.id);
  return h("li", {
    class: `guest status-${guest.status}${selected ? " selected" : ""}`,
    "data-guest-id": guest.id,
    "data-late-scope": true,
    "aria-busy": busy ? "true" : null,
    draggable: ui.writable && !busy ? "true" : null,
  },
  h("div", { class: "guest-head" },
    h("span", { class: "guest-name" }, guest.name),
    h("span", { class: "party" }, `party of ${guest.party_size}`),
    STATUS_WORDS[guest.status] ? h("span", { class: `badge status-${guest.status}` }, STATUS_WORDS[guest.status]) : null,
    h("span", { class: "badge late", hidden: true }, "Late"),
    ui.writable ? editButton(guest, ui) : null),
  h("div", { class: "guest-meta" }, meta(guest, state, upcoming)),
  guest.tags.length ? h("ul", { class: "tags", "aria-label": "Tags" }, guest.tags.map((tag) => h("li", {}, tag))) : null,
  guest.notes ? h("p", { class: "notes" }, guest.notes) : null,
  ui.writable ? h("div", { class: "actions" }, moves(guest, ui, selected)) : null);
}

function meta(guest, state, upcoming) {
  const parts = [];
  if (guest.kind === "reservation") {
    parts.push(h("span", { class: "reserved-for" }, `Reservation ${clockTime(guest.reserved_for, state.timeZone)}`));
  }
  if (upcoming) parts.push(clock("reservation", { at: guest.reserved_for }));
  else parts.push(clock("wait", { since: guest.joined_at, quote: guest.quoted_wait_minutes }));
  if (guest.phone) parts.push(h("span", { class: "phone" }, guest.phone));
  return parts;
}

function editButton(guest, ui) {
  return actionButton(ui, {
    action: "edit", guestId: guest.id, text: "Edit", label: `Edit ${guest.name}`, className: "small quiet edit",
  });
}

function moves(guest, ui, selected) {
  return (MOVES[guest.status] ?? []).map((action) => {
    const button = actionButton(ui, { action, guestId: guest.id, ...BUTTONS[action](guest.name) });
    // Pressed, not relabelled: a wider word would push the row's last button to a second line.
    if (action === "seat") button.setAttribute("aria-pressed", String(selected));
    return button;
  });
}
