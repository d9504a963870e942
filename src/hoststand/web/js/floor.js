// The floor: a tile per table, grouped by section, coloured by status; while a guest is being
// seated (or a seated party moved), the tables they can take offer a "Seat" ("Move") button
// (and accept a waiting guest by drag), and say when they are too small for the party, or meant
// for more guests than it.

import { clock } from "./clocks.js";
import { actionButton } from "./controls.js";
import { h } from "./dom.js";
import { fitOf } from "./fit.js";
import { placeTables, sections } from "./layout.js";
import { clockTime } from "./time.js";

const STATUS_WORDS = {
  available: "Available",
  reserved: "Reserved",
  occupied: "Occupied",
  dirty: "Needs cleaning",
  out_of_service: "Out of service",
};

/** Draw the floor into `floor`, and the "choose a table" banner while seating. */
export function renderFloor({ floor, banner }, state, ui) {
  const seating = ui.seating ? state.guests.get(ui.seating) ?? null : null;
  renderBanner(banner, seating, ui, ui.moving ? state.tables.get(ui.moving) : null);
  floor.classList.toggle("seating", Boolean(seating));
  const groups = sections(state.tablesInOrder());
  if (groups.length === 0) {
    floor.replaceChildren(h("p", { class: "empty" }, "No tables yet: an owner adds them through the API."));
    return;
  }
  const named = groups.some(([name]) => name !== "");
  floor.replaceChildren(...groups.map(([name, tables]) =>
    renderSection(name || (named ? "Other tables" : "Tables"), tables, state, ui, seating)));
}

function renderBanner(banner, seating, ui, from) {
  banner.hidden = !seating;
  if (!seating) return banner.replaceChildren();
  if (from) {
    return banner.replaceChildren(
      h("span", {}, `Move ${seating.name}, party of ${seating.party_size}, from table ${from.label}: choose their new table.`),
      actionButton(ui, { action: "cancel-seating", text: "Cancel move", label: "Cancel move", className: "small" }),
    );
  }
  banner.replaceChildren(
    h("span", {}, `Choose a table for ${seating.name}, party of ${seating.party_size}, or drag them onto one.`),
    actionButton(ui, { action: "cancel-seating", text: "Cancel seating", label: "Cancel seating", className: "small" }),
  );
}

function renderSection(name, tables, state, ui, seating) {
  const { columns, cells } = placeTables(tables);
  const grid = h("div", { class: columns ? "tiles" : "tiles flow" },
    tables.map((table) => renderTile(table, cells.get(table.id), state, ui, seating)));
  // Through the CSSOM, not a style attribute: the page's CSP refuses inline styles.
  if (columns) grid.style.setProperty("--columns", String(columns));
  return h("section", { class: "section", "aria-label": name }, h("h3", {}, name), grid);
}

function renderTile(table, cell, state, ui, seating) {
  const seatable = seating !== null && state.canSeat(table, seating);
  const fit = seatable ? fitOf(table, seating.party_size) : null;
  const classes = ["tile", `status-${table.status}`];
  if (seatable) classes.push("seatable");
  if (fit === "too small") classes.push("too-small");
  if (fit === "below minimum") classes.push("roomy");
  if (seating && ui.moving === table.id) classes.push("moving-from");
  const tile = h("div", {
    class: classes.join(" "),
    role: "group",
    "aria-label": `Table ${table.label}, ${STATUS_WORDS[table.status] ?? table.status}`,
    "data-table-id": table.id,
    "data-status": table.status,
  },
  h("div", { class: "tile-head" },
    h("span", { class: "tile-label" }, table.label),
    h("span", { class: "tile-capacity" }, `${table.capacity} seats`)),
  h("div", { class: "tile-status" }, STATUS_WORDS[table.status] ?? table.status),
  fitWords(fit, table, seating),
  tileDetail(table, state),
  h("div", { class: "actions" }, tileActions(table, state, ui, seatable ? seating : null)));
  if (cell) Object.assign(tile.style, { gridColumn: String(cell.column), gridRow: String(cell.row) });
  return tile;
}

/** While seating: "Too small for 5", "For 4 or more" (the party is below the table's minimum). */
function fitWords(fit, table, seating) {
  if (fit === "too small") return h("div", { class: "tile-fit" }, `Too small for ${seating.party_size}`);
  if (fit === "below minimum") return h("div", { class: "tile-fit" }, `For ${table.min_capacity} or more`);
  return null;
}

function tileDetail(table, state) {
  if (table.status === "occupied") {
    const party = state.partyAt(table);
    if (!party) return h("div", { class: "tile-guest" }, "Seated");
    return h("div", { class: "tile-guest" },
      h("span", { class: "name" }, party.name),
      h("span", { class: "detail" }, `party of ${party.party_size}`),
      h("span", { class: "detail" }, clock("seated", { since: party.seated_at })));
  }
  const hold = state.holdOn(table);
  if (hold) {
    return h("div", { class: "tile-guest detail" },
      `Held for ${hold.name} at ${clockTime(hold.reserved_for, state.timeZone)}`);
  }
  return null;
}

function tileActions(table, state, ui, seating) {
  if (!ui.writable) return null;
  const ids = { tableId: table.id };
  if (seating && ui.moving) {
    return actionButton(ui, {
      action: "move-here", ...ids, guestId: seating.id, className: "primary small",
      text: "Move here", label: `Move ${seating.name} to table ${table.label}`,
    });
  }
  if (seating) {
    return actionButton(ui, {
      action: "seat-here", ...ids, guestId: seating.id, className: "primary small",
      text: `Seat ${seating.name}`, label: `Seat ${seating.name} at table ${table.label}`,
    });
  }
  if (table.status === "occupied") {
    const party = state.partyAt(table);
    return [
      // A seated party's name, size or notes still need fixing at times (two more chairs).
      party ? actionButton(ui, { action: "edit", guestId: party.id, text: "Edit", label: `Edit ${party.name}` }) : null,
      // A party that asks for another table moves there, still seated (its time goes on).
      party ? actionButton(ui, { action: "move", ...ids, text: "Move", label: `Move the party at table ${table.label}` }) : null,
      actionButton(ui, { action: "release", ...ids, text: "Release", label: `Release table ${table.label}` }),
    ];
  }
  if (table.status === "dirty") {
    return actionButton(ui, { action: "clean", ...ids, text: "Mark clean", label: `Mark clean: table ${table.label}` });
  }
  return null;
}
