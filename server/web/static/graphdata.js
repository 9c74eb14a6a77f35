// The graph of a result, without drawing it: which results can be drawn (CONSTRUCT/DESCRIBE triples, or a SELECT
// once two columns are picked) and their nodes and edges. graph.js draws them with Cytoscape.js, loaded only when
// the Graph view is opened.

import { nameOf, shortName } from "./dom.js";

export const MAX_NODES = 500;
const RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label";
const SKOS_PREF = "http://www.w3.org/2004/02/skos/core#prefLabel";

/** The columns of a SELECT result that hold IRIs or blank nodes in some row. */
export function nodeColumns(result) {
  const rows = result.results.bindings;
  return (result.head.vars || []).filter((v) => rows.some((r) => r[v] && (r[v].type === "uri" || r[v].type === "bnode")));
}

/** Why the graph view cannot draw the result ('' when it can); `pick` is {from, to, label} for SELECT results. */
export function graphUnavailable(result, pick) {
  if (!result || result.boolean !== undefined) return "an ASK result has no graph";
  if (result.graph) return result.results.bindings.some((t) => t.object.type !== "literal") ? "" : "no triple links two resources";
  if (nodeColumns(result).length < 2) return "pick two columns of IRIs to connect: this result has fewer than two";
  if (!pick || !pick.from || !pick.to || pick.from === pick.to) return "pick the two columns to connect (From, To) to draw a graph";
  return "";
}

const nodeKey = (term) => (term.type === "bnode" ? "_:" + term.value : term.value);

/** {nodes, edges, cut} of a result: nodes {id, iri, kind, attributes}, edges {source, target, label}. */
export function graphOf(result, pick = {}) {
  const nodes = new Map();
  const edges = new Map();
  let cut = false;
  const node = (term) => {
    const id = nodeKey(term);
    if (!nodes.has(id)) {
      if (nodes.size >= MAX_NODES) return (cut = true), null;
      nodes.set(id, { id, iri: term.type === "uri" ? term.value : "", kind: term.type, attributes: [] });
    }
    return nodes.get(id);
  };
  const link = (source, target, label) => {
    const key = `${source.id}\u0000${target.id}\u0000${label}`;
    if (!edges.has(key)) edges.set(key, { id: "e" + edges.size, source: source.id, target: target.id, label });
  };
  for (const row of result.results.bindings) {
    const [a, b, label] = result.graph ? [row.subject, row.object, shortName(row.predicate.value)] : [row[pick.from], row[pick.to], pick.label && row[pick.label] ? cellName(row[pick.label]) : ""];
    if (!a || a.type === "literal") continue;
    const source = node(a);
    if (!source || !b) continue;
    if (b.type === "literal") {
      if (result.graph) source.attributes.push({ property: row.predicate.value, label, value: b.value, lang: b["xml:lang"] || "" });
      continue;
    }
    const target = node(b);
    if (target) link(source, target, label);
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()], cut };
}

function cellName(cell) {
  return cell.type === "uri" ? nameOf(cell.value) : cell.value;
}

/** The name a node shows: its English rdfs:label in the result, a label from /api/labels, or its prefixed name. */
export function nodeName(node) {
  const labels = node.attributes.filter((a) => a.property === RDFS_LABEL || a.property === SKOS_PREF);
  const best = labels.find((a) => a.lang.startsWith("en")) || labels[0];
  if (best) return best.value;
  return node.iri ? nameOf(node.iri) : "[ ]";
}
