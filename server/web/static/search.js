// The label search box in the header: live results from GET /api/search (ranked there: entities before facts, an
// exact label first), in English and Chinese; ArrowDown and ArrowUp walk through every hit.

import { clear, el, htmlLang, localHref, shortName } from "./dom.js";

const input = document.querySelector("#site-search");
const list = document.querySelector("#site-search-results");
const SHOWN = 20;
let timer = null;
let latest = 0;

async function search(text) {
  const ticket = ++latest;
  if (!text.trim()) return show([], text);
  try {
    const response = await fetch(`/api/search?q=${encodeURIComponent(text)}&limit=${SHOWN}`, { headers: { Accept: "application/json" } });
    const hits = response.ok ? await response.json() : [];
    if (ticket === latest) show(hits, text);
  } catch (error) {
    if (ticket === latest) show([], text);
  }
}

function labelOf(labels, prefix) {
  const key = Object.keys(labels).find((k) => k.toLowerCase().startsWith(prefix));
  return key ? labels[key] : "";
}

function hitItem(hit) {
  const en = labelOf(hit.labels || {}, "en");
  const zh = labelOf(hit.labels || {}, "zh");
  const link = el(
    "a",
    { href: localHref(hit.iri), class: "search-hit", "data-iri": hit.iri },
    en ? el("span", { class: "hit-en" }, en) : null,
    zh ? el("span", { class: "hit-zh", lang: "zh-Hant" }, zh) : null,
    !en && !zh ? el("span", { class: "hit-en" }, shortName(hit.iri)) : null,
  );
  const matched = hit.matched !== en && hit.matched !== zh ? el("span", { class: "hit-matched", lang: hit.lang ? htmlLang(hit.lang) : null }, "≈ " + hit.matched) : null;
  return el("li", { role: "option" }, link, el("code", { class: "hit-iri" }, shortName(hit.iri)), matched);
}

function show(hits, text) {
  clear(list);
  for (const hit of hits) list.append(hitItem(hit));
  if (!hits.length && text.trim()) list.append(el("li", { class: "empty" }, "No match 無相符結果"));
  list.hidden = !text.trim();
  input.setAttribute("aria-expanded", String(!list.hidden));
}

/** Focus the hit number `index` of the list (when there is one). */
function walk(event, index) {
  const links = list.querySelectorAll("a");
  if (!links.length) return;
  event.preventDefault();
  links[index].focus();
}

if (input && list) {
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => search(input.value), 150);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") show([], "");
    if (event.key === "ArrowDown") walk(event, 0);
  });
  list.addEventListener("keydown", (event) => {
    const links = [...list.querySelectorAll("a")];
    const at = links.indexOf(document.activeElement);
    if (event.key === "ArrowDown") walk(event, Math.min(at + 1, links.length - 1));
    else if (event.key === "ArrowUp") at > 0 ? walk(event, at - 1) : (event.preventDefault(), input.focus());
    else if (event.key === "Escape") (show([], ""), input.focus());
  });
  document.addEventListener("click", (event) => {
    if (!event.target.closest(".site-search")) show([], "");
  });
}
