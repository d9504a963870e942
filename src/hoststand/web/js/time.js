// Minutes and times as a host reads them, in the restaurant's time zone.

const MINUTE = 60_000;
const DAY = 86_400_000;

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

/**
 * How the browser's locale writes an hour: "03" on a 24-hour clock (Chromium writes "3:07" for
 * hour "numeric" even in en-GB or de-DE, where clocks read 03:07), "3" beside AM and PM. Read
 * once: the formats below are built from it on every call, before their cache is looked up.
 */
const HOUR = (() => {
  const { hourCycle } = new Intl.DateTimeFormat(undefined, { hour: "numeric" }).resolvedOptions();
  return hourCycle === "h23" || hourCycle === "h24" ? "2-digit" : "numeric";
})();

/** "03:07", "19:30" or "7:30 PM", as the browser's locale writes it, in the restaurant's zone. */
export function clockTime(iso, timeZone) {
  const format = cached(clockFormats, timeZone, { format: { hour: HOUR, minute: "2-digit" } });
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

const dateFormats = new Map();

/** "today at 19:30", or "Tue, Sep 2, 19:30" on another day: when a reservation is. */
export function dayAndTime(iso, timeZone, now = new Date()) {
  if (dayOf(iso, timeZone) === dayOf(now, timeZone)) return `today at ${clockTime(iso, timeZone)}`;
  const format = cached(dateFormats, timeZone, {
    format: { weekday: "short", month: "short", day: "numeric", hour: HOUR, minute: "2-digit" },
  });
  return format.format(new Date(iso));
}

const wallFormats = new Map();

/** Milliseconds since the epoch of a UTC calendar time (Date.UTC takes 99 for 1999). */
function utc(year, month, day, hour, minute) {
  const date = new Date(Date.UTC(2000, 0, 1, hour, minute));
  return date.setUTCFullYear(year, month - 1, day);
}

/** The {year, month, day, hour, minute} the restaurant's clocks show at a moment (ms). */
function wallParts(ms, timeZone) {
  const format = cached(wallFormats, timeZone, {
    locale: "en-CA",
    format: { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
  });
  const parts = Object.fromEntries(format.formatToParts(ms).map(({ type, value }) => [type, Number(value)]));
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute };
}

/** How far (ms) the restaurant's clocks are ahead of UTC at a moment. */
function zoneOffset(ms, timeZone) {
  const wall = wallParts(ms, timeZone);
  return utc(wall.year, wall.month, wall.day, wall.hour, wall.minute) - (ms - (((ms % MINUTE) + MINUTE) % MINUTE));
}

/** "2025-09-01T19:30": a moment as the restaurant's clocks show it (a datetime-local value). */
export function wallClock(moment, timeZone) {
  const { year, month, day, hour, minute } = wallParts(new Date(moment).getTime(), timeZone);
  const two = (n) => String(n).padStart(2, "0");
  return `${String(year).padStart(4, "0")}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}`;
}

/**
 * The API's timestamp ("2025-09-01T17:30:00Z") of a datetime-local value read on the
 * restaurant's clocks; null when it is not one. A time the clocks show twice (fall back) is the
 * first of the two; one they skip (spring forward) is read with the offset before the change.
 */
export function fromWallClock(value, timeZone) {
  const found = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
  if (!found) return null;
  const [year, month, day, hour, minute] = found.slice(1).map(Number);
  const wall = utc(year, month, day, hour, minute);
  // A zone changes its offset at most once within a day either side of the time.
  const before = wall - zoneOffset(wall - DAY, timeZone);
  const after = wall - zoneOffset(wall + DAY, timeZone);
  const shown = [before, after].filter((moment) => wallClock(moment, timeZone) === value.slice(0, 16));
  const moment = shown.length ? Math.min(...shown) : before;
  return new Date(moment).toISOString().replace(/\.\d{3}Z$/, "Z");
}

const zoneNames = new Map();

/** "UTC+2", "UTC-3:30", "UTC": an offset from UTC (ms) as people write it. */
function utcOffset(ms) {
  const minutes = Math.round(ms / MINUTE);
  if (minutes === 0) return "UTC";
  const hours = Math.floor(Math.abs(minutes) / 60);
  const rest = Math.abs(minutes) % 60;
  return `UTC${minutes > 0 ? "+" : "-"}${hours}${rest ? `:${String(rest).padStart(2, "0")}` : ""}`;
}

/**
 * A zone as a host reads it, not its IANA id: "Paris time (Central European Time)", "UTC+2"
 * (an "Etc/GMT-2" id reads backwards: POSIX signs).
 */
export function zoneName(timeZone, now = Date.now()) {
  const format = cached(zoneNames, timeZone, { locale: "en", format: { timeZoneName: "longGeneric" } });
  const generic = format.formatToParts(now).find((part) => part.type === "timeZoneName")?.value ?? "";
  const named = generic && !/^(GMT|UTC)\b/.test(generic) ? generic : utcOffset(zoneOffset(now, timeZone));
  const place = /^(?!Etc\/)[A-Za-z]+\/(?:[^/]+\/)?([^/]+)$/.exec(timeZone)?.[1].replaceAll("_", " ");
  return place ? `${place} time (${named})` : named;
}

/** "11 hours ahead of this device", "" when its clocks show the restaurant's time. */
export function clockGap(timeZone, now = Date.now()) {
  const here = -new Date(now).getTimezoneOffset() * MINUTE;
  const minutes = Math.round((zoneOffset(now, timeZone) - here) / MINUTE);
  if (minutes === 0) return "";
  const hours = Math.floor(Math.abs(minutes) / 60);
  const rest = Math.abs(minutes) % 60;
  const gap = [hours && `${hours} hour${hours === 1 ? "" : "s"}`, rest && `${rest} minutes`].filter(Boolean).join(" ");
  return `${gap} ${minutes > 0 ? "ahead of" : "behind"} this device`;
}
