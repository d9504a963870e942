// What another host changed in a guest, in a host's words: said when a move made on the page's
// copy of the guest is refused (412) because the guest moved on meanwhile.

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
