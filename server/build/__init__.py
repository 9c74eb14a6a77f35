"""The build: from the chapter and the Turtle sources to a validated, reasoned release (server/releases.py).

``pipeline`` runs the steps: ``parsing`` (with ``lexical``) reads every source file with located errors,
``validation`` checks quotes, SHACL shapes and the checks of queries/checks, ``reasoning`` runs HermiT and ``rules``
derives graph/inferred, each step in a child process that ends with the build where it runs in parallel
(``children``).  ``chapter`` and ``sources`` read the chapter's text into data/sources/chapter.ttl; ``dates`` reads
its date phrases with the phrase table of ``phrases`` (the date audit and `rakg dates`).  Imports only the shared
ground and this package.
"""
