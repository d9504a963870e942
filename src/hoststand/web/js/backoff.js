// Reconnect delays: exponential, capped, with jitter so that a restaurant's devices do not
// all knock at the same instant after a server restart.

export class Backoff {
  /** base and cap in milliseconds; random is injectable for tests. */
  constructor({ base = 500, cap = 10_000, random = Math.random } = {}) {
    this.base = base;
    this.cap = cap;
    this.random = random;
    this.attempt = 0;
  }

  /**
   * The next delay: between half and all of min(cap, base * 2^attempt), and no less than
   * `atLeast` ms (what a server asked for, with Retry-After).
   */
  next(atLeast = 0) {
    const ceiling = Math.min(this.cap, this.base * 2 ** Math.min(this.attempt, 20));
    this.attempt += 1;
    return Math.max(atLeast, ceiling / 2 + (this.random() * ceiling) / 2);
  }

  /** Start over after a connection that worked. */
  reset() {
    this.attempt = 0;
  }
}
