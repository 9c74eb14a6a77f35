// The SPARQL editor: a plain textarea over a syntax-highlighted copy of its text.

import { clear } from "./dom.js";

const KEYWORDS = new Set(
  ("select distinct reduced as where from named prefix base construct describe ask order by asc desc limit offset " +
    "group having values optional filter bind union minus graph service silent exists not in a true false undef " +
    "count sum min max avg sample group_concat separator str lang langmatches datatype bound iri uri bnode rand abs ceil " +
    "floor round concat strlen ucase lcase encode_for_uri contains strstarts strends strbefore strafter year month day " +
    "hours minutes seconds timezone tz now uuid struuid md5 sha1 sha256 sha384 sha512 coalesce if strlang strdt sameterm " +
    "isiri isuri isblank isliteral isnumeric regex substr replace").split(" "),
);

const TOKEN = new RegExp(
  [
    "(?<comment>#[^\\n]*)",
    "(?<iri><[^<>\"{}|^`\\\\\\s]*>)",
    "(?<string>\"\"\"[\\s\\S]*?\"\"\"|'''[\\s\\S]*?'''|\"(?:[^\"\\\\\\n]|\\\\.)*\"|'(?:[^'\\\\\\n]|\\\\.)*')",
    "(?<variable>[?$][\\p{L}\\p{N}_]+)",
    "(?<lang>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)",
    "(?<pname>(?:[\\p{L}][\\p{L}\\p{N}_.-]*)?:[\\p{L}\\p{N}_:%.-]*[\\p{L}\\p{N}_:%-]|(?:[\\p{L}][\\p{L}\\p{N}_.-]*)?:)",
    "(?<number>[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?)",
    "(?<word>[\\p{L}_][\\p{L}\\p{N}_]*)",
    "(?<punct>\\^\\^|[{}()\\[\\].,;*=<>!|&/+-])",
  ].join("|"),
  "gu",
);

/** The highlighted pieces of a query: [{text, kind}] with kind '' for plain text. */
export function tokenize(text) {
  const pieces = [];
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    if (match.index > last) pieces.push({ text: text.slice(last, match.index), kind: "" });
    const kind = Object.entries(match.groups).find(([, value]) => value !== undefined)[0];
    const word = match[0];
    const wordKind = kind === "word" ? (KEYWORDS.has(word.toLowerCase()) ? "keyword" : "") : kind;
    pieces.push({ text: word, kind: wordKind });
    last = match.index + word.length;
  }
  if (last < text.length) pieces.push({ text: text.slice(last), kind: "" });
  return pieces;
}

/** Wire the editor: highlighting, scroll sync, Tab indentation and Ctrl+Enter to run. */
export function setupEditor(textarea, code, onRun) {
  const render = () => {
    clear(code);
    for (const piece of tokenize(textarea.value)) {
      if (piece.kind) {
        const span = document.createElement("span");
        span.className = "tok-" + piece.kind;
        span.textContent = piece.text;
        code.append(span);
      } else {
        code.append(document.createTextNode(piece.text));
      }
    }
    code.append(document.createTextNode("\n "));
    syncScroll();
  };
  const syncScroll = () => {
    code.parentElement.scrollTop = textarea.scrollTop;
    code.parentElement.scrollLeft = textarea.scrollLeft;
  };
  textarea.addEventListener("input", render);
  textarea.addEventListener("scroll", syncScroll);
  textarea.addEventListener("keydown", (event) => onKey(event, textarea, render, onRun));
  render();
  return {
    get value() {
      return textarea.value;
    },
    set value(text) {
      textarea.value = text;
      render();
    },
    render,
    focusAt: (line, column) => focusAt(textarea, line, column),
  };
}

function onKey(event, textarea, render, onRun) {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    onRun();
  } else if (event.key === "Tab" && !event.shiftKey && !event.ctrlKey && !event.altKey) {
    event.preventDefault();
    const { selectionStart: start, selectionEnd: end, value } = textarea;
    textarea.value = value.slice(0, start) + "  " + value.slice(end);
    textarea.selectionStart = textarea.selectionEnd = start + 2;
    render();
  }
}

/** Put the caret at a 1-based line and column and select that line. */
function focusAt(textarea, line, column) {
  const lines = textarea.value.split("\n");
  const row = Math.min(Math.max(line, 1), lines.length) - 1;
  const offset = lines.slice(0, row).reduce((sum, l) => sum + l.length + 1, 0);
  textarea.focus();
  textarea.setSelectionRange(offset + Math.min(Math.max(column - 1, 0), lines[row].length), offset + lines[row].length);
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

/** The view a '#defaultView:Name' comment asks for ('table' when none). */
export function defaultView(text) {
  const match = text.match(/^\s*#\s*defaultView\s*:\s*(\w+)/im);
  const views = { table: "table", barchart: "bar", linechart: "line", timeline: "timeline", graph: "graph" };
  return (match && views[match[1].toLowerCase()]) || "table";
}
