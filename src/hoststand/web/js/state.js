// What the page knows of its restaurant: a snapshot, then every event applied in seq order.

import { dayOf } from "./time.js";

const EVENT_TARGETS = {
  guest_updated: ["guests", "guest_id"],
  table_updated: ["tables", "table_id"],
};
const WAITING = new Set(["waiting", "notified", "arrived"]);
const EXPECTED = new Set(["booked", "notified"]);
const HOLDING = new Set(["booked", "notified", "arrived"]);

// Timestamps on the wire have whole seconds. Ties keep the maps' order, which is the order the
// guests joined: the snapshot lists them so, and later guests are added at the end.
function byTime(field) {
  return (a, b) => a[field].localeCompare(b[field]);
}

/** The snapshot's entities by id, each replaced by the one held if that one is newer. */
function newest(held, entities) {
  return new Map(entities.map((entity) => {
    const known = held.get(entity.id);
    return [entity.id, known && known.version > entity.version ? known : entity];
  }));
}

export class HostState {
  constructor() {
    this.restaurant = null;
    this.tables = new Map();
    this.guests = new Map();
    this.removedTables = new Map(); // id -> the table as last seen: a form may still name it
    this.seq = null; // the last event applied; null until the first snapshot
  }

  /**
   * Replace everything with a snapshot {seq, restaurant, tables, guests}, except the tables and
   * guests we hold at a newer version: the answer to our own write can be newer than a
   * snapshot read meanwhile (a refresh after a refusal), and must not be taken back.
   */
  adopt(snapshot) {
    this.restaurant = snapshot.restaurant;
    const kept = new Set(snapshot.tables.map((table) => table.id));
    for (const table of this.tables.values()) {
      if (!kept.has(table.id)) this.removedTables.set(table.id, table);
    }
    this.tables = newest(this.tables, snapshot.tables);
    this.guests = newest(this.guests, snapshot.guests);
    this.seq = snapshot.seq;
  }

  /**
   * Apply one event of the feed: "applied", "stale" (already have it) or "gap" (one is
   * missing: the caller must resume from this.seq).
   */
  apply(event) {
    if (this.seq === null || event.seq <= this.seq) return "stale";
    if (event.seq !== this.seq + 1) return "gap";
    this.seq = event.seq;
    const target = EVENT_TARGETS[event.type];
    if (target) {
      const [collection, idField] = target;
      if (event.data) this.put(collection, event.data);
      else this.#remove(collection, event[idField]);
    } else if (event.scope === "restaurant" && event.data) {
      this.restaurant = event.data;
    }
    return "applied";
  }

  /**
   * Store a table or guest the server sent (an event, or the answer to our own request),
   * unless we already hold a newer version of it.
   */
  put(collection, entity) {
    const known = this[collection].get(entity.id);
    if (!known || entity.version >= known.version) this[collection].set(entity.id, entity);
  }

  #remove(collection, id) {
    if (collection === "tables" && this.tables.has(id)) this.removedTables.set(id, this.tables.get(id));
    this[collection].delete(id);
  }

  /** A table by id, as it is, or as it was last seen if it has been removed since; else null. */
  knownTable(id) {
    return this.tables.get(id) ?? this.removedTables.get(id) ?? null;
  }

  get timeZone() {
    return this.restaurant?.timezone ?? "UTC";
  }

  /** Walk-ins still waiting, and reservations that have arrived, in the order they joined. */
  waitlist() {
    return [...this.guests.values()]
      .filter((guest) => guest.kind === "walk_in" ? WAITING.has(guest.status) : guest.status === "arrived")
      .sort(byTime("joined_at"));
  }

  /** Today's reservations still expected (the late ones too), by time. */
  reservationsToday(now = new Date()) {
    const today = dayOf(now, this.timeZone);
    return [...this.guests.values()]
      .filter((guest) => guest.kind === "reservation" && EXPECTED.has(guest.status))
      .filter((guest) => dayOf(guest.reserved_for, this.timeZone) === today)
      .sort(byTime("reserved_for"));
  }

  /** Tables in label order ("2" before "10"). */
  tablesInOrder() {
    return [...this.tables.values()].sort((a, b) =>
      a.label.localeCompare(b.label, undefined, { numeric: true }) || a.id.localeCompare(b.id));
  }

  /** The party at an occupied table, if we know it. */
  partyAt(table) {
    return table.current_guest_id ? this.guests.get(table.current_guest_id) ?? null : null;
  }

  /** The next reservation holding this table, if any. */
  holdOn(table) {
    return [...this.guests.values()]
      .filter((guest) => guest.held_table_id === table.id && HOLDING.has(guest.status))
      .sort(byTime("reserved_for"))[0] ?? null;
  }

  /** Can this guest be seated here? (The server has the last word.) */
  canSeat(table, guest) {
    return table.status === "available" || (table.status === "reserved" && guest.held_table_id === table.id);
  }
}
