// Keeping the page in sync, as docs/PROTOCOL.md prescribes: fetch the snapshot, follow
// /realtime from its seq, apply every event in order, resume after a drop with last_seq,
// refetch the snapshot on resync_required. Reconnects back off with jitter.

import { ApiError } from "./api.js";
import { Backoff } from "./backoff.js";

const CLIENT_VERSION = "web-1";
const HEARTBEAT_MS = 25_000; // a quiet socket is pinged this often...
const PONG_TIMEOUT_MS = 10_000; // ...and given up on when nothing comes back in time
const FEED_EVENTS = new Set(["guest_updated", "table_updated", "data_change"]);
const FATAL_CLOSES = new Map([
  [4401, "Your sign-in is no longer valid. Please sign in again."],
  [4403, "This token may not follow this restaurant."],
  [4404, "This restaurant no longer exists."],
]);
const FATAL_STATUSES = new Map([
  [401, FATAL_CLOSES.get(4401)],
  [403, FATAL_CLOSES.get(4403)],
  [404, FATAL_CLOSES.get(4404)],
]);

/** The /realtime URL for a token and restaurant (browsers cannot set headers on a socket). */
function socketUrl(token, restaurantId) {
  const url = new URL("realtime", document.baseURI);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.search = new URLSearchParams({ token, restaurant_id: restaurantId }).toString();
  return url;
}

export class Sync {
  #socket = null;
  #retryTimer = null;
  #heartbeatTimer = null;
  #pongTimer = null;
  #needSnapshot = true;
  #buffer = null; // events that arrive while a resync's snapshot is on its way
  #stopped = false;
  #backoff = new Backoff();

  /**
   * api: an Api for the restaurant; state: a HostState; onChange(): the state changed;
   * onStatus(status): "connecting" | "live" | "reconnecting" | "unavailable" (the server's
   * database is out of reach: retrying); onFatal(message): sign out.
   */
  constructor({ api, state, onChange, onStatus, onFatal }) {
    Object.assign(this, { api, state, onChange, onStatus, onFatal });
    this.status = "connecting";
  }

  /** Load the snapshot and go live. */
  start() {
    this.#setStatus("connecting");
    this.#open();
  }

  /** Stop for good (sign out). */
  stop() {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#drop();
  }

  /** Retry now instead of waiting out the backoff (the browser is online or awake again). */
  reconnectNow() {
    if (this.#stopped || this.#retryTimer === null) return; // only while waiting to retry
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#open();
  }

  /** Refetch the snapshot and show it, unless the feed already went further (after a refusal). */
  async refresh() {
    try {
      const snapshot = await this.api.snapshot();
      if (this.state.seq === null || snapshot.seq >= this.state.seq) {
        this.state.adopt(snapshot);
        this.onChange();
      }
    } catch (error) {
      this.#fatalIfDenied(error);
    }
  }

  async #open() {
    if (this.#stopped) return;
    if (this.#needSnapshot) {
      try {
        this.state.adopt(await this.api.snapshot());
      } catch (error) {
        if (!this.#fatalIfDenied(error)) this.#retry(error);
        return;
      }
      this.#needSnapshot = false;
      this.onChange();
    }
    if (this.#stopped) return;
    const socket = new WebSocket(socketUrl(this.api.token, this.api.restaurantId));
    this.#socket = socket;
    socket.onopen = () => {
      socket.send(JSON.stringify({
        type: "restaurant_connect",
        restaurant_id: this.api.restaurantId,
        last_seq: this.state.seq,
        platform: "web",
        version: CLIENT_VERSION,
      }));
      this.#armHeartbeat();
    };
    socket.onmessage = (message) => this.#receive(socket, message.data);
    socket.onclose = (close) => this.#closed(socket, close.code);
  }

  #receive(socket, text) {
    if (socket !== this.#socket) return;
    this.#armHeartbeat();
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (FEED_EVENTS.has(message.type)) {
      if (this.#buffer) this.#buffer.push(message);
      else this.#applyEvent(message);
    } else if (message.type === "connection_established") {
      this.#backoff.reset();
      this.#setStatus("live");
    } else if (message.type === "resync_required") {
      this.#resync(socket);
    }
  }

  #applyEvent(event) {
    const outcome = this.state.apply(event);
    if (outcome === "applied") this.onChange();
    if (outcome !== "gap") return true;
    // An event is missing: reconnect, and the server replays from our last seq.
    this.#drop();
    this.#retry();
    return false;
  }

  async #resync(socket) {
    this.#buffer = [];
    let snapshot;
    try {
      snapshot = await this.api.snapshot();
    } catch (error) {
      this.#buffer = null;
      this.#needSnapshot = true;
      this.#drop();
      if (!this.#fatalIfDenied(error)) this.#retry(error);
      return;
    }
    if (socket !== this.#socket) return;
    const buffered = this.#buffer;
    this.#buffer = null;
    this.state.adopt(snapshot);
    this.onChange();
    for (const event of buffered) {
      if (!this.#applyEvent(event)) break;
    }
  }

  #closed(socket, code) {
    if (socket !== this.#socket) return;
    this.#socket = null;
    this.#buffer = null;
    this.#stopHeartbeat();
    const fatal = FATAL_CLOSES.get(code);
    if (fatal) {
      this.stop();
      this.onFatal(fatal);
    } else {
      this.#retry();
    }
  }

  /** Try again after the backoff; `error`: why the last try failed, when it was a request. */
  #retry(error = null) {
    if (this.#stopped) return;
    // The server answered, but could not read its database: the host is told so, not "reconnecting".
    this.#setStatus(error instanceof ApiError && error.code === "database_unavailable" ? "unavailable" : "reconnecting");
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#open();
    }, this.#backoff.next(error?.retryAfterMs));
  }

  /** Let go of the current socket without waiting for its close handshake. */
  #drop() {
    const socket = this.#socket;
    this.#socket = null;
    this.#buffer = null;
    this.#stopHeartbeat();
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onclose = null;
    try {
      socket.close(1000);
    } catch {
      // already closed
    }
  }

  #armHeartbeat() {
    this.#stopHeartbeat();
    this.#heartbeatTimer = setTimeout(() => this.#ping(), HEARTBEAT_MS);
  }

  #ping() {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ type: "ping" }));
    this.#pongTimer = setTimeout(() => {
      this.#drop();
      this.#retry();
    }, PONG_TIMEOUT_MS);
  }

  #stopHeartbeat() {
    clearTimeout(this.#heartbeatTimer);
    clearTimeout(this.#pongTimer);
  }

  #fatalIfDenied(error) {
    const fatal = error instanceof ApiError ? FATAL_STATUSES.get(error.status) : undefined;
    if (!fatal) return false;
    this.stop();
    this.onFatal(fatal);
    return true;
  }

  #setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    this.onStatus(status);
  }
}
