// Bar and line charts in hand-written SVG: the first column gives the x categories, every numeric column is a
// series, and a '#unit:' comment of the query labels the value axis. They stay ours rather than a library's: a
// few kB that already draw what the examples need (grouped bars, lines, tooltips, bilingual labels), where
// ECharts or Observable Plot would add 300 kB or more for the same two charts.

import { cellText, el, numberOf, svg } from "./dom.js";

const MARGIN = { top: 56, right: 24, bottom: 72, left: 84 };
const HEIGHT = 440;

/** {x, series} when the result can be charted (some column after the first is numeric), else null. */
export function chartSpec(result) {
  if (!result.head || !result.head.vars || result.head.vars.length < 2) return null;
  const [x, ...rest] = result.head.vars;
  const rows = result.results.bindings;
  const series = rest.filter((v) => {
    const cells = rows.map((r) => r[v]).filter(Boolean);
    return cells.length > 0 && cells.every((c) => numberOf(c) !== null);
  });
  return series.length && rows.length ? { x, series } : null;
}

/** "Nice" axis ticks covering [min, max]. */
export function niceTicks(min, max, count = 6) {
  const span = max - min || Math.abs(max) || 1;
  const rough = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const ratio = rough / magnitude;
  const step = (ratio >= 7.5 ? 10 : ratio >= 3.5 ? 5 : ratio >= 1.5 ? 2 : 1) * magnitude;
  const ticks = [];
  for (let t = Math.floor(min / step) * step; t <= Math.ceil(max / step) * step + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** Draw a 'bar' or 'line' chart of the result into `target`; `unit` (from a '#unit:' comment) labels the value axis. */
export function renderChart(target, result, kind, unit = "") {
  const spec = chartSpec(result);
  if (!spec) {
    target.append(el("p", { class: "empty" }, "Nothing to chart: no numeric column after the first. 無數值欄位可繪圖。"));
    return;
  }
  const rows = result.results.bindings;
  const width = Math.max(target.clientWidth || 0, 560, rows.length * spec.series.length * 10 + MARGIN.left + MARGIN.right);
  const values = rows.flatMap((r) => spec.series.map((s) => numberOf(r[s]))).filter((v) => v !== null);
  const ticks = niceTicks(Math.min(0, ...values), Math.max(0, ...values));
  const plot = { x0: MARGIN.left, x1: width - MARGIN.right, y0: HEIGHT - MARGIN.bottom, y1: MARGIN.top };
  const y = (v) => plot.y0 - ((v - ticks[0]) / (ticks[ticks.length - 1] - ticks[0])) * (plot.y0 - plot.y1);
  const band = (plot.x1 - plot.x0) / rows.length;
  const chart = svg("svg", {
    class: `chart chart-${kind}`, viewBox: `0 0 ${width} ${HEIGHT}`, width, height: HEIGHT, role: "img",
    "aria-label": `${kind === "bar" ? "Bar" : "Line"} chart of ${spec.series.join(", ")} by ${spec.x}`,
  });
  chart.append(yAxis(plot, ticks, y, spec, unit), xAxis(plot, rows, spec, band));
  chart.append(kind === "bar" ? bars(rows, spec, plot, band, y) : lines(rows, spec, plot, band, y));
  chart.append(legend(spec.series, plot));
  target.append(el("div", { class: "chart-wrapper" }, chart));
}

function yAxis(plot, ticks, y, spec, unit) {
  const group = svg("g", { class: "axis axis-y" });
  for (const tick of ticks) {
    group.append(
      svg("line", { x1: plot.x0, x2: plot.x1, y1: y(tick), y2: y(tick), class: tick === 0 ? "zero-line" : "grid-line" }),
      svg("text", { x: plot.x0 - 8, y: y(tick) + 4, "text-anchor": "end", class: "tick-label" }, tick.toLocaleString("en")),
    );
  }
  const middle = (plot.y0 + plot.y1) / 2;
  group.append(svg("text", { x: 16, y: middle, transform: `rotate(-90 16 ${middle})`, "text-anchor": "middle", class: "axis-label axis-label-y" }, spec.series.join(", ") + (unit ? ` (${unit})` : "")));
  return group;
}

function xAxis(plot, rows, spec, band) {
  const group = svg("g", { class: "axis axis-x" });
  group.append(svg("line", { x1: plot.x0, x2: plot.x1, y1: plot.y0, y2: plot.y0, class: "axis-line" }));
  const rotate = band < 56;
  rows.forEach((row, i) => {
    const cx = plot.x0 + band * (i + 0.5);
    const label = cellText(row[spec.x]);
    const attrs = { x: cx, y: plot.y0 + 18, "text-anchor": rotate ? "end" : "middle", class: "tick-label x-tick" };
    if (rotate) attrs.transform = `rotate(-40 ${cx} ${plot.y0 + 18})`;
    group.append(svg("text", attrs, label.length > 28 ? label.slice(0, 27) + "…" : label));
  });
  group.append(svg("text", { x: (plot.x0 + plot.x1) / 2, y: HEIGHT - 10, "text-anchor": "middle", class: "axis-label" }, spec.x));
  return group;
}

function bars(rows, spec, plot, band, y) {
  const group = svg("g", { class: "bars" });
  const inner = (band * 0.8) / spec.series.length;
  rows.forEach((row, i) => {
    const category = cellText(row[spec.x]);
    spec.series.forEach((name, s) => {
      const value = numberOf(row[name]);
      if (value === null) return;
      const top = Math.min(y(value), y(0));
      const rect = svg("rect", {
        x: plot.x0 + band * i + band * 0.1 + inner * s, y: top, width: Math.max(inner - 1, 1), height: Math.max(Math.abs(y(value) - y(0)), 0.5),
        class: `bar series-${s % 8}`, "data-x": category, "data-series": name, "data-value": value,
      });
      rect.append(svg("title", {}, `${category} · ${name}: ${value.toLocaleString("en")}`));
      group.append(rect);
    });
  });
  return group;
}

function lines(rows, spec, plot, band, y) {
  const group = svg("g", { class: "lines" });
  spec.series.forEach((name, s) => {
    const points = [];
    rows.forEach((row, i) => {
      const value = numberOf(row[name]);
      if (value !== null) points.push({ x: plot.x0 + band * (i + 0.5), y: y(value), value, category: cellText(row[spec.x]) });
    });
    group.append(svg("polyline", { points: points.map((p) => `${p.x},${p.y}`).join(" "), class: `line series-${s % 8}`, "data-series": name }));
    for (const p of points) {
      const dot = svg("circle", { cx: p.x, cy: p.y, r: 4, class: `point series-${s % 8}`, "data-x": p.category, "data-series": name, "data-value": p.value });
      dot.append(svg("title", {}, `${p.category} · ${name}: ${p.value.toLocaleString("en")}`));
      group.append(dot);
    }
  });
  return group;
}

function legend(series, plot) {
  const group = svg("g", { class: "legend" });
  let x = plot.x0;
  series.forEach((name, s) => {
    group.append(
      svg("rect", { x, y: 14, width: 14, height: 14, class: `swatch series-${s % 8}` }),
      svg("text", { x: x + 20, y: 26, class: "legend-label" }, name),
    );
    x += 34 + name.length * 8;
  });
  return group;
}
