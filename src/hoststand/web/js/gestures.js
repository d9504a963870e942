// How a host points at things: pick a guest then a table (Escape backs out), pick a seated
// party's "Move" then a table (the same way), drag a guest onto a table, and press buttons
// without a redraw swallowing the press.

const DRAG_TYPE = "application/x-hoststand-guest";
const HOLD_LIMIT_MS = 2_000;

/**
 * Seating by keyboard or pointer: pick a guest, then a table (Escape backs out). Moving a seated
 * party is the same choice of a table, started from the table they sit at (ui.moving).
 */
export function seatingFlow({ state, ui, renderer }) {
  const chooseTable = (action) => {
    renderer.flush();
    const target = document.querySelector(`#floor [data-action="${action}"]`)
      ?? document.querySelector('[data-action="cancel-seating"]');
    target?.focus();
  };
  return {
    choose(guestId) {
      if (ui.seating === guestId && !ui.moving) return this.cancel();
      Object.assign(ui, { seating: guestId, moving: null });
      chooseTable("seat-here");
    },
    move(tableId) {
      const party = state.tables.get(tableId)?.current_guest_id;
      if (!party || ui.moving === tableId) return this.cancel();
      Object.assign(ui, { seating: party, moving: tableId });
      chooseTable("move-here");
    },
    cancel() {
      const { seating: guestId, moving: tableId } = ui;
      Object.assign(ui, { seating: null, moving: null });
      renderer.flush();
      const from = tableId ? `move:${tableId}` : guestId && `seat:${guestId}`;
      if (from) document.querySelector(`[data-key="${CSS.escape(from)}"]`)?.focus();
    },
  };
}

/** While a finger, mouse button or space bar is down on the stand, redraws wait (a little). */
export function wireHolds(root, { ui, renderer }, signal) {
  let limit = null;
  const letGo = () => {
    clearTimeout(limit);
    if (!ui.holding) return;
    ui.holding = false;
    renderer.schedule(); // in a later frame: the click of this press is dispatched first
  };
  const hold = () => {
    ui.holding = true;
    clearTimeout(limit);
    limit = setTimeout(letGo, HOLD_LIMIT_MS); // a release we never hear of must not freeze the stand
  };
  root.addEventListener("pointerdown", hold, { signal });
  root.addEventListener("keydown", (event) => event.key === " " && hold(), { signal });
  for (const type of ["pointerup", "pointercancel", "keyup", "blur"]) {
    window.addEventListener(type, letGo, { signal });
  }
  signal.addEventListener("abort", () => clearTimeout(limit));
}

/** Drag a guest row onto a table that can take them to seat them there. */
export function wireDragAndDrop(root, { state, ui, actions, renderer }, signal) {
  const dropTarget = (event) => {
    const tile = event.target.closest?.(".tile[data-table-id]");
    const table = tile && state.tables.get(tile.dataset.tableId);
    const guest = ui.dragging && state.guests.get(ui.dragging);
    return table && guest && state.canSeat(table, guest) ? tile : null;
  };
  const endDrag = () => {
    ui.dragging = null;
    renderer.schedule();
  };
  root.addEventListener("dragstart", (event) => {
    const row = event.target.closest?.("li.guest[data-guest-id]");
    if (!row) return;
    ui.dragging = row.dataset.guestId;
    event.dataTransfer.setData(DRAG_TYPE, row.dataset.guestId);
    event.dataTransfer.setData("text/plain", row.querySelector(".guest-name")?.textContent ?? "");
    event.dataTransfer.effectAllowed = "move";
  }, { signal });
  root.addEventListener("dragover", (event) => {
    const tile = dropTarget(event);
    if (!tile) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    tile.classList.add("drop-target");
  }, { signal });
  root.addEventListener("dragleave", (event) => {
    event.target.closest?.(".tile")?.classList.remove("drop-target");
  }, { signal });
  root.addEventListener("drop", (event) => {
    const tile = dropTarget(event);
    if (!tile) return;
    event.preventDefault();
    const guestId = ui.dragging;
    endDrag();
    actions.seat(guestId, tile.dataset.tableId);
  }, { signal });
  root.addEventListener("dragend", endDrag, { signal });
}
