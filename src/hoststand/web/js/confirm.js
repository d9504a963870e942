// A question asked in the page, in place of a form's buttons: "Discard your changes to Ames?".
// Not window.confirm: that one stops the page (the stand behind would stop following the feed)
// and a tablet's browser may suppress it. The safe answer has the focus; Escape gives it.

import { h } from "./dom.js";

export class InlineConfirm {
  #answer = null; // resolves the question being asked
  #focused = null; // where the host was before the question: where "no" takes them back

  /** Ask in place of `actions` (the form's row of buttons), inside the same form. */
  constructor(actions, signal) {
    this.actions = actions;
    this.text = h("p", { id: `${actions.closest("dialog").id}-confirm-text` });
    this.yes = h("button", { type: "button", class: "danger" });
    this.no = h("button", { type: "button", class: "primary" });
    this.box = h("div", { class: "confirm", role: "alertdialog", "aria-labelledby": this.text.id, hidden: true },
      this.text, h("div", { class: "form-actions" }, this.yes, this.no));
    actions.after(this.box);
    this.yes.addEventListener("click", () => this.#settle(true), { signal });
    this.no.addEventListener("click", () => this.#settle(false), { signal });
    this.box.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      event.preventDefault(); // the question goes, not the dialog around it
      this.#settle(false);
    }, { signal });
  }

  /** True while a question waits for its answer. */
  get asking() {
    return this.#answer !== null;
  }

  /** Ask `text`; true when the host chose `yes`, false for `no` (the one focused). */
  ask(text, { yes, no }) {
    this.#settle(false);
    this.#focused = document.activeElement;
    this.text.textContent = text;
    this.yes.textContent = yes;
    this.no.textContent = no;
    this.actions.hidden = true;
    this.box.hidden = false;
    this.no.focus();
    return new Promise((resolve) => {
      this.#answer = resolve;
    });
  }

  /** Take the question away unanswered (the form closed for another reason). */
  dismiss() {
    this.#settle(false);
  }

  #settle(answer) {
    const resolve = this.#answer;
    this.#answer = null;
    this.box.hidden = true;
    this.actions.hidden = false;
    if (resolve && !answer) this.#focused?.focus();
    this.#focused = null;
    resolve?.(answer);
  }
}
