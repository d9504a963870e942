// A form's error line (role="alert"): what a refusal said, part by part, each part about some
// of the form's fields ("Check the phone number…" is about the phone). A part goes as soon as
// the host edits a field it is about, so the line says only what still stands; a part about no
// field in particular stays until the next save, or until the form is opened again.

export class FormError {
  #parts = []; // [{text, fields}]

  /** element: the form's error line; form: whose fields' edits take parts away. */
  constructor(element, form, signal) {
    this.element = element;
    const edited = (event) => this.#edited(event.target.name);
    form.addEventListener("input", edited, { signal });
    form.addEventListener("change", edited, { signal });
  }

  /**
   * Say a refusal (see describeRefusal): its `parts` ([{text, fields}]), else its `text`, about
   * its `fields` (none: about nothing the host can edit away).
   */
  say({ text = "", fields = [], parts = null }) {
    this.#parts = parts ?? (text ? [{ text, fields }] : []);
    this.element.textContent = this.#parts.map((part) => part.text).join(" ");
  }

  /** Take the line away. */
  clear() {
    this.say({});
  }

  #edited(name) {
    const left = this.#parts.filter((part) => !part.fields.includes(name));
    if (name && left.length !== this.#parts.length) this.say({ parts: left });
  }
}
