// Drawing the whole stand from the state, at most once per frame. Focus stays on the same
// control across redraws, and no redraw happens under a finger or a drag: replacing the
// button being pressed (or the row being dragged) would swallow the tap (or the drop).

import { refreshClocks } from "./clocks.js";
import { renderFloor } from "./floor.js";
import { renderQueue } from "./waitlist.js";

const CLOCK_REFRESH_MS = 15_000;
const REDRAW_MS = 60_000; // what "today" holds changes with the time, not only with events

export class Renderer {
  #disposed = false;

  /** elements: the page's containers (see app.js); ui: {seating, busy, dragging, holding}. */
  constructor(elements, state, ui) {
    Object.assign(this, { elements, state, ui });
    this.frame = null;
    this.timers = [
      setInterval(() => refreshClocks(elements.stand), CLOCK_REFRESH_MS),
      setInterval(() => this.schedule(), REDRAW_MS),
    ];
  }

  /** Redraw soon (several changes in one frame draw once). */
  schedule() {
    if (this.frame !== null || this.#disposed) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.flush();
    });
  }

  /** Redraw now (e.g. before moving focus into what is drawn). */
  flush() {
    if (this.#disposed) return; // signed out: an answer arriving now must not draw the old stand
    if (this.ui.dragging || this.ui.holding) return; // dragend and pointerup schedule a redraw
    if (this.state.restaurant === null) return;
    const focusKey = document.activeElement?.dataset?.key;
    this.#draw();
    if (focusKey) {
      document.querySelector(`[data-key="${CSS.escape(focusKey)}"]`)?.focus({ preventScroll: true });
    }
  }

  /** Stop the clock refresh (sign out). */
  dispose() {
    this.#disposed = true;
    this.timers.forEach(clearInterval);
    if (this.frame !== null) cancelAnimationFrame(this.frame);
  }

  #draw() {
    const { elements, state, ui } = this;
    elements.restaurantName.textContent = state.restaurant.name;
    document.title = `${state.restaurant.name} · hoststand`;
    elements.walkIn.hidden = ui.writable !== true;
    renderQueue(elements, state, ui);
    renderFloor(elements, state, ui);
    refreshClocks(elements.stand);
    elements.summary.textContent = summary(state) + (ui.writable === false ? " · view only" : "");
    elements.summary.hidden = false;
  }
}

function summary(state) {
  const tables = [...state.tables.values()];
  const free = tables.filter((table) => table.status === "available").length;
  const waiting = state.waitlist().length;
  return `${waiting} waiting · ${free} of ${tables.length} tables free`;
}
