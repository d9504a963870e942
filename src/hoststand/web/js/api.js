// The REST API of hoststand, as the host stand uses it. Every error becomes an ApiError
// (the server said no) or a NetworkError (the server could not be reached).

/**
 * A refusal from the server: its status and the {code, message, details} of its body, and how
 * long it asked the client to wait before trying again (Retry-After of a 503 or 429), in ms.
 */
export class ApiError extends Error {
  constructor(status, code, message, details, retryAfterMs = 0) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The request never got an answer (server down, Wi-Fi gone). */
export class NetworkError extends Error {}

/** Where the API lives, relative to the page, so a path prefix in front of the app works. */
function apiUrl(path) {
  return new URL(`api/v1/${path}`, document.baseURI);
}

export class Api {
  /** A client with a token, for one restaurant (restaurantId may come later). */
  constructor(token, restaurantId = null) {
    this.token = token;
    this.restaurantId = restaurantId;
  }

  /** Send one request; the parsed JSON body, or null for an empty one. */
  async request(method, path, { body, ifMatch, idempotencyKey } = {}) {
    const headers = { Authorization: `Bearer ${this.token}`, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (ifMatch !== undefined) headers["If-Match"] = `"${ifMatch}"`;
    if (idempotencyKey !== undefined) headers["Idempotency-Key"] = idempotencyKey;
    let response;
    try {
      response = await fetch(apiUrl(path), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
      });
    } catch (error) {
      throw new NetworkError(error.message);
    }
    const payload = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) {
      const error = payload?.error ?? {};
      const retryAfter = Number(response.headers.get("Retry-After")); // seconds; an HTTP date is not sent
      throw new ApiError(response.status, error.code ?? `http_${response.status}`,
        error.message ?? response.statusText, error.details ?? null, retryAfter > 0 ? retryAfter * 1000 : 0);
    }
    return payload;
  }

  #restaurant(path = "") {
    return `restaurants/${this.restaurantId}${path}`;
  }

  /** Every restaurant this token may see, page after page (a restaurant's token: its own). */
  async restaurants() {
    const items = [];
    let cursor = null;
    do {
      const query = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
      const page = await this.request("GET", `restaurants?limit=500${query}`);
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return { items };
  }

  /** Who this token is: {token_id, name, role, restaurant_id}. */
  me() {
    return this.request("GET", "me");
  }

  /** Restaurant, tables and guests as of `seq`. */
  snapshot() {
    return this.request("GET", this.#restaurant("/snapshot"));
  }

  /** Add a walk-in or a reservation; the key makes a retry safe. */
  createGuest(fields, idempotencyKey) {
    return this.request("POST", this.#restaurant("/guests"), { body: fields, idempotencyKey });
  }

  /**
   * Change a guest, e.g. {status: "notified"}; with `version`, only if it is still the one we
   * saw (else 412 version_conflict, the guest as it is now in its details).
   */
  updateGuest(guestId, fields, { version, idempotencyKey } = {}) {
    return this.request("PATCH", this.#restaurant(`/guests/${guestId}`), {
      body: fields, ifMatch: version, idempotencyKey,
    });
  }

  /**
   * Seat a guest at a table, only if the table is still the one we saw (its version, else 412
   * version_conflict with the table as it is now); returns {table, guest}.
   */
  assign(tableId, guestId, version, overrides = {}) {
    return this.request("POST", this.#restaurant(`/tables/${tableId}/assign`), {
      body: { guest_id: guestId, ...overrides }, ifMatch: version,
    });
  }

  /**
   * Move the party seated at a table to another, only if the table they leave is still the one
   * we saw (its version); returns {from_table, table, guest}.
   */
  move(tableId, toTableId, version, overrides = {}) {
    return this.request("POST", this.#restaurant(`/tables/${tableId}/move`), {
      body: { to_table_id: toTableId, ...overrides }, ifMatch: version,
    });
  }

  /** The party leaves; only if the table is still the one we saw (its version). */
  release(tableId, version) {
    return this.request("POST", this.#restaurant(`/tables/${tableId}/release`), { ifMatch: version });
  }

  /**
   * Undo a release: the party released from the table sits there again, only if the table is
   * still the one we saw (its version, as the release returned it); returns {table, guest}.
   */
  reseat(tableId, guestId, version) {
    return this.request("POST", this.#restaurant(`/tables/${tableId}/reseat`), {
      body: { guest_id: guestId }, ifMatch: version,
    });
  }

  /** Change a table's status, e.g. dirty -> available, if it is still the one we saw. */
  updateTable(tableId, fields, version) {
    return this.request("PATCH", this.#restaurant(`/tables/${tableId}`), { body: fields, ifMatch: version });
  }
}
