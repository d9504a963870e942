// How a party fits a table, as the server judges it and a host says it. A table out of service
// or too small cannot take the party: seating and holding it are refused unless the host
// insists. One meant for more guests than the party (below its min_capacity) can take it, and
// the server never refuses it (two at a six-top on a slow night), but the host is told.

/** "out of service", "too small", "below minimum", or null when the table suits the party. */
export function fitOf(table, partySize) {
  if (table.status === "out_of_service") return "out of service";
  if (!Number.isInteger(partySize)) return null;
  if (partySize > table.capacity) return "too small";
  return partySize < (table.min_capacity ?? 1) ? "below minimum" : null;
}

/** True when the table cannot take the party (as opposed to being roomier than it needs). */
export function unfit(fit) {
  return fit === "out of service" || fit === "too small";
}

/** "for 4 or more": who a table is meant for, beside its name in a list. */
export function meantFor(table) {
  return `for ${table.min_capacity} or more`;
}

/** "Table 6 is meant for 4 to 6 guests": the sentence a host reads before seating fewer there. */
export function meantForSentence(table) {
  return `Table ${table.label} is meant for ${table.min_capacity} to ${table.capacity} guests`;
}
