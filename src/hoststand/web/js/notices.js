// Short messages at the corner of the screen: confirmations (announced politely) and
// refusals (announced at once), each with an optional action such as "Undo" or "Seat anyway".
// A refusal goes as soon as it no longer applies: when what it is about changes, or an action
// on it succeeds; one about nothing in particular (the server unreachable) when any succeeds.

import { h } from "./dom.js";

const SHOWN_MS = { info: 5_000, refusal: 12_000 };
const MAX_SHOWN = 3;

export class Notices {
  #refusals = new Map(); // a refusal's element -> {about: its subjects' keys, stillApplies()}

  /** container: the element notices go in. */
  constructor(container) {
    this.container = container;
  }

  /** A confirmation: "Rivera seated at table 3." */
  info(text, action = null) {
    return this.#show("info", text, action);
  }

  /**
   * A refusal, in words a host understands. about: the keys of what it is about (a guest's, a
   * table's); stillApplies(): false once the situation it describes has changed.
   */
  refusal(text, action = null, { about = [], stillApplies = () => true } = {}) {
    const notice = this.#show("refusal", text, action);
    this.#refusals.set(notice, { about, stillApplies });
    return notice;
  }

  /** An action about `keys` succeeded: the refusals about them, or about nothing, are over. */
  settle(keys) {
    for (const [notice, { about }] of this.#refusals) {
      if (about.length === 0 || about.some((key) => keys.includes(key))) this.#dismiss(notice);
    }
  }

  /** The stand's state changed: take away the refusals that no longer apply. */
  review() {
    for (const [notice, { stillApplies }] of this.#refusals) {
      if (!stillApplies()) this.#dismiss(notice);
    }
  }

  /** Remove every notice (sign out). */
  clear() {
    this.container.replaceChildren();
    this.#refusals.clear();
  }

  #dismiss(notice) {
    notice.remove();
    this.#refusals.delete(notice);
  }

  #show(kind, text, action) {
    const notice = h("div", { class: `notice ${kind}`, role: kind === "refusal" ? "alert" : "status" }, h("p", {}, text));
    const dismiss = () => this.#dismiss(notice);
    if (action) {
      const button = h("button", { type: "button" }, action.label);
      button.addEventListener("click", () => {
        dismiss();
        action.run();
      });
      notice.append(button);
    }
    const close = h("button", { type: "button", "aria-label": "Dismiss" }, "✕");
    close.addEventListener("click", dismiss);
    notice.append(close);
    this.container.append(notice);
    while (this.container.children.length > MAX_SHOWN) this.#dismiss(this.container.firstElementChild);
    setTimeout(dismiss, SHOWN_MS[kind]);
    return notice;
  }
}
