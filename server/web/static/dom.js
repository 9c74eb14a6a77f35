// Small DOM, IRI and label helpers shared by the query page and the result views.
// Everything is built with createElement/textContent: no HTML strings.

export const BASE = "https://w3id.org/rakg/";
const SVG_NS = "http://www.w3.org/2000/svg";
const XSD = "http://www.w3.org/2001/XMLSchema#";

/** An HTML element with attributes and children (strings become text nodes). */
export function el(tag, attrs = {}, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** An SVG element with attributes and children. */
export function svg(tag, attrs = {}, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

function fill(node, attrs, children) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
  return node;
}

/** Remove every child of a node. */
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

/** The path on this server for an IRI under the base; other http(s) IRIs unchanged; null for other schemes. */
export function localHref(iri) {
  if (iri.startsWith(BASE + "ontology#")) return "/ontology#" + iri.slice((BASE + "ontology#").length);
  if (iri.startsWith(BASE)) return "/" + iri.slice(BASE.length);
  return /^https?:\/\//i.test(iri) ? iri : null;
}

let prefixTable = [];

/** Remember the predeclared prefixes ([[prefix, namespace], ...]) for shortening IRIs. */
export function setPrefixes(pairs) {
  prefixTable = [...pairs].sort((a, b) => b[1].length - a[1].length);
}

/** The IRI as a prefixed name when a predeclared namespace fits. */
export function shortName(iri) {
  for (const [prefix, ns] of prefixTable) {
    if (iri.startsWith(ns) && /^[\w.-]*$/.test(iri.slice(ns.length))) return `${prefix}:${iri.slice(ns.length)}`;
  }
  return iri;
}

/** The short form of a datatype IRI (xsd:decimal). */
export function shortType(iri) {
  return iri.startsWith(XSD) ? "xsd:" + iri.slice(XSD.length) : shortName(iri);
}

// --- labels from /api/labels ------------------------------------------------------------------------

const labelCache = new Map();

/** Fetch the labels of IRIs not yet cached; resolves when all are known. */
export async function loadLabels(iris) {
  const missing = [...new Set(iris)].filter((iri) => !labelCache.has(iri));
  for (let i = 0; i < missing.length; i += 400) {
    const chunk = missing.slice(i, i + 400);
    try {
      const response = await fetch("/api/labels", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(chunk),
      });
      const found = response.ok ? await response.json() : {};
      for (const iri of chunk) labelCache.set(iri, found[iri] || {});
    } catch (error) {
      for (const iri of chunk) labelCache.set(iri, {});
    }
  }
}

/** {en, zh, ru, ...} labels of an IRI (empty when unknown or not loaded). */
export function labelsOf(iri) {
  const raw = labelCache.get(iri) || {};
  const out = {};
  for (const [lang, label] of Object.entries(raw)) out[lang.toLowerCase().startsWith("zh") ? "zh" : lang.toLowerCase()] = label;
  return out;
}

/** The best one-line name of an IRI: English label, Chinese label, prefixed name. */
export function nameOf(iri) {
  const labels = labelsOf(iri);
  return labels.en || labels.zh || shortName(iri);
}

/** The text shown for a result cell (labels for IRIs). */
export function cellText(cell) {
  if (!cell) return "";
  if (cell.type === "uri") return nameOf(cell.value);
  if (cell.type === "bnode") return "_:" + cell.value;
  return cell.value;
}

/** A link to a resource with its prefixed name, and its English and Chinese labels beside it. */
export function iriLink(iri) {
  const labels = labelsOf(iri);
  const external = !iri.startsWith(BASE);
  const href = localHref(iri);
  const link = el(href ? "a" : "code", { href, class: external && href ? "iri external" : "iri", title: iri }, shortName(iri));
  if (external && href) link.setAttribute("rel", "external");
  const parts = [link];
  if (labels.en) parts.push(" ", el("span", { class: "cell-label" }, labels.en));
  if (labels.zh) parts.push(" ", el("span", { class: "cell-label zh", lang: "zh-Hant" }, labels.zh));
  return parts;
}

/** A BCP 47 tag in its usual case (zh-hant becomes zh-Hant). */
export function htmlLang(tag) {
  return tag
    .split("-")
    .map((part, i) => (i === 0 ? part.toLowerCase() : part.length === 4 ? part[0].toUpperCase() + part.slice(1).toLowerCase() : part.length === 2 ? part.toUpperCase() : part))
    .join("-");
}

const NUMERIC = new Set(["integer", "decimal", "double", "float", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger", "unsignedInt", "unsignedLong"].map((t) => XSD + t));

/** The number in a literal cell, or null. */
export function numberOf(cell) {
  if (!cell || cell.type !== "literal") return null;
  if (cell.datatype && !NUMERIC.has(cell.datatype)) return null;
  if (!cell.datatype && (cell["xml:lang"] || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(cell.value.trim()))) return null;
  const value = Number(cell.value);
  return Number.isFinite(value) ? value : null;
}

/** Download a Blob under a file name. */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: name, class: "visually-hidden" });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
