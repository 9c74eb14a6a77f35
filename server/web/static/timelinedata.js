// The timeline of a result, without drawing it: its date columns (exact, or ?earliest…/?latest… bounds) and one mark
// per event. timeline.js draws the marks with vis-timeline, loaded only when the Timeline view is opened.

import { cellText } from "./dom.js";

const XSD = "http://www.w3.org/2001/XMLSchema#";
const DATE_TYPES = new Set(["date", "dateTime", "gYear", "gYearMonth", "dateTimeStamp"].map((t) => XSD + t));
const PLAIN_DATE = /^(-?\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T[\d:.]+(?:Z|[+-]\d{2}:\d{2})?)?$/;
export const DAY = 86400000;

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
