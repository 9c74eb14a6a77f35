// The SPARQL editor's libraries: CodeMirror 6 with the SPARQL language of codemirror-lang-sparql.
export { EditorView, keymap } from "@codemirror/view";
export { basicSetup } from "codemirror";
export { autocompletion } from "@codemirror/autocomplete";
export { indentWithTab } from "@codemirror/commands";
export { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
export { tags } from "@lezer/highlight";
export { sparql } from "codemirror-lang-sparql";
