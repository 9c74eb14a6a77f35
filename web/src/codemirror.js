// The SPARQL editor's libraries: CodeMirror 6 with the SPARQL language of codemirror-lang-sparql.
export { EditorView, keymap, placeholder } from "@codemirror/view";
export { EditorState } from "@codemirror/state";
export { basicSetup } from "codemirror";
export { autocompletion, completeFromList } from "@codemirror/autocomplete";
export { indentWithTab } from "@codemirror/commands";
export { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
export { tags } from "@lezer/highlight";
export { sparql, SparqlLanguage } from "codemirror-lang-sparql";
