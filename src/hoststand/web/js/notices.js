// Short messages at the corner of the screen: confirmations (announced politely) and
// refusals (announced at once), each with an optional action such as "Undo" or "Seat anyway".

import { h } from "./dom.js";

const SHOWN_MS = { info: 5_000, refusal: 12_000 };
const MAX_SHOWN = 3;

export class Notices {
  /** container: the element notices go in. */
  constructor(container) {
    this.container = container;
  }

  /** A confirmation: "Rivera seated at table 3." */
  info(text, action = null) {
    return this.#show("info", text, action);
  }

  /** A refusal, in words a host understands. */
  refusal(text, action = null) {
    return this.#show("refusal", text, action);
  }

  /** Remove every notice (sign out). */
  clear() {
    this.container.replaceChildren();
  }

  #show(kind, text, action) {
    const notice = h("div", { class: `notice ${kind}`, role: kind === "refusal" ? "alert" : "status" }, h("p", {}, text));
    const dismiss = () => notice.remove();
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
    while (this.container.children.length > MAX_SHOWN) this.container.firstElementChild.remove();
    setTimeout(dismiss, SHOWN_MS[kind]);
    return notice;
  }
}
