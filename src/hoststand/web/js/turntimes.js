// A reservation's stay by party size: the restaurant's turn times, read as the server reads
// them when a reservation is made without a stay (Restaurant.duration_for in domain/entities.py).

/**
 * The minutes a party of `partySize` stays by default: the first turn time whose
 * max_party_size covers it, else the largest one's; null when the restaurant has none.
 */
export function stayFor(restaurant, partySize) {
  const times = [...(restaurant?.turn_times ?? [])].sort((a, b) => a.max_party_size - b.max_party_size);
  if (times.length === 0 || !Number.isInteger(partySize) || partySize < 1) return null;
  return (times.find((time) => partySize <= time.max_party_size) ?? times.at(-1)).minutes;
}
