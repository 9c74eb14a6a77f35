"""The Wikidata tools of the command line: reconciliation candidates, the cross-check of the chapter's claims against
Wikidata's statements, QuickStatements, and the checks of the links we keep.  Nothing here writes a link.  Imports
only the shared ground and this package.
"""
