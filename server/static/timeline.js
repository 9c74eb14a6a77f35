// The timeline view, drawn by vis-timeline: one mark per event (the rows that name it are listed on click), a
// point for an exact date and a span for a bounded one (columns ?earliest… and ?latest…), fitted to the data's
// range on open, with zoom and pan.

import { DataSet, Timeline } from "./vendor/vis-timeline.js";
import { cellText, el, iriLink } from "./dom.js";
import { renderCell } from "./table.js";

const XSD = "http://www.w3.org/2001/XMLSchema#";
const DATE_TYPES = new Set(["date", "dateTime", "gYear", "gYearMonth", "dateTimeStamp"].map((t) => XSD + t));
const PLAIN_DATE = /^(-?\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T[\d:.]+(?:Z|[+-]\d{2}:\d{2})?)?$/;
const DAY = 86400000;

/** {start, end, precision} (Dates of the first and last day) of an xsd:date/gYear/gYearMonth cell or a string like 1991-07, else null. */
export function parseDate(cell) {
  if (!cell || cell.type !== "literal" || cell["xml:lang"]) return null;
  if (cell.datatype && !DATE_TYPES.has(cell.datatype) && cell.datatype !== XSD + "string") return null;
  const match = cell.value.trim().match(PLAIN_DATE);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), match[2] ? Number(match[2]) : null, match[3] ? Number(match[3]) : null];
  if ((month !== null && (month < 1 || month > 12)) || (day !== null && (day < 1 || day > 31))) return null;
  const start = utc(year, month ? month - 1 : 0, day || 1);
  const end = day ? start : month ? utc(year, month, 0) : utc(year, 11, 31);
  return { start, end, precision: day ? "day" : month ? "month" : "year", text: cell.value };
}

function utc(year, month, day) {
  const date = new Date(Date.UTC(2000, month, day));
  date.setUTCFullYear(year);
  return date;
}

function mostlyDates(rows, v) {
  const cells = rows.map((r) => r[v]).filter(Boolean);
  return cells.length > 0 && cells.filter((c) => parseDate(c)).length >= cells.length / 2;
}

/** The columns the timeline reads: {date, earliest, latest, event, label, zh}, or null when there is no date column. */
export function timelineColumns(result) {
  if (!result.head || !result.head.vars || !result.results) return null;
  const vars = result.head.vars;
  const rows = result.results.bindings;
  const earliest = vars.find((v) => /^earliest/i.test(v) && mostlyDates(rows, v)) || null;
  const latest = vars.find((v) => /^latest/i.test(v) && mostlyDates(rows, v)) || null;
  const date = vars.find((v) => v !== earliest && v !== latest && mostlyDates(rows, v)) || null;
  if (!date && !earliest && !latest) return null;
  const iris = vars.filter((v) => rows.some((r) => r[v] && r[v].type === "uri"));
  const literal = vars.filter((v) => ![date, earliest, latest].includes(v) && rows.some((r) => r[v] && r[v].type === "literal"));
  const langOf = (v, prefix) => rows.some((r) => r[v] && (r[v]["xml:lang"] || "").toLowerCase().startsWith(prefix));
  return {
    date, earliest, latest,
    event: iris.find((v) => v === "event") || iris[0] || null,
    label: literal.find((v) => langOf(v, "en")) || literal.find((v) => !langOf(v, "zh")) || literal[0] || null,
    zh: literal.find((v) => langOf(v, "zh")) || null,
  };
}

/** The marks of a result: one per event (by IRI, else by label and date), each with its rows. */
export function timelineItems(result, columns) {
  const groups = new Map();
  for (const row of result.results.bindings) {
    const exact = columns.date ? parseDate(row[columns.date]) : null;
    const low = columns.earliest ? parseDate(row[columns.earliest]) : null;
    const high = columns.latest ? parseDate(row[columns.latest]) : null;
    if (!exact && !low && !high) continue;
    const label = columns.label && row[columns.label] ? row[columns.label].value : columns.event && row[columns.event] ? cellText(row[columns.event]) : "";
    const key = columns.event && row[columns.event] ? row[columns.event].value : `${label}\u0000${exact ? exact.text : ""}`;
    if (!groups.has(key)) groups.set(key, { key, label, zh: columns.zh && row[columns.zh] ? row[columns.zh].value : "", rows: [], exact: [], low: [], high: [] });
    const group = groups.get(key);
    group.rows.push(row);
    if (exact) group.exact.push(exact);
    if (low) group.low.push(low);
    if (high) group.high.push(high);
  }
  return [...groups.values()].map((group, i) => ({ ...group, id: i, ...when(group) }));
}

/** Where a group's mark goes: the earliest exact date as a point, else a span over its bounds. */
function when(group) {
  const first = (dates, pick) => dates.reduce((a, b) => (pick(a, b) ? a : b));
  if (group.exact.length) {
    const date = first(group.exact, (a, b) => a.start <= b.start);
    return { type: "point", start: date.start, text: date.text, precision: date.precision };
  }
  const low = group.low.length ? first(group.low, (a, b) => a.start <= b.start) : null;
  const high = group.high.length ? first(group.high, (a, b) => a.end >= b.end) : null;
  if (low && high) return { type: "range", start: low.start, end: new Date(high.end.getTime() + DAY), text: `${low.text} – ${high.text}`, precision: "bounded" };
  return { type: "point", start: low ? low.start : high.end, text: low ? `≥ ${low.text}` : `≤ ${high.text}`, precision: low ? "after" : "before" };
}

/** Draw the timeline of the result into `target`; returns the vis Timeline (or null when nothing is dated). */
export function renderTimeline(target, result) {
  const columns = timelineColumns(result);
  const items = columns ? timelineItems(result, columns) : [];
  if (!items.length) {
    target.append(el("p", { class: "empty" }, "No date column (xsd:date, xsd:gYear, xsd:gYearMonth, strings like 1991-07, or ?earliest…/?latest… bounds). 無日期欄位。"));
    return null;
  }
  const spans = items.filter((i) => i.type === "range").length;
  const details = el("aside", { class: "timeline-details", "aria-live": "polite" }, el("p", { class: "empty" }, "Click a mark for its rows. 點選標記檢視資料。"));
  const canvas = el("div", { class: "timeline-canvas" });
  const fit = el("button", { type: "button", class: "timeline-fit" }, "Fit 全覽");
  target.append(
    el("p", { class: "view-note" }, `${items.length} events from ${result.results.bindings.length} rows; scroll or pinch to zoom, drag to pan. `, fit),
    legend(spans),
    el("div", { class: "timeline-wrapper", "data-items": items.length, "data-spans": spans }, canvas, details),
  );
  const data = new DataSet(items.map((item) => ({
    id: item.id, type: item.type, start: item.start, end: item.end, title: `${item.label} · ${item.text}`,
    className: `tl-${item.precision}`, content: el("span", { class: "tl-content", "data-key": item.key }, shorten(item.label), " ", el("span", { class: "tl-date" }, item.text)),
  })));
  const [low, high] = range(items);
  const pad = Math.max((high - low) * 0.03, 180 * DAY);
  const timeline = new Timeline(canvas, data, {
    stack: true, showCurrentTime: false, orientation: { axis: "top", item: "top" }, zoomKey: "", horizontalScroll: false, verticalScroll: true, maxHeight: 620,
    min: new Date(low - 10 * pad), max: new Date(high + 10 * pad), start: new Date(low - pad), end: new Date(high + pad),
    zoomMin: 30 * DAY, margin: { item: { horizontal: 2, vertical: 4 } }, tooltip: { followMouse: true },
  });
  timeline.on("select", ({ items: chosen }) => showRows(details, items[chosen[0]], result.head.vars));
  fit.addEventListener("click", () => timeline.fit());
  return timeline;
}

function range(items) {
  const starts = items.map((i) => i.start.getTime());
  const ends = items.map((i) => (i.end || i.start).getTime());
  return [Math.min(...starts), Math.max(...ends)];
}

function shorten(text) {
  return text.length > 60 ? text.slice(0, 59) + "…" : text;
}

function legend(spans) {
  return el(
    "p",
    { class: "timeline-legend" },
    el("span", { class: "legend-point" }, "● exact date (day, month or year) 確切日期"),
    el("span", { class: "legend-range" }, `▬ bounded date, drawn from the earliest to the latest bound 日期區間 (${spans})`),
    el("span", { class: "legend-open" }, "◆ one bound only (≥ not before, ≤ not after) 單邊界"),
  );
}

/** The rows of one mark as a small table in the side panel. */
function showRows(panel, item, vars) {
  panel.replaceChildren();
  if (!item) return;
  panel.append(el("h3", {}, item.label, item.zh ? el("span", { lang: "zh-Hant", class: "tl-zh" }, " ", item.zh) : null));
  if (/^https?:/.test(item.key)) panel.append(el("p", {}, iriLink(item.key)));
  panel.append(el("p", { class: "view-note" }, `${item.text} · ${item.rows.length} row${item.rows.length === 1 ? "" : "s"}`));
  const list = el("ol", { class: "timeline-rows" });
  for (const row of item.rows) {
    list.append(el("li", {}, el("dl", {}, vars.filter((v) => row[v]).flatMap((v) => [el("dt", {}, "?" + v), el("dd", {}, renderCell(row[v]))]))));
  }
  panel.append(list);
}
