"""Russia–ASEAN Knowledge Graph: the package.

Three parts stand on shared ground, and the command line stands on all of them:

- the shared ground, the modules of this folder: settings, namespaces, errors, the engine (store, answers), the
  SPARQL text (protocol, syntax), the named queries (catalog), the build folder's layout (releases), the canonical
  serializations (canonical) and requests to other servers (outbound);
- ``build/``: from the chapter and the Turtle sources to a validated, reasoned release;
- ``web/``: the HTTP service over the last good release (``web.create_app``);
- ``wikidata/``: reconciliation candidates, the cross-check and QuickStatements;
- ``cli``: the `rakg` command.

Imports run one way: a part imports the shared ground and itself, never another part; nothing imports the
command line (tests/test_architecture.py).
"""
