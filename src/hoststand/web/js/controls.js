// The buttons that act: one shape for all of them, so that app.js dispatches every click by
// its data-action, and a re-render can give focus back to the same button by its data-key.

import { h } from "./dom.js";

/** The busy mark of a guest while any request about them is on its way: one move at a time. */
export function guestKey(guestId) {
  return `guest:${guestId}`;
}

/** True while a request about the guest is on its way. */
export function guestBusy(ui, guestId) {
  return ui.busy.has(guestKey(guestId));
}

/**
 * A button for `action` on a guest and/or table: visible `text`, an accessible `label` that
 * names what it acts on, disabled while the same action, or any about its guest, is in flight.
 */
export function actionButton(ui, { action, text, label, guestId, tableId, className = "small" }) {
  const key = [action, guestId, tableId].filter(Boolean).join(":");
  return h("button", {
    type: "button",
    class: className,
    "data-action": action,
    "data-guest-id": guestId,
    "data-table-id": tableId,
    "data-key": key,
    "aria-label": label,
    // aria-disabled, not disabled: a disabled button would lose the keyboard focus.
    "aria-disabled": ui.busy.has(key) || (guestId && guestBusy(ui, guestId)) ? "true" : null,
  }, text);
}
