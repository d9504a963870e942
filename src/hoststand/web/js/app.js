// The host-stand page: sign in with a token, then the live waitlist and floor of its
// restaurant. This module wires the parts together; each part lives in its own module.

import { Actions } from "./actions.js";
import { Api, ApiError } from "./api.js";
import { Backoff } from "./backoff.js";
import { Booking } from "./booking.js";
import { byId } from "./dom.js";
import { GuestEditor } from "./editing.js";
import { seatingFlow, wireDragAndDrop, wireHolds } from "./gestures.js";
import { Notices } from "./notices.js";
import { Renderer } from "./render.js";
import { clearSession, loadSession, saveSession } from "./session.js";
import { showSignIn, wireSignIn } from "./signin.js";
import { HostState } from "./state.js";
import { Sync } from "./sync.js";
import { WalkIn } from "./walkin.js";

const CONNECTION_WORDS = {
  connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", unavailable: "Can't reach the database…",
};
const SEATABLE = new Set(["waiting", "booked", "notified", "arrived"]);
const GUEST_MOVES = new Set(["notify", "arrive", "cancel", "no-show"]);
const WRITERS = new Set(["owner", "host", "admin"]); // a viewer's token may only look

const notices = new Notices(byId("notices"));
let running = null; // {sync, renderer, abort} while signed in

function elements() {
  return {
    stand: byId("stand-view"),
    restaurantName: byId("restaurant-name"),
    summary: byId("summary"),
    waitlist: byId("waitlist"),
    waitlistCount: byId("waitlist-count"),
    waitlistEmpty: byId("waitlist-empty"),
    reservations: byId("reservations"),
    reservationsCount: byId("reservations-count"),
    reservationsEmpty: byId("reservations-empty"),
    floor: byId("floor"),
    banner: byId("seating-banner"),
    walkIn: byId("walk-in-form"),
    addReservation: byId("add-reservation"),
  };
}

function showConnection(status) {
  const badge = byId("connection");
  badge.dataset.state = status;
  badge.textContent = CONNECTION_WORDS[status] ?? status;
  badge.hidden = false;
}

/** Open the host stand of a restaurant. */
function start(session) {
  saveSession(session);
  byId("signin-view").hidden = true;
  byId("stand-view").hidden = false;
  byId("sign-out").hidden = false;
  showConnection("connecting");
  const api = new Api(session.token, session.restaurantId);
  const state = new HostState();
  // writable: null until the token's role is known, and no change is offered until it is true.
  // seating: the guest whose table is being chosen; moving: the table they leave, for a move.
  const ui = { seating: null, moving: null, busy: new Set(), dragging: null, holding: false, writable: null };
  const els = elements();
  const renderer = new Renderer(els, state, ui);
  const forms = { editor: null, booking: null };
  const onChange = () => {
    if (ui.seating && !stillChoosing(state, ui)) Object.assign(ui, { seating: null, moving: null });
    forms.editor?.update();
    forms.booking?.update();
    notices.review();
    renderer.schedule();
  };
  const sync = new Sync({ api, state, onChange, onStatus: showConnection, onFatal: signOut });
  const abort = new AbortController();
  const { signal } = abort;
  const actions = new Actions({ api, state, sync, notices, ui, renderer, onSignOut: signOut, signal });
  forms.editor = new GuestEditor({ dialog: byId("editing"), state, actions, signal });
  forms.booking = new Booking({ dialog: byId("booking"), opener: els.addReservation, state, actions, signal });
  wireStand(els, { state, ui, actions, renderer, sync, ...forms }, signal);
  running = { sync, renderer, abort };
  sync.start();
  learnRole(api, ui, renderer, abort.signal);
}

/** The guest being seated can still be, or the party being moved still sits where it did. */
function stillChoosing(state, ui) {
  const chosen = state.guests.get(ui.seating);
  if (ui.moving) return chosen?.status === "seated" && state.tables.get(ui.moving)?.current_guest_id === chosen.id;
  return Boolean(chosen && SEATABLE.has(chosen.status));
}

/** Ask the server what this token may do; retried while the server cannot be reached. */
async function learnRole(api, ui, renderer, signal) {
  const backoff = new Backoff();
  while (!signal.aborted) {
    try {
      const me = await api.me();
      if (signal.aborted) return;
      ui.writable = WRITERS.has(me.role);
      renderer.schedule();
      return;
    } catch (error) {
      // A refused token: the sync signs out. A server that could not read its database (503)
      // is asked again: given up on, it would leave the host a stand with no buttons.
      if (error instanceof ApiError && error.status < 500) return;
      await new Promise((wake) => setTimeout(wake, backoff.next(error.retryAfterMs))); // no sooner than asked
    }
  }
}

/** Close the host stand and forget the token; `message` says why when it was not asked for. */
function signOut(message = "") {
  if (running) {
    running.sync.stop();
    running.renderer.dispose();
    running.abort.abort();
    running = null;
  }
  clearSession();
  notices.clear();
  for (const id of ["sign-out", "connection", "summary", "seating-banner", "walk-in-form"]) byId(id).hidden = true;
  for (const id of ["waitlist", "reservations", "floor"]) byId(id).replaceChildren();
  byId("restaurant-name").textContent = "";
  document.title = "hoststand · host stand";
  showSignIn(message);
}

function wireStand(els, stand, signal) {
  const { actions, ui, renderer, editor, booking } = stand;
  const seating = seatingFlow(stand);
  const handlers = {
    seat: (button) => seating.choose(button.dataset.guestId),
    "cancel-seating": () => seating.cancel(),
    "seat-here": (button) => actions.seat(button.dataset.guestId, button.dataset.tableId),
    move: (button) => seating.move(button.dataset.tableId),
    "move-here": (button) => ui.moving && actions.moveParty(ui.moving, button.dataset.tableId),
    release: (button) => actions.release(button.dataset.tableId),
    clean: (button) => actions.clean(button.dataset.tableId),
    edit: (button) => ui.writable && editor.open(button.dataset.guestId),
    "add-reservation": () => ui.writable && booking.open(),
  };
  els.stand.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button || button.getAttribute("aria-disabled") === "true") return;
    const action = button.dataset.action;
    if (GUEST_MOVES.has(action)) actions.moveGuest(action, button.dataset.guestId);
    else handlers[action]?.(button);
  }, { signal });
  new WalkIn({ form: els.walkIn, actions, signal });
  document.addEventListener("keydown", (event) => {
    // Escape in a dialog closes the dialog only.
    if (event.key === "Escape" && ui.seating && !event.target.closest?.("dialog")) seating.cancel();
  }, { signal });
  // Back from sleep or a dead zone: do not wait for the backoff to run out.
  window.addEventListener("online", () => stand.sync.reconnectNow(), { signal });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") stand.sync.reconnectNow();
  }, { signal });
  wireHolds(els.stand, stand, signal);
  wireDragAndDrop(els.stand, stand, signal);
  renderer.schedule();
}

wireSignIn(start);
byId("sign-out").addEventListener("click", () => signOut());
const saved = loadSession();
if (saved) start(saved);
else showSignIn();
