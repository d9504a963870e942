// What another host changed in a guest or a table, in a host's words: said when a move made on
// the page's copy of it is refused (412) because it moved on meanwhile.

import { clockTime } from "./time.js";

const STATUS_NOW = {
  waiting: "back on the waitlist",
  booked: "booked again",
  notified: "notified",
  arrived: "arrived",
  seated: "seated",
  completed: "gone",
  cancelled: "cancelled",
  no_show: "a no-show",
};

// The other fields a host sees on a guest's row, and how a change of each is said.
const FIELD_NOW = [
  ["name", (guest) => `renamed “${guest.name}”`],
  ["party_size", (guest) => `party of ${guest.party_size}`],
  ["reserved_for", (guest, timeZone) => `now at ${clockTime(guest.reserved_for, timeZone)}`],
  ["phone", () => "new phone"],
  ["quoted_wait_minutes", ({ quoted_wait_minutes: quote }) => (quote === null ? "no quote" : `quoted ${quote} min`)],
  ["held_table_id", () => "another table held"],
  ["tags", () => "new tags"],
  ["notes", () => "new notes"],
];

/** ["notified", "party of 6", "new notes"]: what differs from `before` in `after`. */
export function guestChanges(before, after, timeZone) {
  const said = [];
  if (before.status !== after.status) said.push(STATUS_NOW[after.status] ?? after.status.replace("_", " "));
  for (const [name, say] of FIELD_NOW) {
    if (JSON.stringify(before[name] ?? null) !== JSON.stringify(after[name] ?? null)) said.push(say(after, timeZone));
  }
  return said;
}

const TABLE_STATUS_NOW = {
  available: "available",
  reserved: "reserved",
  occupied: "occupied",
  dirty: "needs cleaning",
  out_of_service: "out of service",
};

// What a host sees on a table's tile, and how a change of each is said.
const TABLE_FIELD_NOW = [
  ["label", (table) => `renamed “${table.label}”`],
  ["capacity", (table) => `now ${table.capacity} seats`],
  ["section", (table) => (table.section ? `moved to ${table.section}` : "moved")],
];

/** ["now 6 seats"]: what differs from `before` in `after`, a table. */
export function tableChanges(before, after) {
  const said = [];
  if (before.status !== after.status) said.push(TABLE_STATUS_NOW[after.status] ?? after.status.replace("_", " "));
  for (const [name, say] of TABLE_FIELD_NOW) {
    if ((before[name] ?? null) !== (after[name] ?? null)) said.push(say(after));
  }
  return said;
}
