// The timeline view, drawn by vis-timeline: one mark per event (the rows that name it are listed on click), a
// point for an exact date and a span for a bounded one (columns ?earliest… and ?latest…), fitted to the data's
// range on open, with zoom and pan.

import { DataSet, Timeline } from "./vendor/vis-timeline.js";
import { el, iriLink } from "./dom.js";
import { renderCell } from "./table.js";
import { DAY, timelineColumns, timelineItems } from "./timelinedata.js";

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
