// Turning the server's refusals into sentences a host understands, and saying what to do next.

import { ApiError, NetworkError } from "./api.js";
import { guestChanges, tableChanges } from "./changes.js";
import { clockTime, dayAndTime } from "./time.js";

const TABLE_NOT_FREE = {
  occupied: (t) => `${t} was just seated by another host.`,
  dirty: (t) => `${t} needs cleaning before it can be seated.`,
  reserved: (t) => `${t} is being held for a reservation.`,
  out_of_service: (t) => `${t} is out of service.`,
};

const TABLE_NOW = {
  occupied: (t) => `${t} was just seated by another host.`,
  dirty: (t) => `${t} was just released by another host.`,
  available: (t) => `${t} was just marked clean by another host.`,
  reserved: (t) => `${t} was just reserved by another host.`,
  out_of_service: (t) => `${t} was just taken out of service.`,
};

const GUEST_NOW = {
  seated: (n) => `${n} was just seated by another host.`,
  completed: (n) => `${n} has already left.`,
  cancelled: (n) => `${n} was cancelled by another host.`,
  no_show: (n) => `${n} was marked as a no-show by another host.`,
  arrived: (n) => `${n} has already arrived.`,
  notified: (n) => `${n} was already notified.`,
  waiting: (n) => `${n} is already back on the waitlist.`,
  booked: (n) => `${n} is already booked again.`,
};

const CHANGED_MEANWHILE = "Another host just changed this. The screen now shows the latest; try again if needed.";

// The server's 503: its database is down, locked or out of connections; the write was not made.
const DATABASE_DOWN = "Could not reach the database: nothing was saved. Try again in a moment.";

const FIELD_HINTS = {
  phone: "Check the phone number: use the international form, like +1 415 555 0123.",
  party_size: "The party size must be a number from 1 to 500.",
  quoted_wait_minutes: "The quote must be a number of minutes (0 to 1440).",
  name: "Enter the guest's name.",
};

// The other fields, by the names the forms give them: the server's own words follow.
const FIELD_WORDS = {
  reserved_for: "Date and time",
  duration_minutes: "Stay",
  held_table_id: "Hold table",
  notes: "Notes",
  tags: "Tags",
};

// The fields of a guest's form that a refusal is about: editing one of them answers it.
const HOLD_FIELDS = ["reserved_for", "duration_minutes", "held_table_id"];

/**
 * What to tell the host about a failed request, given the guest and table involved (as the
 * page knew them), the move tried on the guest, if any, whether it was a seating, and for a
 * party moved to `table`, the table it was leaving (`from`), whether it undid a release
 * (`reseating`: the party back at `table`): {text,
 * refresh, signOut, override, again, general, fields, parts}. `refresh`: the page was behind,
 * show the true state; `override`: fields that would make the server accept it anyway; `again`:
 * the label of a button that tries the move again; `general`: about no guest or table (the
 * server or its database out of reach), over when any action succeeds; `fields`: the form's
 * fields the text is about; `parts`: the text as [{text, fields}], when its sentences are about
 * different fields.
 */
export function describeRefusal(error, { guest = null, table = null, move = null, seating = false, reseating = false, from = null, timeZone = "UTC" } = {}) {
  if (error instanceof NetworkError) {
    // Tried again, a move that did land after all is refused on its version, and says so.
    return { text: "Can't reach hoststand right now. Check the connection and try again.", again: "Try again", general: true };
  }
  if (!(error instanceof ApiError)) return { text: `Something went wrong: ${error.message}` };
  const named = tableName(table?.label ?? error.details?.label);
  switch (error.code) {
    case "unauthorized":
      return { text: "Your sign-in is no longer valid. Please sign in again.", signOut: true };
    case "forbidden":
      return { text: "This token can only look at the host stand; it cannot change anything." };
    case "table_not_available": {
      const say = TABLE_NOT_FREE[error.details?.status];
      return { text: say ? say(named) : `${named} is not free any more.`, refresh: true };
    }
    case "table_not_occupied":
      if (from) return { text: partyGone(guest, from), refresh: true };
      return { text: `${named} was already cleared by another host.`, refresh: true };
    case "table_occupied":
      return { text: `Guests are seated at ${lower(named)}; release it first.`, refresh: true };
    case "guest_seated": // the guest, not the table chosen for them, is already seated
      return { text: GUEST_NOW.seated(guest?.name ?? error.details?.name ?? "The guest"), refresh: true };
    case "invalid_transition":
      if (reseating) return { text: tooLateToUndo(guest, named), refresh: true };
      return { text: transitionRefusal(error.details, guest, table), refresh: true };
    case "party_too_large":
      return { ...tooLarge(error.details, guest, named), override: { override_capacity: true } };
    case "table_reserved_soon": {
      const reservation = error.details?.reservation;
      const when = reservation ? ` at ${clockTime(reservation.reserved_for, timeZone)}` : "";
      return {
        text: `${named} is held for ${reservation?.name ?? "a reservation"}${when}.`,
        override: { override: true },
      };
    }
    case "table_already_held":
      return { text: heldRefusal(error.details, named, timeZone), fields: HOLD_FIELDS };
    case "hold_does_not_fit":
      return { text: unfitHold(error.details, table), fields: ["party_size", "held_table_id"], refresh: true };
    case "version_conflict": {
      if (move && guest && error.details?.id === guest.id) return moveConflict(error.details, guest, move, timeZone);
      if (from && error.details?.id === from.id) return leaveConflict(error.details, from, guest);
      if (seating && table && error.details?.id === table.id) return seatConflict(error.details, table, guest);
      if (reseating && table && error.details?.id === table.id) return reseatConflict(error.details, table, guest);
      const say = table ? TABLE_NOW[error.details?.status] : undefined;
      return { text: say ? say(named) : CHANGED_MEANWHILE, refresh: true };
    }
    case "conflict": // two writes crossed, caught by the database rather than by a version
      return { text: CHANGED_MEANWHILE, refresh: true };
    case "not_found": { // details.kind says which is gone: a seating names a table and a guest
      const fields = error.details?.kind === "table" ? ["held_table_id"] : [];
      const gone = from && error.details?.id === from.id ? tableName(from.label) : named; // a move names two tables
      return { text: `${removedOne(error, guest, gone)} was removed by another host.`, refresh: true, fields };
    }
    case "validation_error":
      return validationRefusal(error.details);
    case "database_unavailable": // a moment's outage (Retry-After): the same request may go again
      return { text: DATABASE_DOWN, again: "Try again", general: true };
    case "rate_limited":
      return { text: "Too many attempts. Wait a minute, then try again." };
    default:
      return { text: error.message || "The server refused that.", refresh: error.status === 409 };
  }
}

/** "Ames was cancelled by another host.": a guest whose status another host changed to `status`. */
export function guestNow(status, name) {
  return GUEST_NOW[status]?.(name) ?? null;
}

/**
 * A move refused because another host changed the guest first: what they changed and, when
 * the move still makes sense, an offer to make it on the guest as they are now.
 */
function moveConflict(now, guest, move, timeZone) {
  const say = GUEST_NOW[now.status];
  if (say && (now.status === move.status || !move.possible(now.status))) {
    return { text: say(guest.name), refresh: true };
  }
  const changes = guestChanges(guest, now, timeZone);
  const what = changes.length ? ` (${changes.join(", ")})` : "";
  return { text: `${move.not}: another host just changed ${guest.name}${what}.`, refresh: true, again: move.anyway };
}

/**
 * A seating refused because another host changed the table first: what they changed and, when
 * the table can still take the party, an offer to seat them at it as it is now.
 */
function seatConflict(now, table, guest) {
  const named = tableName(now.label ?? table.label);
  const free = now.status === "available" || (now.status === "reserved" && guest?.held_table_id === now.id);
  const say = TABLE_NOW[now.status];
  if (!free && say) return { text: say(named), refresh: true };
  const changes = tableChanges(table, now);
  const what = changes.length ? ` (${changes.join(", ")})` : "";
  return { text: `Not seated: another host just changed ${lower(named)}${what}.`, refresh: true, again: "Seat anyway" };
}

/** An undone release refused: too late (the server's window) or another party sat there since. */
function tooLateToUndo(guest, named) {
  return `${guest?.name ?? "The party"} can no longer be brought back to ${lower(named)}: `
    + "the release is too old to undo, or another party sat there since.";
}

/**
 * An undone release refused because another host changed the table first: what they changed
 * and, while it is still free (dirty or cleaned), an offer to bring the party back to it as it is now.
 */
function reseatConflict(now, table, guest) {
  const named = tableName(now.label ?? table.label);
  const free = (now.status === "dirty" || now.status === "available") && !now.current_guest_id;
  const say = TABLE_NOW[now.status];
  if (!free && say) return { text: say(named), refresh: true };
  const changes = tableChanges(table, now);
  const what = changes.length ? ` (${changes.join(", ")})` : "";
  const name = guest?.name ?? "The party";
  return { text: `${name} not brought back: another host just changed ${lower(named)}${what}.`, refresh: true, again: "Bring back anyway" };
}

/** "Rivera is no longer at table 8: another host moved or released them." */
function partyGone(guest, from) {
  return `${guest?.name ?? "The party"} is no longer at table ${from.label}: another host moved or released them.`;
}

/**
 * A move refused because another host changed the table the party was leaving: gone from it,
 * or still there, with what changed and an offer to move them on the table as it is now.
 */
function leaveConflict(now, from, guest) {
  if (!guest || now.current_guest_id !== guest.id) return { text: partyGone(guest, from), refresh: true };
  const changes = tableChanges(from, now);
  const what = changes.length ? ` (${changes.join(", ")})` : "";
  return { text: `Not moved: another host just changed table ${now.label ?? from.label}${what}.`, refresh: true, again: "Move anyway" };
}

/** "Table 8" at the start of a sentence; a table the page does not know (any more): "The table". */
function tableName(label) {
  return label ? `Table ${label}` : "The table";
}

/** The same, inside a sentence: "table 8". */
function lower(named) {
  return named.charAt(0).toLowerCase() + named.slice(1);
}

/** A party that does not fit: it may have grown on another stand since this one drew it. */
function tooLarge(details, guest, named) {
  const size = details?.party_size;
  const fit = `${lower(named)} (${details?.capacity} seats)`;
  if (guest && size !== undefined && size !== guest.party_size) {
    return { text: `Another host just made ${guest.name} a party of ${size}: they do not fit ${fit}.`, refresh: true };
  }
  return { text: `A party of ${size} does not fit ${fit}.` };
}

function removedOne(error, guest, named) {
  const kind = error.details?.kind;
  if (kind === "table" || (kind !== "guest" && !guest)) return named;
  return guest?.name ?? "The guest";
}

function transitionRefusal(details, guest, table) {
  if (guest) {
    const say = GUEST_NOW[details?.from];
    if (say) return say(guest.name);
    return `${guest.name} cannot be moved from ${details?.from ?? "?"} to ${details?.to ?? "?"}.`;
  }
  return `${tableName(table?.label)} changed meanwhile (it is now ${details?.from?.replace("_", " ") ?? "different"}).`;
}

function heldRefusal(details, named, timeZone) {
  const [first, ...others] = details?.held_by ?? [];
  if (!first) return `${named} is already held by another reservation at that time.`;
  const more = others.length ? ` and ${others.length} more` : "";
  return `${named} is already held for ${first.name} ${dayAndTime(first.reserved_for, timeZone)}`
    + ` (until ${clockTime(first.reserved_until, timeZone)})${more}. Choose another time or table, or a shorter stay.`;
}

/** A sentence per failing field the host knows, each about its field: {text, parts}. */
function validationRefusal(details) {
  const parts = new Map(); // text -> the fields it is about
  for (const { field = "", message = "" } of Array.isArray(details) ? details : []) {
    const name = field.split(".")[0];
    const said = FIELD_HINTS[name] ?? (FIELD_WORDS[name] ? `${FIELD_WORDS[name]}: ${message.replace(/\.?$/, ".")}` : null);
    if (said) parts.set(said, [...(parts.get(said) ?? []), name]);
  }
  if (parts.size === 0) return { text: "Some of that is not valid; check the fields and try again." };
  const list = [...parts].map(([text, fields]) => ({ text, fields }));
  return { text: list.map((part) => part.text).join(" "), parts: list };
}

/** The held table cannot take the party: the server's view of it, which may be newer than ours. */
function unfitHold(details, table) {
  const held = details?.table ?? table;
  const named = tableName(held?.label);
  if (details?.reason === "out_of_service") return `${named} is out of service.`;
  return `${named} has ${held?.capacity} seats, too few for a party of ${details?.party_size}.`;
}
