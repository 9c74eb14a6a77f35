// The SPARQL editor: CodeMirror 6 with the SPARQL language (highlighting, bracket matching, folding, search)
// and completion of the predeclared prefixes and of the ontology's classes, properties and named values.
// The page's <textarea id="query"> stays the form field: it is hidden and kept equal to the editor's text.
// The editor lives in a shadow root: there CodeMirror puts its styles in a constructed style sheet, which the
// page's Content-Security-Policy (style-src 'self', no inline <style>) allows.

import { EditorView, HighlightStyle, autocompletion, basicSetup, indentWithTab, keymap, sparql, syntaxHighlighting, tags } from "./vendor/codemirror.js";

const KEYWORDS = ("SELECT DISTINCT WHERE FILTER OPTIONAL UNION MINUS GRAPH SERVICE BIND VALUES ORDER BY GROUP HAVING LIMIT OFFSET " +
  "CONSTRUCT DESCRIBE ASK PREFIX BASE FROM NAMED AS ASC DESC COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT SEPARATOR " +
  "LANG LANGMATCHES STR DATATYPE BOUND COALESCE IF REGEX CONTAINS STRSTARTS YEAR EXISTS NOT IN").split(" ");

const THEME = EditorView.theme({
  "&": { height: "100%", fontSize: "0.9rem", backgroundColor: "#fbfcfe" },
  "&.cm-focused": { outline: "none" },
  ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.5" },
  ".cm-gutters": { backgroundColor: "#f1f4f8", borderRight: "1px solid var(--line)" },
});

const COLOURS = syntaxHighlighting(HighlightStyle.define([
  { tag: tags.keyword, color: "#8b1e6b", fontWeight: "600" },
  { tag: tags.variableName, color: "#0b6e4f" },
  { tag: tags.namespace, color: "#2458a6" },
  { tag: [tags.url, tags.typeName], color: "#1f4e79" },
  { tag: tags.string, color: "#a0522d" },
  { tag: [tags.integer, tags.float, tags.bool], color: "#9b5d00" },
  { tag: tags.annotation, color: "#a0522d" },
  { tag: tags.comment, color: "#7b8594", fontStyle: "italic" },
]));

/** Completion options: keywords, "prefix:" for every predeclared prefix, and every ontology term by prefixed name. */
export function completionOptions(prefixes, terms) {
  const options = KEYWORDS.map((word) => ({ label: word, type: "keyword" }));
  for (const [prefix, namespace] of prefixes) options.push({ label: `${prefix}:`, type: "namespace", detail: namespace });
  for (const term of terms) {
    const labels = term.labels || {};
    const zh = Object.entries(labels).find(([lang]) => lang.startsWith("zh"));
    options.push({
      label: term.short, type: term.kind === "class" ? "class" : term.kind === "value" ? "constant" : "property",
      detail: [labels.en, zh ? zh[1] : ""].filter(Boolean).join(" · "), info: term.iri,
    });
  }
  return options;
}

function completionSource(prefixes, terms) {
  let options = null;
  let known = -1;
  return (context) => {
    if (known !== terms.length) [options, known] = [completionOptions(prefixes, terms), terms.length];
    const word = context.matchBefore(/[\w.-]*:?[\w.-]*/u);
    if (!word || (word.from === word.to && !context.explicit)) return null;
    return { from: word.from, options, validFor: /^[\w.-]*:?[\w.-]*$/u };
  };
}

/** Replace the textarea by a CodeMirror editor; Ctrl+Enter calls onRun, onChange is told of every edit.
 * `terms` may be filled later (completion reads it when asked). */
export function setupEditor(textarea, { prefixes = [], terms = [], onRun, onChange }) {
  const host = document.createElement("div");
  host.className = "editor-host";
  textarea.after(host);
  const root = host.attachShadow({ mode: "open" });
  const view = new EditorView({
    root,
    doc: textarea.value,
    extensions: [
      basicSetup,
      sparql(),
      COLOURS,
      keymap.of([{ key: "Mod-Enter", run: () => (onRun(), true) }, indentWithTab]),
      autocompletion({ override: [completionSource(prefixes, terms)] }),
      EditorView.lineWrapping,
      THEME,
      EditorView.contentAttributes.of({ "aria-label": "SPARQL query text", spellcheck: "false", autocapitalize: "off" }),
      EditorView.updateListener.of((update) => {
        if (!update.docChanged) return;
        textarea.value = update.state.doc.toString();
        if (onChange) onChange(textarea.value);
      }),
    ],
  });
  textarea.hidden = true;
  root.append(view.dom);
  return {
    view,
    get value() {
      return view.state.doc.toString();
    },
    set value(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, selection: { anchor: 0 } });
    },
    focus: () => view.focus(),
    focusAt: (line, column) => focusAt(view, line, column),
  };
}

/** Put the caret at a 1-based line and column and select the rest of that line. */
function focusAt(view, line, column) {
  const doc = view.state.doc;
  const row = doc.line(Math.min(Math.max(line, 1), doc.lines));
  const anchor = row.from + Math.min(Math.max(column - 1, 0), row.length);
  view.dispatch({ selection: { anchor, head: row.to }, scrollIntoView: true });
  view.focus();
}

/** Insert "PREFIX p: <ns>" at the top of the query unless that prefix is already declared. */
export function insertPrefix(editor, prefix, namespace) {
  const declared = new RegExp(`^\\s*PREFIX\\s+${prefix.replace(/[.-]/g, "\\$&")}:`, "im");
  if (declared.test(editor.value)) return false;
  const lines = editor.value.split("\n");
  let at = 0;
  while (at < lines.length && /^\s*(#|PREFIX\s|BASE\s)/i.test(lines[at])) at += 1;
  lines.splice(at, 0, `PREFIX ${prefix}: <${namespace}>`);
  editor.value = lines.join("\n");
  return true;
}

/** The query form of a SPARQL text: 'select', 'ask', 'construct', 'describe' (or '' if unclear). */
export function queryForm(text) {
  const body = text
    .replace(/<[^<>\s]*>/g, " ")
    .replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, " ")
    .replace(/#[^\n]*/g, " ")
    .replace(/\b(PREFIX\s+[\w.-]*:|BASE)\s*/gi, " ");
  const match = body.match(/\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b/i);
  return match ? match[1].toLowerCase() : "";
}

/** The unit a '#unit: text' comment gives the numbers of the result ('' when none), for the charts' value axis. */
export function chartUnit(text) {
  const match = text.match(/^\s*#\s*unit\s*:\s*(.+?)\s*$/im);
  return match ? match[1] : "";
}

/** The view a '#defaultView:Name' comment asks for ('table' when none). */
export function defaultView(text) {
  const match = text.match(/^\s*#\s*defaultView\s*:\s*(\w+)/im);
  const views = { table: "table", barchart: "bar", linechart: "line", timeline: "timeline", graph: "graph" };
  return (match && views[match[1].toLowerCase()]) || "table";
}
