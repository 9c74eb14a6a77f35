// The query page: editor, example gallery, running queries, result views, downloads and shareable links.

import { clear, el, loadLabels, saveBlob, setPrefixes } from "./dom.js";
import { chartUnit, defaultView, insertPrefix, queryForm, setupEditor } from "./editor.js";
import { renderTable } from "./table.js";
import { chartSpec, renderChart } from "./chart.js";
import { timelineColumns } from "./timelinedata.js";
import { graphUnavailable, nodeColumns } from "./graphdata.js";
import { parseNTriples } from "./ntriples.js";
import { setupGallery } from "./gallery.js";

const $ = (selector) => document.querySelector(selector);
const state = { result: null, view: "table", query: "", form: "select", running: false, runs: 0, pick: {}, draws: 0 };
let editor;

function init() {
  const prefixes = [...document.querySelectorAll(".prefix")].map((b) => [b.dataset.prefix, b.dataset.ns]);
  setPrefixes(prefixes);
  const terms = [];
  editor = setupEditor($("#query"), { prefixes, terms, onRun: run, onChange: forgetLoadedTitle });
  loadTerms(terms);
  setupGallery($("#gallery"), $("#gallery-filter"), loadExample);
  $("#run").addEventListener("click", run);
  $("#copy-link").addEventListener("click", copyLink);
  $("#format-prefixes").addEventListener("click", togglePrefixes);
  for (const button of document.querySelectorAll(".prefix")) {
    button.addEventListener("click", () => insertPrefix(editor, button.dataset.prefix, button.dataset.ns));
  }
  for (const button of document.querySelectorAll("button[data-view]")) button.addEventListener("click", () => switchView(button.dataset.view));
  for (const button of document.querySelectorAll("[data-download]")) button.addEventListener("click", () => download(button.dataset.download));
  for (const select of document.querySelectorAll("#graph-pick select")) select.addEventListener("change", pickColumns);
  window.addEventListener("hashchange", loadFromHash);
  if (!loadFromHash() && $("#query").dataset.fromUrl === "true") run();
  if (!editor.value.trim()) editor.value = STARTER;
}

const STARTER = `# Every state with its English and Chinese label
SELECT ?state ?en ?zh WHERE {
  ?state a rakg:SovereignState ;
         rdfs:label ?en , ?zh .
  FILTER (LANGMATCHES(LANG(?en), "en") && LANGMATCHES(LANG(?zh), "zh-Hant"))
}
ORDER BY ?en
`;

/** Load and run the query of a '#query=...' URL fragment; true when there was one. */
function loadFromHash() {
  const hash = location.hash.slice(1);
  if (!hash) return false;
  const named = /(^|&)query=/.test(hash);
  const params = new URLSearchParams(named ? hash : "query=" + hash);
  const query = params.get("query");
  if (!query || (!named && !/\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b/i.test(query))) return false;
  editor.value = query;
  $("#inferred").checked = params.get("inferred") === "true";
  state.requestedView = params.get("view");
  run();
  return true;
}

/** The ontology's classes, properties and named values for completion, from GET /api/terms. */
async function loadTerms(terms) {
  try {
    const response = await fetch("/api/terms", { headers: { Accept: "application/json" } });
    if (response.ok) terms.push(...(await response.json()));
  } catch (error) {
    // completion then offers keywords and prefixes only
  }
}

/** Put a named query in the editor (and run it when `runNow`); its title shows until the text is replaced. */
function loadExample(item, runNow = false) {
  editor.value = item.query;
  state.loadedText = item.query;
  $("#loaded-title").textContent = "— " + item.title;
  $("#loaded-title").dataset.slug = item.slug;
  editor.focus();
  if (runNow) run();
}

function forgetLoadedTitle(text) {
  if (state.loadedText !== undefined && text !== state.loadedText) {
    $("#loaded-title").textContent = "";
    delete $("#loaded-title").dataset.slug;
    state.loadedText = undefined;
  }
}

function togglePrefixes() {
  const panel = $("#prefix-panel");
  panel.hidden = !panel.hidden;
  $("#format-prefixes").setAttribute("aria-expanded", String(!panel.hidden));
}

/** The form body of a /sparql request for the current editor text. */
function requestBody(extra = {}) {
  const body = new URLSearchParams({ query: editor.value, ...extra });
  if ($("#inferred").checked) body.set("inferred", "true");
  return body;
}

/** Run the editor's query with POST /sparql and show the result or the error. */
async function run() {
  const query = editor.value;
  if (!query.trim() || state.running) return;
  state.running = true;
  state.query = query;
  state.form = queryForm(query) || "select";
  const graphResult = state.form === "construct" || state.form === "describe";
  setStatus("Running… 執行中", "running");
  $("#run").disabled = true;
  $("#error").hidden = true;
  const started = performance.now();
  try {
    const response = await fetch("/sparql", {
      method: "POST",
      headers: { Accept: graphResult ? "application/n-triples" : "application/sparql-results+json" },
      body: requestBody(),
    });
    if (!response.ok) return showError(await errorBody(response));
    const result = graphResult ? parseNTriples(await response.text()) : await response.json();
    const truncated = result.truncated === true || response.headers.has("X-Result-Truncated");
    await showResult(result, truncated, response.headers.get("X-Result-Truncated"), performance.now() - started);
    updateShareLink(false);
  } catch (error) {
    showError({ status: 0, error: "Network error", message: String(error), where: null });
  } finally {
    state.running = false;
    state.runs += 1;
    $("#status").dataset.run = String(state.runs);
    $("#run").disabled = false;
  }
}

async function errorBody(response) {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch (error) {
    return { status: response.status, error: response.statusText, message: text, where: null };
  }
}

function showError(body) {
  setStatus("Error 錯誤", "failed");
  const box = clear($("#error"));
  box.append(el("p", { class: "error-title" }, el("strong", {}, `${body.status || ""} ${body.error || "Error"}`.trim())));
  box.append(el("pre", { class: "error-message" }, body.message || ""));
  const position = /line (\d+), column (\d+)/.exec(body.where || "");
  if (body.where) box.append(el("p", { class: "error-where" }, "Where 位置: ", el("code", {}, body.where)));
  if (position) {
    box.append(el("button", { type: "button", onclick: () => editor.focusAt(Number(position[1]), Number(position[2])) }, "Show in the editor · 跳至該處"));
  }
  box.hidden = false;
  state.result = null;
  clear($("#view"));
  enableViews(null);
}

async function showResult(result, truncated, header, elapsed) {
  state.result = result;
  const rows = result.boolean !== undefined ? 1 : result.results.bindings.length;
  setStatus(`${rows.toLocaleString("en")} row${rows === 1 ? "" : "s"} · ${rows.toLocaleString("en")} 筆 · ${(elapsed / 1000).toFixed(2)} s`, "done");
  $("#status").dataset.rows = String(rows);
  const flag = $("#truncated");
  flag.hidden = !truncated;
  flag.textContent = truncated ? `Truncated: the server cut the result at its row limit${header ? ` (${header})` : ""}. 結果已截斷。` : "";
  const iris = result.boolean !== undefined ? [] : result.results.bindings.flatMap((row) => Object.values(row).filter((c) => c.type === "uri").map((c) => c.value));
  await loadLabels(iris);
  enableViews(result);
  const wanted = state.requestedView || defaultView(state.query);
  state.requestedView = null;
  switchView(isAvailable(wanted, result) ? wanted : "table");
}

function isAvailable(view, result) {
  if (!result || result.boolean !== undefined) return view === "table";
  if (view === "bar" || view === "line") return chartSpec(result) !== null;
  if (view === "timeline") return timelineColumns(result) !== null;
  if (view === "graph") return graphUnavailable(result, state.pick) === "";
  return true;
}

function enableViews(result) {
  setupGraphPick(result);
  for (const button of document.querySelectorAll("button[data-view]")) button.disabled = !result || !isAvailable(button.dataset.view, result);
  for (const button of document.querySelectorAll("[data-download]")) button.disabled = !result;
  const graphResult = state.form === "construct" || state.form === "describe";
  const [first, second] = document.querySelectorAll("[data-download]");
  first.dataset.download = graphResult ? "ttl" : "csv";
  first.textContent = graphResult ? "Turtle" : "CSV";
  second.dataset.download = graphResult ? "jsonld" : "json";
  second.textContent = graphResult ? "JSON-LD" : "JSON";
}

/** The column pickers of the graph view (SELECT results with two or more columns of IRIs) and the reason line. */
function setupGraphPick(result) {
  const box = $("#graph-pick");
  const columns = result && !result.graph && result.boolean === undefined ? nodeColumns(result) : [];
  box.hidden = columns.length < 2;
  state.pick = {};
  for (const [id, optional] of [["#graph-from", false], ["#graph-to", false], ["#graph-label", true]]) {
    const select = clear($(id));
    const vars = optional ? result && result.head ? result.head.vars : [] : columns;
    select.append(el("option", { value: "" }, optional ? "(none 無)" : "—"), ...vars.map((v) => el("option", { value: v }, "?" + v)));
  }
  showGraphReason(result);
}

function showGraphReason(result) {
  const reason = result ? graphUnavailable(result, state.pick) : "";
  const button = $('button[data-view="graph"]');
  button.title = reason ? `Graph: ${reason}` : "";
  $("#graph-reason").textContent = reason && result && result.boolean === undefined ? `Graph: ${reason}.` : "";
}

function pickColumns() {
  state.pick = { from: $("#graph-from").value, to: $("#graph-to").value, label: $("#graph-label").value };
  const ready = graphUnavailable(state.result, state.pick) === "";
  $('button[data-view="graph"]').disabled = !ready;
  showGraphReason(state.result);
  if (ready) switchView("graph");
  else if (state.view === "graph") switchView("table");
}

/** Show the current result in one of the views: table, bar, line, timeline, graph. */
function switchView(view) {
  state.view = view;
  for (const button of document.querySelectorAll("button[data-view]")) button.setAttribute("aria-pressed", String(button.dataset.view === view));
  const target = clear($("#view"));
  target.dataset.current = view;
  if (!state.result) return;
  if (view === "bar" || view === "line") renderChart(target, state.result, view, chartUnit(state.query));
  else if (view === "timeline" || view === "graph") drawLater(target, view);
  else renderTable(target, state.result);
  if (location.hash.includes("query=")) updateShareLink(false);
}

/** Draw the timeline or the graph once its module (and its library, vis-timeline or Cytoscape.js, some 180 kB
 * gzipped each) has loaded: the query page does not load them until one of these views is opened. */
async function drawLater(target, view) {
  const ticket = ++state.draws;
  const [result, pick] = [state.result, state.pick];
  const module = await (view === "timeline" ? import("./timeline.js") : import("./graph.js"));
  if (ticket !== state.draws || state.view !== view || state.result !== result) return;
  if (view === "timeline") module.renderTimeline(target, result);
  else module.renderGraph(target, result, pick);
}

/** Re-issue the query in a download format (csv, json, ttl, jsonld) and save the file. */
async function download(format) {
  const response = await fetch("/sparql", { method: "POST", body: requestBody({ format }) });
  if (!response.ok) return showError(await errorBody(response));
  const extension = { csv: "csv", json: "srj.json", ttl: "ttl", jsonld: "jsonld" }[format] || format;
  saveBlob(await response.blob(), `rakg-result.${extension}`);
}

function shareUrl() {
  const params = new URLSearchParams({ query: editor.value });
  if ($("#inferred").checked) params.set("inferred", "true");
  if (state.view !== "table" && state.view !== defaultView(editor.value)) params.set("view", state.view);
  return `${location.origin}/#${params.toString()}`;
}

function updateShareLink(show) {
  const url = shareUrl();
  history.replaceState(null, "", url);
  $("#share-link").value = url;
  if (show) $("#share").hidden = false;
}

async function copyLink() {
  updateShareLink(true);
  const status = $("#share-status");
  try {
    await navigator.clipboard.writeText($("#share-link").value);
    status.textContent = "Copied 已複製";
  } catch (error) {
    $("#share-link").select();
    status.textContent = "Press Ctrl+C to copy 請按 Ctrl+C 複製";
  }
}

function setStatus(text, kind) {
  const status = $("#status");
  status.textContent = text;
  status.dataset.state = kind;
}

init();
