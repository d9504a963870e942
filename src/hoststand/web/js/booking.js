// Booking a reservation at the stand (a phone call): a dialog of the guest's fields. Closing it
// keeps what was typed, so that a host called away finds the booking where they left it; the
// stand behind it stays live, and no redraw touches the dialog. A held table that cannot take
// the party is asked about in the form (hold it anyway, no table, or another).

import { InlineConfirm } from "./confirm.js";
import { FormError } from "./formerror.js";
import { GuestForm } from "./guestform.js";
import { askAboutHold } from "./holds.js";
import { wallClock } from "./time.js";

const HOUR = 3_600_000;

export class Booking {
  /** dialog: the <dialog> of the booking form; opener: the button that opens it. */
  constructor({ dialog, opener, state, actions, signal }) {
    Object.assign(this, { dialog, opener, state, actions });
    this.form = dialog.querySelector("form");
    this.fields = new GuestForm(this.form, "booking");
    this.fields.setKind("reservation");
    this.error = new FormError(this.form.querySelector(".form-error"), this.form, signal);
    this.confirm = new InlineConfirm(this.form.querySelector(".form-actions"), signal);
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#send();
    }, { signal });
    this.form.querySelector("[data-close]").addEventListener("click", () => this.close(), { signal });
    dialog.addEventListener("close", () => {
      this.confirm.dismiss();
      opener.focus();
    }, { signal });
    signal.addEventListener("abort", () => {
      this.dialog.close();
      this.form.reset(); // the next to sign in does not get this booking
      this.error.clear();
    });
  }

  /** Open the form, as it was left; an empty time starts at the next full hour. */
  open() {
    this.#offerTables();
    const when = this.fields.control("reserved_for");
    if (!when.value) when.value = `${wallClock(Date.now() + HOUR, this.state.timeZone).slice(0, 14)}00`;
    this.fields.sayZone(this.state.timeZone);
    this.error.clear(); // a refusal of before may no longer hold
    this.dialog.showModal();
  }

  /** The stand's state changed (an event, a refresh): offer the tables as they are now. */
  update() {
    if (this.dialog.open) this.#offerTables();
  }

  #offerTables() {
    this.fields.offerTables(this.state.tablesInOrder(), (id) => this.state.knownTable(id));
  }

  /** Close it, keeping what was typed. */
  close() {
    this.dialog.close();
  }

  /** Book what the form holds; extra: {override_hold} once the host chose to keep the table. */
  async #send(extra = {}) {
    const button = this.form.querySelector('button[type="submit"]');
    if (button.getAttribute("aria-disabled") === "true") return; // one booking at a time
    const sent = JSON.stringify(this.fields.values());
    const given = Object.fromEntries(Object.entries(this.fields.values()).filter(([, value]) => value !== ""));
    const fields = { kind: "reservation", ...this.fields.body(given, this.state.timeZone), ...extra };
    this.error.clear();
    const idle = button.textContent;
    button.textContent = "Adding…";
    button.setAttribute("aria-disabled", "true");
    let unfitHold = null;
    try {
      const say = (refusal, error) => {
        if (error.code === "hold_does_not_fit") unfitHold = refusal;
        else this.error.say(refusal);
      };
      // Cleared only if it still holds this booking: the host may have begun to change it.
      if (await this.actions.addReservation(fields, say) && JSON.stringify(this.fields.values()) === sent) {
        this.form.reset();
        this.close();
      }
    } finally {
      button.textContent = idle;
      button.removeAttribute("aria-disabled");
    }
    if (unfitHold && this.dialog.open) await this.#askAboutHold(unfitHold);
  }

  async #askAboutHold(refusal) {
    const answer = await askAboutHold(this.confirm, this.fields, refusal.text);
    if (answer === "anyway") await this.#send({ override_hold: true });
    else if (answer === "none") await this.#send();
  }
}
