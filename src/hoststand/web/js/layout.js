// Where each table goes within its section: on a grid that follows the floor plan's x/y when
// tables have them (keeping their left-to-right and front-to-back order), else a tidy flow.

const MAX_COLUMNS = 6; // wider plans are squeezed so that a tablet never scrolls sideways

/** The grid cell of each value: its rank among the distinct values, squeezed to `limit`. */
function ranks(values, limit) {
  const distinct = [...new Set(values)].sort((a, b) => a - b);
  const squeeze = distinct.length > limit ? limit / distinct.length : 1;
  return new Map(distinct.map((value, index) => [value, Math.floor(index * squeeze) + 1]));
}

/**
 * {columns, cells}: columns of the section's grid (null for a plain flow) and, per table id,
 * its {column, row}. Tables without x/y, or landing on a taken cell, are left to the flow.
 */
export function placeTables(tables) {
  const placed = tables.filter((table) => table.x !== null && table.y !== null);
  const cells = new Map();
  if (placed.length === 0) return { columns: null, cells };
  const columns = ranks(placed.map((table) => table.x), MAX_COLUMNS);
  const rows = ranks(placed.map((table) => table.y), Number.POSITIVE_INFINITY);
  const taken = new Set();
  for (const table of placed) {
    const cell = { column: columns.get(table.x), row: rows.get(table.y) };
    const key = `${cell.column}:${cell.row}`;
    if (taken.has(key)) continue;
    taken.add(key);
    cells.set(table.id, cell);
  }
  return { columns: Math.max(...columns.values()), cells };
}

/** Tables grouped by section, named sections first (alphabetically), the unnamed last. */
export function sections(tables) {
  const groups = new Map();
  for (const table of tables) {
    const name = table.section ?? "";
    if (!groups.has(name)) groups.set(name, []);
    groups.get(name).push(table);
  }
  return [...groups.entries()].sort(([a], [b]) => (a === "") - (b === "") || a.localeCompare(b));
}
