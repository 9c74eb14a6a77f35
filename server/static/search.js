// The label search box in the header: live results from GET /api/search, in English and Chinese.

import { clear, el, htmlLang, localHref, shortName } from "./dom.js";

const input = document.querySelector("#site-search");
const list = document.querySelector("#site-search-results");
let timer = null;
let latest = 0;

async function search(text) {
  const ticket = ++latest;
  if (!text.trim()) return show([], text);
  try {
    const response = await fetch(`/api/search?q=${encodeURIComponent(text)}&limit=60`, { headers: { Accept: "application/json" } });
    const found = response.ok ? await response.json() : [];
    const hits = [...found.filter((h) => !isClaim(h.iri)), ...found.filter((h) => isClaim(h.iri))].slice(0, 12);
    if (ticket === latest) show(hits, text);
  } catch (error) {
    if (ticket === latest) show([], text);
  }
}

/** Facts, observations, discrepancies: their labels are sentences, so entities are listed first. */
function isClaim(iri) {
  return /^https:\/\/w3id\.org\/rakg\/id\/(fact|observation|discrepancy|dataset)\//.test(iri);
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

if (input && list) {
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => search(input.value), 150);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") show([], "");
    if (event.key === "ArrowDown" && list.querySelector("a")) {
      event.preventDefault();
      list.querySelector("a").focus();
    }
  });
  document.addEventListener("click", (event) => {
    if (!event.target.closest(".site-search")) show([], "");
  });
}
