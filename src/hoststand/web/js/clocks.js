// The numbers on screen that move with time: minutes waited against the quote, minutes
// seated, minutes to a reservation. Rendered once, then refreshed in place every few seconds.

import { h } from "./dom.js";
import { minutesSince, minutesUntil } from "./time.js";

const SOON_MINUTES = 60; // closer than this, a reservation also shows "in 25 min"

const TEXT = {
  wait(element, now) {
    const waited = minutesSince(element.dataset.since, now);
    const quote = element.dataset.quote === undefined ? null : Number(element.dataset.quote);
    const late = quote !== null && waited > quote;
    return { text: quote === null ? `waited ${waited} min` : `waited ${waited} of ${quote} min`, late };
  },
  seated(element, now) {
    return { text: `seated ${minutesSince(element.dataset.since, now)} min`, late: false };
  },
  reservation(element, now) {
    const until = minutesUntil(element.dataset.at, now);
    if (until < 0) return { text: `${-until} min late`, late: true };
    if (until === 0) return { text: "due now", late: false };
    return { text: until <= SOON_MINUTES ? `in ${until} min` : "", late: false };
  },
};

/**
 * A clock of `kind` ("wait", "seated", "reservation") for a row or tile. Lateness shows on
 * the closest element with a [data-late-scope] attribute (a class and a "Late" badge).
 */
export function clock(kind, data, now = Date.now()) {
  const attributes = { class: "clock", "data-clock": kind };
  for (const [key, value] of Object.entries(data)) {
    if (value !== null && value !== undefined) attributes[`data-${key}`] = value;
  }
  const element = h("span", attributes);
  element.textContent = TEXT[kind](element, now).text;
  return element; // lateness shows once it is in the page: see refreshClocks

}

/** Recompute one clock's text and its row's lateness. */
export function updateClock(element, now = Date.now()) {
  const { text, late } = TEXT[element.dataset.clock](element, now);
  element.textContent = text;
  const scope = element.closest("[data-late-scope]");
  if (!scope) return;
  scope.classList.toggle("late", late);
  const badge = scope.querySelector(".badge.late");
  if (badge) badge.hidden = !late;
}

/** Refresh every clock under `root`. */
export function refreshClocks(root, now = Date.now()) {
  for (const element of root.querySelectorAll("[data-clock]")) updateClock(element, now);
}
