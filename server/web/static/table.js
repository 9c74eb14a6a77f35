// The table view of a SPARQL result: clickable IRIs with their labels, literals with language or datatype.

import { el, htmlLang, iriLink, shortType } from "./dom.js";

const PAGE = 500;

/** Render the result as a table into `target`; long results are shown PAGE rows at a time. */
export function renderTable(target, result) {
  if (result.boolean !== undefined) {
    target.append(el("p", { class: "boolean-result" }, "ASK → ", el("strong", {}, String(result.boolean))));
    return;
  }
  const vars = result.head.vars;
  const rows = result.results.bindings;
  const tbody = el("tbody");
  const table = el(
    "table",
    { class: "result-table" },
    el("thead", {}, el("tr", {}, el("th", { class: "row-number", scope: "col" }, "#"), vars.map((v) => el("th", { scope: "col" }, "?" + v)))),
    tbody,
  );
  const wrapper = el("div", { class: "table-wrapper" }, table);
  target.append(wrapper);
  let shown = 0;
  const more = el("button", { type: "button", class: "more" });
  const showMore = () => {
    const next = Math.min(rows.length, shown + PAGE);
    for (let i = shown; i < next; i += 1) tbody.append(renderRow(vars, rows[i], i));
    shown = next;
    more.textContent = `Show ${Math.min(PAGE, rows.length - shown)} more rows (${rows.length - shown} hidden) · 顯示更多`;
    more.hidden = shown >= rows.length;
  };
  more.addEventListener("click", showMore);
  target.append(more);
  showMore();
}

function renderRow(vars, row, index) {
  return el("tr", {}, el("td", { class: "row-number" }, String(index + 1)), vars.map((v) => el("td", {}, renderCell(row[v]))));
}

/** The DOM nodes of one result cell. */
export function renderCell(cell) {
  if (!cell) return [];
  if (cell.type === "uri") return iriLink(cell.value);
  if (cell.type === "bnode") return [el("span", { class: "bnode" }, "_:" + cell.value)];
  if (cell.type === "triple") return [el("span", { class: "triple" }, "<< ", tripleText(cell.value), " >>")];
  const lang = cell["xml:lang"];
  const parts = [el("span", lang ? { class: "literal", lang: htmlLang(lang) } : { class: "literal" }, cell.value)];
  if (lang) parts.push(" ", el("span", { class: "langtag" }, "@" + htmlLang(lang)));
  else if (cell.datatype) parts.push(" ", el("span", { class: "datatype" }, shortType(cell.datatype)));
  return parts;
}

function tripleText(triple) {
  return ["subject", "predicate", "object"].map((k) => (triple[k] ? triple[k].value : "")).join(" ");
}
