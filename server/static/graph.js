// The graph view: the IRIs of a result as nodes, each row linking its consecutive IRI columns;
// laid out by a small force simulation and drawn in SVG.

import { el, localHref, nameOf, svg } from "./dom.js";

const MAX_NODES = 300;

/** {nodes, edges} of a result: nodes are IRIs, edges join the IRI cells of a row in column order. */
export function graphOf(result) {
  const nodes = new Map();
  const edges = new Map();
  const vars = result.head.vars || [];
  for (const row of result.results.bindings) {
    const iris = vars.filter((v) => row[v] && row[v].type === "uri").map((v) => ({ v, iri: row[v].value }));
    for (const { iri } of iris) if (!nodes.has(iri) && nodes.size < MAX_NODES) nodes.set(iri, { iri, degree: 0 });
    for (let i = 1; i < iris.length; i += 1) {
      const [a, b] = [iris[i - 1], iris[i]];
      if (a.iri === b.iri || !nodes.has(a.iri) || !nodes.has(b.iri)) continue;
      const key = `${a.iri} ${b.iri}`;
      if (!edges.has(key)) {
        edges.set(key, { source: nodes.get(a.iri), target: nodes.get(b.iri), label: b.v });
        nodes.get(a.iri).degree += 1;
        nodes.get(b.iri).degree += 1;
      }
    }
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}

/** Lay out the nodes (x, y in [0, width] x [0, height]) with a deterministic force simulation. */
export function layout(nodes, edges, width, height) {
  const n = nodes.length;
  nodes.forEach((node, i) => {
    const angle = (2 * Math.PI * i) / Math.max(n, 1);
    const radius = Math.min(width, height) * 0.35 * (0.6 + 0.4 * ((i * 7919) % 13) / 13);
    node.x = width / 2 + radius * Math.cos(angle);
    node.y = height / 2 + radius * Math.sin(angle);
  });
  const k = Math.sqrt((width * height) / Math.max(n, 1)) * 0.75;
  const iterations = n > 150 ? 160 : 300;
  for (let step = 0; step < iterations; step += 1) {
    const temperature = (Math.min(width, height) / 8) * (1 - step / iterations) + 1;
    for (const node of nodes) node.dx = node.dy = 0;
    repel(nodes, k);
    attract(edges, k);
    for (const node of nodes) move(node, temperature, width, height);
  }
}

function repel(nodes, k) {
  for (let i = 0; i < nodes.length; i += 1) {
    for (let j = i + 1; j < nodes.length; j += 1) {
      const a = nodes[i];
      const b = nodes[j];
      let dx = a.x - b.x;
      let dy = a.y - b.y;
      let distance = Math.hypot(dx, dy);
      if (distance < 0.01) {
        dx = (i % 3) - 1 || 1;
        dy = (j % 3) - 1 || 1;
        distance = 1;
      }
      const force = (k * k) / distance;
      a.dx += (dx / distance) * force;
      a.dy += (dy / distance) * force;
      b.dx -= (dx / distance) * force;
      b.dy -= (dy / distance) * force;
    }
  }
}

function attract(edges, k) {
  for (const { source, target } of edges) {
    const dx = source.x - target.x;
    const dy = source.y - target.y;
    const distance = Math.max(Math.hypot(dx, dy), 0.01);
    const force = (distance * distance) / k;
    source.dx -= (dx / distance) * force;
    source.dy -= (dy / distance) * force;
    target.dx += (dx / distance) * force;
    target.dy += (dy / distance) * force;
  }
}

function move(node, temperature, width, height) {
  node.dx += (width / 2 - node.x) * 0.02;
  node.dy += (height / 2 - node.y) * 0.02;
  const length = Math.max(Math.hypot(node.dx, node.dy), 0.01);
  node.x = Math.min(width - 20, Math.max(20, node.x + (node.dx / length) * Math.min(length, temperature)));
  node.y = Math.min(height - 20, Math.max(20, node.y + (node.dy / length) * Math.min(length, temperature)));
}

/** Draw the graph of the result into `target`. */
export function renderGraph(target, result) {
  const { nodes, edges } = graphOf(result);
  if (!nodes.length) {
    target.append(el("p", { class: "empty" }, "No IRIs in the result to draw. 結果中沒有 IRI。"));
    return;
  }
  const width = Math.max(target.clientWidth || 0, 640);
  const height = Math.max(420, Math.min(900, 160 + nodes.length * 12));
  layout(nodes, edges, width, height);
  const chart = svg("svg", { class: "graph", viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": `Graph of ${nodes.length} resources and ${edges.length} links` });
  const edgeGroup = svg("g", { class: "edges" });
  for (const edge of edges) {
    const line = svg("line", { x1: edge.source.x, y1: edge.source.y, x2: edge.target.x, y2: edge.target.y, class: "edge" });
    line.append(svg("title", {}, `${nameOf(edge.source.iri)} → ?${edge.label} → ${nameOf(edge.target.iri)}`));
    edgeGroup.append(line);
  }
  const nodeGroup = svg("g", { class: "nodes" });
  for (const node of nodes) nodeGroup.append(drawNode(node));
  chart.append(edgeGroup, nodeGroup);
  const note = nodes.length >= MAX_NODES ? ` (first ${MAX_NODES} resources only)` : "";
  target.append(el("p", { class: "view-note" }, `${nodes.length} resources, ${edges.length} links${note}.`), el("div", { class: "graph-wrapper" }, chart));
}

function drawNode(node) {
  const name = nameOf(node.iri);
  const link = svg("a", { href: localHref(node.iri), class: "node", "data-iri": node.iri });
  link.append(
    svg("circle", { cx: node.x, cy: node.y, r: Math.min(5 + node.degree, 14), class: node.iri.startsWith("https://w3id.org/rakg/") ? "node-dot" : "node-dot external" }),
    svg("text", { x: node.x + 8, y: node.y - 8, class: "node-label" }, name.length > 40 ? name.slice(0, 39) + "…" : name),
    svg("title", {}, `${name}\n${node.iri}`),
  );
  return link;
}
