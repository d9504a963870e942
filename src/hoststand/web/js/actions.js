// What a host can do, as requests to the server. A success shows at once (the answer is
// applied to the state before its event arrives); a refusal is said in words a host
// understands, and when the page was behind, the true state is fetched and shown.

import { guestKey } from "./controls.js";
import { fitOf, meantForSentence } from "./fit.js";
import { describeRefusal } from "./refusals.js";
import { dayAndTime } from "./time.js";
import { MOVES } from "./waitlist.js";

// done: the confirmation; not: what a refusal says was not done; anyway: the button that tries again.
const GUEST_MOVES = {
  notify: {
    status: "notified", done: (name) => `${name} notified.`, not: "Not notified", anyway: "Notify anyway",
  },
  arrive: {
    status: "arrived", done: (name) => `${name} marked arrived.`,
    not: "Not marked arrived", anyway: "Mark arrived anyway",
  },
  cancel: {
    status: "cancelled", done: (name) => `${name} cancelled.`, undoable: true,
    not: "Not cancelled", anyway: "Cancel anyway",
  },
  "no-show": {
    status: "no_show", done: (name) => `${name} marked as a no-show.`, undoable: true,
    not: "Not marked as a no-show", anyway: "Mark no-show anyway",
  },
};
const UNDO = { not: "Not brought back", anyway: "Bring back anyway" };
const UNDOABLE = new Set(["cancelled", "no_show"]);

/** A fresh Idempotency-Key (crypto.randomUUID needs a secure context, a LAN address is not). */
function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The keys of the guest and tables an action is about (from: the table a move leaves), as its notices name them. */
function subjects({ guest = null, table = null, from = null }) {
  return [guest && guestKey(guest.id), table && `table:${table.id}`, from && `table:${from.id}`].filter(Boolean);
}

export class Actions {
  #keys = new Map(); // purpose -> {body, key} of a request that got no answer: a retry reuses the key

  /**
   * api, state, sync, notices, ui, renderer; onSignOut(message) when the token is refused;
   * signal: aborted on sign-out, after which answers still on their way are dropped.
   */
  constructor({ api, state, sync, notices, ui, renderer, onSignOut, signal }) {
    Object.assign(this, { api, state, sync, notices, ui, renderer, onSignOut, signal });
  }

  /** Add a walk-in to the waitlist; true when it was added. say(refusal, error): why not, in the form. */
  addWalkIn(fields, say) {
    const key = this.#keyFor("walk-in", fields);
    return this.#perform(["add-walk-in"], () => this.api.createGuest(fields, key), { say }, (guest) => {
      this.#keys.delete("walk-in");
      this.state.put("guests", guest);
      this.notices.info(`${guest.name} added to the waitlist.`);
    });
  }

  /** Book a reservation; true when it was booked. say(refusal, error): why not, in the form. */
  addReservation(fields, say) {
    const key = this.#keyFor("reservation", fields);
    const table = fields.held_table_id ? this.state.knownTable(fields.held_table_id) : null;
    const request = () => this.api.createGuest(fields, key);
    return this.#perform(["add-reservation"], request, { table, say }, (guest) => {
      this.#keys.delete("reservation");
      this.state.put("guests", guest);
      this.notices.info(`${guest.name} booked for ${dayAndTime(guest.reserved_for, this.state.timeZone)}.`);
    });
  }

  /**
   * Change a guest's details, only if the guest is still at `version` (else the refusal says
   * so, with the guest as it is now); true when changed. say(refusal, error): why not.
   */
  editGuest(guestId, fields, version, say) {
    const guest = this.state.guests.get(guestId);
    if (!guest) return Promise.resolve(false);
    const purpose = `edit:${guestId}`;
    const key = this.#keyFor(purpose, [fields, version]);
    const held = fields.held_table_id ?? guest.held_table_id;
    const table = held ? this.state.knownTable(held) : null;
    const request = () => this.api.updateGuest(guestId, fields, { version, idempotencyKey: key });
    return this.#perform([purpose, guestKey(guestId)], request, { guest, table, say }, (updated) => {
      this.#keys.delete(purpose);
      this.state.put("guests", updated);
      this.notices.info(`${updated.name} updated.`);
    });
  }

  /**
   * notify, arrive, cancel or no-show a guest, only if the guest is still as the host saw them
   * (If-Match): else the refusal says what another host changed, and offers to try again.
   */
  moveGuest(action, guestId) {
    const move = GUEST_MOVES[action];
    const guest = this.state.guests.get(guestId);
    if (!move || !guest) return Promise.resolve(false);
    const request = () => this.api.updateGuest(guestId, { status: move.status }, { version: guest.version });
    const context = {
      guest,
      move: { ...move, possible: (status) => (MOVES[status] ?? []).includes(action) },
      retry: () => this.moveGuest(action, guestId),
    };
    return this.#perform([`${action}:${guestId}`, guestKey(guestId)], request, context, (updated) => {
      this.state.put("guests", updated);
      const undo = move.undoable ? { label: "Undo", run: () => this.#restore(updated) } : null;
      this.notices.info(move.done(updated.name), undo);
    });
  }

  /**
   * Seat a guest at a table, only if the table is still as the host saw it (If-Match): else the
   * refusal says what another host changed, and offers to seat on the table as it is now.
   * overrides: {override_capacity} or {override} after a warning. A party below the table's
   * minimum is asked about first, once (roomy: the host said yes); the server never refuses it.
   */
  seat(guestId, tableId, overrides = {}, { roomy = false } = {}) {
    const guest = this.state.guests.get(guestId);
    const table = this.state.tables.get(tableId);
    if (!guest || !table) return Promise.resolve(false);
    if (!roomy && fitOf(table, guest.party_size) === "below minimum") {
      this.#askRoomy(guest, table, () => this.seat(guestId, tableId, overrides, { roomy: true }));
      return Promise.resolve(false);
    }
    const context = {
      guest, table, seating: true, retry: (more = {}) => this.seat(guestId, tableId, { ...overrides, ...more }, { roomy }),
    };
    const request = () => this.api.assign(tableId, guestId, table.version, overrides);
    const keys = [`seat-here:${guestId}:${tableId}`, guestKey(guestId)];
    return this.#perform(keys, request, context, (seating) => {
      this.state.put("tables", seating.table);
      this.state.put("guests", seating.guest);
      if (this.ui.seating === guestId) this.ui.seating = null;
      this.notices.info(`${seating.guest.name} seated at table ${seating.table.label}.`);
    });
  }

  /** "Table 6 is meant for 4 to 6 guests: seat (move) Rivera, a party of 2, there anyway?" */
  #askRoomy(guest, table, seat, verb = "seat") {
    const context = { guest, table };
    const label = verb === "move" ? "Move anyway" : "Seat anyway";
    this.notices.refusal(`${meantForSentence(table)}: ${verb} ${guest.name}, a party of ${guest.party_size}, there anyway?`,
      { label, run: seat },
      { about: subjects(context), stillApplies: this.#unchangedSince(Promise.resolve(), context) });
  }

  /**
   * Move the party seated at a table to another, only if the table they leave is still as the
   * host saw it (If-Match): the party stays seated, the table they leave needs cleaning.
   * overrides: {override_capacity} or {override} after a warning; below the new table's minimum
   * is asked about first, once, as when seating.
   */
  moveParty(fromTableId, toTableId, overrides = {}, { roomy = false } = {}) {
    const from = this.state.tables.get(fromTableId);
    const table = this.state.tables.get(toTableId);
    const guest = from && this.state.partyAt(from);
    if (!guest || !table) return Promise.resolve(false);
    const again = (more = {}, sure = roomy) => this.moveParty(fromTableId, toTableId, { ...overrides, ...more }, { roomy: sure });
    if (!roomy && fitOf(table, guest.party_size) === "below minimum") {
      this.#askRoomy(guest, table, () => again({}, true), "move");
      return Promise.resolve(false);
    }
    const context = { guest, table, from, retry: again };
    const request = () => this.api.move(fromTableId, toTableId, from.version, overrides);
    const keys = [`move-here:${guest.id}:${toTableId}`, `move:${fromTableId}`, guestKey(guest.id)];
    return this.#perform(keys, request, context, (moved) => {
      this.state.put("tables", moved.from_table);
      this.state.put("tables", moved.table);
      this.state.put("guests", moved.guest);
      if (this.ui.moving === fromTableId) Object.assign(this.ui, { seating: null, moving: null });
      this.notices.info(`${moved.guest.name} moved to table ${moved.table.label}.`);
    });
  }

  /** The party at a table leaves: the table needs cleaning. */
  release(tableId) {
    const table = this.state.tables.get(tableId);
    if (!table) return Promise.resolve(false);
    const request = () => this.api.release(tableId, table.version);
    const context = { table, retry: () => this.release(tableId) };
    return this.#perform([`release:${tableId}`], request, context, (seating) => {
      this.state.put("tables", seating.table);
      if (seating.guest) this.state.put("guests", seating.guest);
      // A release tapped by mistake: the party is still eating.
      const undo = seating.guest ? { label: "Undo", run: () => this.#reseat(seating.table, seating.guest) } : null;
      this.notices.info(`Table ${seating.table.label} released.`, undo);
    });
  }

  /** Undo a release (unless another host changed the table since): the party back at it, its time going on. */
  #reseat(table, guest) {
    const request = () => this.api.reseat(table.id, guest.id, table.version);
    const context = {
      guest, table, reseating: true, retry: () => this.#reseat(this.state.tables.get(table.id) ?? table, guest),
    };
    const keys = [`reseat:${table.id}`, `release:${table.id}`, guestKey(guest.id)];
    return this.#perform(keys, request, context, (seating) => {
      this.state.put("tables", seating.table);
      this.state.put("guests", seating.guest);
      this.notices.info(`${seating.guest.name} is back at table ${seating.table.label}.`);
    });
  }

  /** A cleaned table is available again. */
  clean(tableId) {
    const table = this.state.tables.get(tableId);
    if (!table) return Promise.resolve(false);
    const request = () => this.api.updateTable(tableId, { status: "available" }, table.version);
    const context = { table, retry: () => this.clean(tableId) };
    return this.#perform([`clean:${tableId}`], request, context, (updated) => {
      this.state.put("tables", updated);
      this.notices.info(`Table ${updated.label} is ready.`);
    });
  }

  /** Undo a cancellation or no-show (unless another host changed the guest since): back in line. */
  #restore(guest) {
    const status = guest.kind === "walk_in" ? "waiting" : "booked";
    const request = () => this.api.updateGuest(guest.id, { status }, { version: guest.version });
    const context = {
      guest,
      move: { ...UNDO, status, possible: (now) => UNDOABLE.has(now) },
      retry: () => this.#restore(this.state.guests.get(guest.id) ?? guest),
    };
    return this.#perform([`undo:${guest.id}`, guestKey(guest.id)], request, context, (restored) => {
      this.state.put("guests", restored);
      this.notices.info(`${restored.name} is back.`);
    });
  }

  /** keys: what is busy meanwhile; a guest's key makes it one move at a time for that guest. */
  async #perform(keys, request, context, succeeded) {
    // A double tap sends one request; so does a second move on a guest whose first is on its way
    // (landing first, it would have the first refused as if another host had moved the guest).
    if (keys.some((key) => this.ui.busy.has(key))) return false;
    for (const key of keys) this.ui.busy.add(key);
    this.renderer.schedule();
    try {
      const answer = await request();
      if (this.signal.aborted) return false;
      succeeded(answer);
      this.notices.settle(subjects(context));
      return true;
    } catch (error) {
      if (!this.signal.aborted) this.#refused(error, context);
      return false;
    } finally {
      for (const key of keys) this.ui.busy.delete(key);
      this.renderer.schedule();
    }
  }

  /** The Idempotency-Key of a request: the same as last time if that got no answer. */
  #keyFor(purpose, body) {
    const text = JSON.stringify(body);
    if (this.#keys.get(purpose)?.body !== text) this.#keys.set(purpose, { body: text, key: newKey() });
    return this.#keys.get(purpose).key;
  }

  /** context.say, when given, tells the refusal where the host is typing, not in a notice. */
  #refused(error, context) {
    const refusal = describeRefusal(error, { ...context, timeZone: this.state.timeZone });
    if (refusal.signOut) {
      this.onSignOut(refusal.text);
      return;
    }
    this.#takeCurrent(error, context);
    if (context.say) {
      context.say(refusal, error);
      if (refusal.refresh) this.sync.refresh();
      return;
    }
    // Judged on the state the refresh brings, not on the one the page had fallen behind with.
    const judged = refusal.refresh ? this.sync.refresh() : Promise.resolve();
    this.notices.refusal(refusal.text, this.#anyway(refusal, context), {
      about: refusal.general ? [] : subjects(context), stillApplies: this.#unchangedSince(judged, context),
    });
  }

  /** A check that the guest and table of a refusal are still as they were once `judged` settled. */
  #unchangedSince(judged, context) {
    const versions = () => JSON.stringify([
      context.guest ? this.state.guests.get(context.guest.id)?.version ?? null : null,
      context.table ? this.state.tables.get(context.table.id)?.version ?? null : null,
      context.from ? this.state.tables.get(context.from.id)?.version ?? null : null,
    ]);
    let seen = null;
    judged.then(() => {
      seen = versions();
    });
    return () => seen === null || seen === versions();
  }

  /** The button of a refusal that tries again: "Seat anyway", or a move on the guest as it is now. */
  #anyway(refusal, context) {
    if (!context.retry) return null;
    const label = context.from ? "Move anyway" : "Seat anyway";
    if (refusal.override) return { label, run: () => context.retry(refusal.override) };
    if (refusal.again) return { label: refusal.again, run: () => context.retry() };
    return null;
  }

  /**
   * A 412 carries the guest or table as it is now: show it at once (the refresh that follows
   * may be slower than the host's next tap, which must be judged on this version).
   */
  #takeCurrent(error, context) {
    const current = error.code === "version_conflict" ? error.details : null;
    if (!current?.id) return;
    if (context.guest?.id === current.id) this.state.put("guests", current);
    else if (context.table?.id === current.id) this.state.put("tables", current);
    else if (context.from?.id === current.id) this.state.put("tables", current);
  }
}
