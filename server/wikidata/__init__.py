"""The Wikidata tools of the command line: ``client`` (requests to Wikidata's SPARQL service and API), ``reconcile``
(ranked candidates for the entities without a link), ``crosscheck`` (the chapter's claims against Wikidata's
statements), ``quickstatements`` (what Wikidata lacks, for a person to upload) and ``links`` (the checks of the links
we keep).  Nothing here writes a link.  Imports only the shared ground and this package.
"""
