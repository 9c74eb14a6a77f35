// The timeline view: results with a date-like column as labelled marks on an SVG time axis.

import { cellText, el, localHref, svg } from "./dom.js";

const XSD = "http://www.w3.org/2001/XMLSchema#";
const DATE_TYPES = new Set(["date", "dateTime", "gYear", "gYearMonth", "dateTimeStamp"].map((t) => XSD + t));
const PLAIN_DATE = /^(-?\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T[\d:.]+(?:Z|[+-]\d{2}:\d{2})?)?$/;
const AXIS_Y = 44;
const LANE = 20;
const MAX_LANES = 18;

/** {year, month, day, t, precision} for an xsd:date/gYear/gYearMonth cell or a string like 1991-07, else null. */
export function parseDate(cell) {
  if (!cell || cell.type !== "literal") return null;
  if (cell.datatype && !DATE_TYPES.has(cell.datatype) && cell.datatype !== XSD + "string") return null;
  if (cell["xml:lang"]) return null;
  const match = cell.value.trim().match(PLAIN_DATE);
  if (!match) return null;
  const year = Number(match[1]);
  const month = match[2] ? Number(match[2]) : null;
  const day = match[3] ? Number(match[3]) : null;
  if ((month !== null && (month < 1 || month > 12)) || (day !== null && (day < 1 || day > 31))) return null;
  const t = year + (month ? (month - 1) / 12 : 0) + (day ? (day - 1) / 365 : 0);
  return { year, month, day, t, precision: day ? "day" : month ? "month" : "year" };
}

/** The first column whose values are mostly dates, or null. */
export function dateColumn(result) {
  if (!result.head || !result.head.vars) return null;
  const rows = result.results.bindings;
  return (
    result.head.vars.find((v) => {
      const cells = rows.map((r) => r[v]).filter(Boolean);
      return cells.length > 0 && cells.filter((c) => parseDate(c)).length >= cells.length / 2;
    }) || null
  );
}

/** The columns that name an event: literal columns other than the date, IRIs as a fallback. */
function labelColumns(result, dateVar) {
  const rows = result.results.bindings;
  const others = result.head.vars.filter((v) => v !== dateVar);
  const literal = others.filter((v) => rows.some((r) => r[v] && r[v].type === "literal" && !parseDate(r[v])));
  const english = literal.filter((v) => rows.some((r) => r[v] && (r[v]["xml:lang"] || "").startsWith("en")));
  return { main: english[0] || literal[0] || others[0] || null, link: others.find((v) => rows.some((r) => r[v] && r[v].type === "uri")) || null };
}

/** Estimated width in pixels of a label (CJK characters are wider). */
function textWidth(text) {
  let width = 0;
  for (const char of text) width += /[\u2e80-\uffef]/.test(char) ? 13 : 6.6;
  return width;
}

/** Draw the timeline of the result into `target`. */
export function renderTimeline(target, result) {
  const dateVar = dateColumn(result);
  if (!dateVar) {
    target.append(el("p", { class: "empty" }, "No date column (xsd:date, xsd:gYear, xsd:gYearMonth or strings like 1991-07). 無日期欄位。"));
    return;
  }
  const { main, link } = labelColumns(result, dateVar);
  const events = result.results.bindings
    .map((row) => ({ row, date: parseDate(row[dateVar]), value: row[dateVar] ? row[dateVar].value : "" }))
    .filter((e) => e.date)
    .sort((a, b) => a.date.t - b.date.t);
  const first = Math.floor(events[0].date.t);
  const last = Math.floor(events[events.length - 1].date.t) + 1;
  let width = Math.max(target.clientWidth || 0, 640, (last - first) * 36);
  let x;
  let lanes;
  for (let attempt = 0; attempt < 4; attempt += 1) {
    const span = width - 220;
    x = (t) => 24 + ((t - first) / (last - first)) * span;
    lanes = placeLabels(events, x, main);
    if (Math.max(...lanes.map((e) => e.lane)) < MAX_LANES || width > 12000) break;
    width = Math.round(width * 1.5);
  }
  const height = AXIS_Y + (Math.max(...lanes.map((e) => e.lane)) + 2) * LANE;
  const right = Math.max(width, ...lanes.map((e) => e.end + 12));
  const chart = svg("svg", { class: "timeline", viewBox: `0 0 ${right} ${height}`, width: right, height, role: "img", "aria-label": `Timeline of ${events.length} dated rows by ${dateVar}` });
  chart.append(axis(first, last, x, height));
  for (const item of lanes) chart.append(mark(item, x, link, result.head.vars));
  target.append(el("p", { class: "view-note" }, `${events.length} dated rows on ?${dateVar}; label from ?${main || dateVar}.`));
  target.append(el("div", { class: "timeline-wrapper" }, chart));
}

function placeLabels(events, x, main) {
  const laneEnds = [];
  return events.map((event) => {
    const label = main ? cellText(event.row[main]) : event.row[Object.keys(event.row)[0]].value;
    const start = x(event.date.t);
    let lane = laneEnds.findIndex((end) => end < start - 6);
    if (lane < 0) {
      lane = laneEnds.length;
      laneEnds.push(0);
    }
    const text = label.length > 60 ? label.slice(0, 59) + "…" : label;
    laneEnds[lane] = start + 10 + textWidth(text);
    return { ...event, lane, text, label, end: laneEnds[lane] };
  });
}

function axis(first, last, x, height) {
  const group = svg("g", { class: "axis timeline-axis" });
  group.append(svg("line", { x1: x(first), x2: x(last), y1: AXIS_Y, y2: AXIS_Y, class: "axis-line" }));
  const span = last - first;
  const step = [1, 2, 5, 10, 20, 50, 100].find((s) => (x(first + s) - x(first)) >= 44) || 100;
  for (let year = Math.ceil(first / step) * step; year <= last; year += step) {
    group.append(
      svg("line", { x1: x(year), x2: x(year), y1: AXIS_Y - 6, y2: height, class: "grid-line" }),
      svg("text", { x: x(year), y: AXIS_Y - 12, "text-anchor": "middle", class: "tick-label" }, String(year)),
    );
  }
  group.append(svg("title", {}, `${first}–${last} (${span} years)`));
  return group;
}

function mark(item, x, link, vars) {
  const cx = x(item.date.t);
  const y = AXIS_Y + (item.lane + 1) * LANE;
  const tooltip = vars.filter((v) => item.row[v]).map((v) => `${v}: ${cellText(item.row[v])}`).join("\n");
  const group = svg("g", { class: `tl-event precision-${item.date.precision}`, "data-date": item.value });
  group.append(
    svg("line", { x1: cx, x2: cx, y1: AXIS_Y, y2: y - 4, class: "tl-stem" }),
    svg("circle", { cx, cy: AXIS_Y, r: 5, class: "tl-mark" }),
    svg("circle", { cx, cy: y - 4, r: 2.5, class: "tl-dot" }),
  );
  const text = svg("text", { x: cx + 6, y, class: "tl-label" }, item.text);
  const target = link && item.row[link] ? svg("a", { href: localHref(item.row[link].value) }, text) : text;
  group.append(target, svg("title", {}, tooltip));
  return group;
}
