// A question asked in the page, in place of a form's buttons: "Discard your changes to Ames?".
// Not window.confirm: that one stops the page (the stand behind would stop following the feed)
// and a tablet's browser may suppress it. The safe answer has the focus; Escape gives it.

import { h } from "./dom.js";

export class InlineConfirm {
  #answer = null; // resolves the question being asked
  #safe = null; // what Escape, or a dismissal, answers
  #focused = null; // where the host was before the question: where the safe answer takes them back

  /** Ask in place of `actions` (the form's row of buttons), inside the same form. */
  constructor(actions, signal) {
    this.actions = actions;
    this.text = h("p", { id: `${actions.closest("dialog").id}-confirm-text` });
    this.buttons = h("div", { class: "form-actions" });
    this.box = h("div", { class: "confirm", role: "alertdialog", "aria-labelledby": this.text.id, hidden: true },
      this.text, this.buttons);
    actions.after(this.box);
    this.box.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      event.preventDefault(); // the question goes, not the dialog around it
      this.#settle(this.#safe);
    }, { signal });
  }

  /** True while a question waits for its answer. */
  get asking() {
    return this.#answer !== null;
  }

  /** Ask `text`; true when the host chose `yes`, false for `no` (the one focused). */
  ask(text, { yes, no }) {
    return this.choose(text, [{ answer: true, label: yes, className: "danger" }],
      { answer: false, label: no, className: "primary" });
  }

  /**
   * Ask `text` with a button per choice ({answer, label, className}) and the `safe` one last,
   * focused; resolves to the answer of the one chosen (the safe one's on Escape or dismissal).
   */
  choose(text, choices, safe) {
    this.#settle(this.#safe);
    this.#focused = document.activeElement;
    this.#safe = safe.answer;
    this.text.textContent = text;
    const buttons = [...choices, safe].map(({ answer, label, className }) => {
      const button = h("button", { type: "button", class: className }, label);
      button.addEventListener("click", () => this.#settle(answer));
      return button;
    });
    this.buttons.replaceChildren(...buttons);
    this.actions.hidden = true;
    this.box.hidden = false;
    buttons.at(-1).focus();
    return new Promise((resolve) => {
      this.#answer = resolve;
    });
  }

  /**
   * Take the question away unanswered, with the safe answer: the form closed, or the host went
   * on typing elsewhere in it (the focus stays where it is).
   */
  dismiss() {
    this.#settle(this.#safe, { refocus: false });
  }

  #settle(answer, { refocus = true } = {}) {
    const resolve = this.#answer;
    this.#answer = null;
    this.box.hidden = true;
    this.actions.hidden = false;
    if (resolve && refocus && answer === this.#safe) this.#focused?.focus();
    this.#focused = null;
    resolve?.(answer);
  }
}
