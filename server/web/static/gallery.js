// The example gallery: the named queries of queries/ from GET /api/queries; one click loads one into the
// editor, one click on its Run button loads and runs it.

import { clear, el } from "./dom.js";

/** Fetch the named queries and list them in `list`; `onPick(item, run)` loads one into the editor (and runs it). */
export async function setupGallery(list, filter, onPick) {
  let items = [];
  try {
    const response = await fetch("/api/queries", { headers: { Accept: "application/json" } });
    items = response.ok ? await response.json() : [];
  } catch (error) {
    items = [];
  }
  const draw = () => {
    const needle = filter.value.trim().toLowerCase();
    clear(list);
    const shown = items.filter((item) => !needle || searchText(item).includes(needle));
    for (const item of shown) list.append(card(item, onPick));
    if (!shown.length) list.append(el("li", { class: "empty" }, items.length ? "No example matches. 無相符範例。" : "No examples. 無範例。"));
    list.setAttribute("aria-busy", "false");
    list.dataset.count = String(items.length);
  };
  filter.addEventListener("input", draw);
  draw();
}

function searchText(item) {
  return [item.slug, item.title, item.title_zh, item.description, item.description_zh, ...(item.tags || [])].join(" ").toLowerCase();
}

function card(item, onPick) {
  const button = el(
    "button",
    { type: "button", class: "example", "data-slug": item.slug, title: item.description || item.title },
    el("span", { class: "example-title" }, item.title || item.slug),
    item.title_zh ? el("span", { class: "example-title-zh", lang: "zh-Hant" }, item.title_zh) : null,
  );
  button.addEventListener("click", () => onPick(item, false));
  const runButton = el("button", { type: "button", class: "example-run", "data-slug": item.slug, title: `Run “${item.title || item.slug}”` }, "▶ Run ", el("span", { lang: "zh-Hant" }, "執行"));
  runButton.addEventListener("click", () => onPick(item, true));
  const tags = (item.tags || []).map((tag) => el("span", { class: "tag" }, tag));
  return el(
    "li",
    { class: "gallery-item" },
    el("div", { class: "example-head" }, button, runButton),
    item.description ? el("p", { class: "example-description" }, item.description) : null,
    tags.length ? el("p", { class: "tags" }, tags) : null,
  );
}
