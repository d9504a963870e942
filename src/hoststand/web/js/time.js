// Minutes and times as a host reads them, in the restaurant's time zone.

const MINUTE = 60_000;

/** Whole minutes from an ISO timestamp to now (never negative). */
export function minutesSince(iso, now = Date.now()) {
  return Math.max(0, Math.floor((now - Date.parse(iso)) / MINUTE));
}

/** Whole minutes from now until an ISO timestamp (negative once it has passed). */
export function minutesUntil(iso, now = Date.now()) {
  return Math.ceil((Date.parse(iso) - now) / MINUTE);
}

const clockFormats = new Map();
const dayFormats = new Map();

function cached(formats, timeZone, options) {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat(options.locale, { ...options.format, timeZone });
    formats.set(timeZone, format);
  }
  return format;
}

/** "19:30" or "7:30 PM", as the browser's locale writes it, in the restaurant's zone. */
export function clockTime(iso, timeZone) {
  const format = cached(clockFormats, timeZone, { format: { hour: "numeric", minute: "2-digit" } });
  return format.format(new Date(iso));
}

/** "2025-09-01": the calendar day of a moment in the restaurant's zone. */
export function dayOf(moment, timeZone) {
  const format = cached(dayFormats, timeZone, {
    locale: "en-CA",
    format: { year: "numeric", month: "2-digit", day: "2-digit" },
  });
  return format.format(typeof moment === "string" ? new Date(moment) : moment);
}
