// The graph view, drawn by Cytoscape.js: for CONSTRUCT and DESCRIBE results every triple whose object is an IRI or
// blank node is an edge subject → object labelled by the predicate's prefixed name, and literal objects are
// attributes of their subject (rdfs:label gives the node its name); for SELECT results the user picks the two
// columns to connect (and optionally the column that labels the edges).

import cytoscape from "./vendor/cytoscape.js";
import { BASE, el, localHref, shortName } from "./dom.js";
import { MAX_NODES, graphOf, graphUnavailable, nodeName } from "./graphdata.js";

// Cytoscape adds a <style> element (position: relative on its container) unless an element with this id exists;
// the page's CSP refuses inline styles, so the rule is in app.css and this marker stands in for the element.
const CY_STYLE_ID = "__________cytoscape_stylesheet";

// Labels too small to read at the current zoom are not drawn (min-zoomed-font-size): a 500-node graph shows its
// shape first and its names as one zooms in.
const STYLE = [
  { selector: "node", style: { "background-color": "#1f4e79", label: "data(name)", "font-size": 10, color: "#1d2430", "text-valign": "bottom", "text-margin-y": 3, "text-wrap": "ellipsis", "text-max-width": 140, "text-outline-color": "#fff", "text-outline-width": 2, "min-zoomed-font-size": 9, width: "data(size)", height: "data(size)" } },
  { selector: "node.external", style: { "background-color": "#b7862b" } },
  { selector: "node.bnode", style: { "background-color": "#8a94a3", shape: "round-rectangle" } },
  { selector: "node:selected", style: { "border-width": 3, "border-color": "#b7862b" } },
  { selector: "edge", style: { width: 1.2, "line-color": "#aab4c2", "target-arrow-color": "#aab4c2", "target-arrow-shape": "triangle", "curve-style": "bezier", label: "data(label)", "font-size": 8, color: "#5b6675", "text-rotation": "autorotate", "text-background-color": "#fff", "text-background-opacity": 0.8, "text-background-padding": 1, "min-zoomed-font-size": 9 } },
];

/** Draw the result's graph into `target` (Cytoscape, fCoSE layout), with a text list of the edges beside it. */
export function renderGraph(target, result, pick = {}) {
  const reason = graphUnavailable(result, pick);
  if (reason) {
    target.append(el("p", { class: "empty" }, `No graph: ${reason}. 無法繪製關係圖。`));
    return null;
  }
  if (!document.getElementById(CY_STYLE_ID)) document.head.append(el("meta", { id: CY_STYLE_ID, name: "cytoscape-style", content: "app.css" }));
  const { nodes, edges, cut } = graphOf(result, pick);
  const degree = new Map();
  for (const e of edges) for (const id of [e.source, e.target]) degree.set(id, (degree.get(id) || 0) + 1);
  const canvas = el("div", { class: "graph-canvas", role: "img", "aria-label": `Graph of ${nodes.length} resources and ${edges.length} links` });
  const details = el("aside", { class: "graph-details", "aria-live": "polite" }, el("p", { class: "empty" }, "Click a node for its details. 點選節點檢視細節。"));
  const fit = el("button", { type: "button", class: "graph-fit" }, "Fit 全圖");
  const note = `${nodes.length} resources, ${edges.length} links${cut ? ` (the first ${MAX_NODES} resources only)` : ""}; drag to pan, scroll to zoom.`;
  target.append(el("p", { class: "view-note" }, note, " ", fit), el("div", { class: "graph-wrapper", "data-nodes": nodes.length, "data-edges": edges.length }, canvas, details), edgeList(nodes, edges));
  const cy = cytoscape({
    container: canvas,
    elements: [
      ...nodes.map((n) => ({ data: { id: n.id, name: shorten(nodeName(n)), size: Math.min(10 + 2 * (degree.get(n.id) || 0), 36) }, classes: n.kind === "bnode" ? "bnode" : n.iri.startsWith(BASE) ? "" : "external" })),
      ...edges.map((e) => ({ data: e })),
    ],
    style: STYLE,
    layout: { name: nodes.length > 1 ? "fcose" : "grid", animate: false, randomize: true, nodeRepulsion: 6000, idealEdgeLength: 90, quality: nodes.length > 300 ? "draft" : "default" },
    minZoom: 0.05,
    maxZoom: 4,
  });
  const byId = new Map(nodes.map((n) => [n.id, n]));
  cy.on("tap", "node", (event) => showNode(details, byId.get(event.target.id()), edges));
  fit.addEventListener("click", () => cy.fit(undefined, 20));
  return cy;
}

function shorten(text) {
  return text.length > 48 ? text.slice(0, 47) + "…" : text;
}

function showNode(panel, node, edges) {
  panel.replaceChildren();
  const href = node.iri ? localHref(node.iri) : null;
  panel.append(el("h3", {}, href ? el("a", { href }, nodeName(node)) : nodeName(node)));
  if (node.iri) panel.append(el("p", {}, el("code", { class: "iri" }, shortName(node.iri))));
  if (node.attributes.length) {
    panel.append(el("dl", { class: "graph-attributes" }, node.attributes.flatMap((a) => [el("dt", {}, a.label), el("dd", a.lang ? { lang: a.lang } : {}, a.value)])));
  }
  const links = edges.filter((e) => e.source === node.id || e.target === node.id).length;
  panel.append(el("p", { class: "view-note" }, `${links} link${links === 1 ? "" : "s"}`));
}

/** The edges as text (for screen readers, search in page and tests): "source —label→ target". */
function edgeList(nodes, edges) {
  const names = new Map(nodes.map((n) => [n.id, nodeName(n)]));
  return el(
    "details",
    { class: "graph-text" },
    el("summary", {}, `The ${edges.length} links as text 以文字列出連結`),
    el("ol", { class: "graph-edges" }, edges.map((e) => el("li", { "data-source": e.source, "data-target": e.target, "data-label": e.label }, `${names.get(e.source)} —${e.label || "→"}→ ${names.get(e.target)}`))),
  );
}
