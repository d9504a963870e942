// A held table the server would not hold for the party (409 hold_does_not_fit: too small, or
// out of service), asked about in the form, which keeps what was typed: the host holds it anyway
// (knowingly: the save is sent again with override_hold), holds no table, or chooses another.
// The question goes by itself when the host changes the party size or the table instead.

const WATCHED = ["party_size", "held_table_id"];

/** Ask; "anyway", "none" (the form now holds no table), "another" or "edited" (nothing to send). */
export async function askAboutHold(confirm, fields, text) {
  let edited = false;
  const watching = new AbortController();
  for (const name of WATCHED) {
    for (const type of ["input", "change"]) {
      fields.control(name).addEventListener(type, () => {
        edited = true;
        confirm.dismiss();
      }, { signal: watching.signal });
    }
  }
  const answer = await confirm.choose(text, [
    { answer: "anyway", label: "Hold it anyway", className: "danger" },
    { answer: "none", label: "No table" },
  ], { answer: "another", label: "Choose another table", className: "primary" });
  watching.abort();
  if (edited) return "edited";
  if (answer === "none") fields.fill({ held_table_id: "" });
  if (answer === "another") fields.control("held_table_id").focus();
  return answer;
}
