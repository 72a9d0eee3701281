"""The governance report: Jinja2 -> HTML -> PDF (WeasyPrint).

Reads only artefact manifests and files from the store and the criteria that the tests recorded;
it never computes a metric of its own, so every number traces to an artefact manifest. The
sections are the stages' own (``harness/stages/<stage>/report.py``, declared in the pipeline);
:mod:`.render` assembles them, :mod:`.figures` draws what they show.
"""
