// A small N-Triples reader: CONSTRUCT and DESCRIBE results become subject/predicate/object rows.

const TERM = /^(?:<([^>]*)>|_:(\S+)|"((?:[^"\\]|\\.)*)"(?:@([a-zA-Z]+(?:-[a-zA-Z0-9]+)*)|\^\^<([^>]*)>)?)\s*/;

function unescape(text) {
  return text.replace(/\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))/g, (_, u4, u8, c) => {
    if (u4 || u8) return String.fromCodePoint(parseInt(u4 || u8, 16));
    return { t: "\t", n: "\n", r: "\r", b: "\b", f: "\f", '"': '"', "'": "'", "\\": "\\" }[c] ?? c;
  });
}

function readTerm(text) {
  const match = TERM.exec(text);
  if (!match) return null;
  const [whole, iri, bnode, literal, lang, datatype] = match;
  let term;
  if (iri !== undefined) term = { type: "uri", value: unescape(iri) };
  else if (bnode !== undefined) term = { type: "bnode", value: bnode };
  else {
    term = { type: "literal", value: unescape(literal) };
    if (lang) term["xml:lang"] = lang;
    else if (datatype && datatype !== "http://www.w3.org/2001/XMLSchema#string") term.datatype = datatype;
  }
  return { term, rest: text.slice(whole.length) };
}

/** SPARQL-JSON-like rows {subject, predicate, object} of an N-Triples document, marked `graph: true`. */
export function parseNTriples(text) {
  const bindings = [];
  for (const raw of text.split("\n")) {
    let line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const row = {};
    for (const name of ["subject", "predicate", "object"]) {
      const read = readTerm(line);
      if (!read) break;
      row[name] = read.term;
      line = read.rest;
    }
    if (row.object) bindings.push(row);
  }
  return { graph: true, head: { vars: ["subject", "predicate", "object"] }, results: { bindings } };
}
