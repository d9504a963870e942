// The walk-in form, always at hand on the stand: a party at the door goes on the waitlist in a
// few taps. A refusal is said in the form, by the fields it is about, as the reservation form
// says its own (formerror.js), and what was typed stays to be fixed and sent again. The form
// is cleared for the next party once the one sent is added, unless the host began typing the
// next meanwhile; a refusal that comes once they have names the party it is about, and marks
// none of the fields, which hold another party now.

import { FormError } from "./formerror.js";

const FIELDS = ["name", "party_size", "phone", "quoted_wait_minutes"];

/** "Could not add Rivera, party of 4: Check the phone number…": a refusal of a party no longer in the form. */
function lateRefusal({ name, party_size: size }, refusal) {
  const party = name ? `${name}, party of ${size}` : `a party of ${size}`;
  return `Could not add ${party}: ${refusal.text}`;
}

export class WalkIn {
  /** form: the walk-in <form>; signal: aborted on sign-out. */
  constructor({ form, actions, signal }) {
    Object.assign(this, { form, actions });
    this.button = form.querySelector('button[type="submit"]');
    this.error = new FormError(form.querySelector(".form-error"), form, signal);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#send();
    }, { signal });
    signal.addEventListener("abort", () => {
      this.form.reset(); // the next to sign in does not get this party
      this.error.clear();
    });
  }

  #value(name) {
    return this.form.elements[name].value.trim();
  }

  async #send() {
    if (this.button.getAttribute("aria-disabled") === "true") return; // one walk-in at a time
    const sent = FIELDS.map((name) => this.#value(name)).join("\n");
    const fields = { name: this.#value("name"), party_size: Number(this.#value("party_size")) };
    if (this.#value("phone")) fields.phone = this.#value("phone");
    if (this.#value("quoted_wait_minutes")) fields.quoted_wait_minutes = Number(this.#value("quoted_wait_minutes"));
    this.error.clear();
    const idle = this.button.textContent;
    this.button.textContent = "Adding…";
    this.button.setAttribute("aria-disabled", "true");
    try {
      const unchanged = () => FIELDS.map((name) => this.#value(name)).join("\n") === sent;
      const say = (refusal) => this.error.say(unchanged() ? refusal : { text: lateRefusal(fields, refusal) });
      const added = await this.actions.addWalkIn(fields, say);
      if (added && unchanged()) {
        this.form.reset();
        this.form.elements.name.focus();
      }
    } finally {
      this.button.textContent = idle;
      this.button.removeAttribute("aria-disabled");
    }
  }
}
