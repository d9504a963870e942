// Drawing the whole stand from the state, at most once per frame. Focus stays on the same
// control across redraws, and no redraw happens under a drag in progress.

import { refreshClocks } from "./clocks.js";
import { renderFloor } from "./floor.js";
import { renderQueue } from "./waitlist.js";

const CLOCK_REFRESH_MS = 15_000;

export class Renderer {
  /** elements: the page's containers (see app.js); ui: {seating, busy, dragging}. */
  constructor(elements, state, ui) {
    Object.assign(this, { elements, state, ui });
    this.frame = null;
    this.clockTimer = setInterval(() => refreshClocks(elements.stand), CLOCK_REFRESH_MS);
  }

  /** Redraw soon (several changes in one frame draw once). */
  schedule() {
    if (this.frame !== null) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.flush();
    });
  }

  /** Redraw now (e.g. before moving focus into what is drawn). */
  flush() {
    if (this.ui.dragging) return; // replacing the dragged row would cancel the drag; dragend redraws
    if (this.state.restaurant === null) return;
    const focusKey = document.activeElement?.dataset?.key;
    this.#draw();
    if (focusKey) {
      document.querySelector(`[data-key="${CSS.escape(focusKey)}"]`)?.focus({ preventScroll: true });
    }
  }

  /** Stop the clock refresh (sign out). */
  dispose() {
    clearInterval(this.clockTimer);
    if (this.frame !== null) cancelAnimationFrame(this.frame);
  }

  #draw() {
    const { elements, state, ui } = this;
    elements.restaurantName.textContent = state.restaurant.name;
    document.title = `${state.restaurant.name} · hoststand`;
    renderQueue(elements, state, ui);
    renderFloor(elements, state, ui);
    refreshClocks(elements.stand);
    elements.summary.textContent = summary(state);
    elements.summary.hidden = false;
  }
}

function summary(state) {
  const tables = [...state.tables.values()];
  const free = tables.filter((table) => table.status === "available").length;
  const waiting = state.waitlist().length;
  return `${waiting} waiting · ${free} of ${tables.length} tables free`;
}
