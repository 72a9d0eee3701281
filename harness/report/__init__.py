"""The governance report: Jinja2 -> HTML -> PDF (WeasyPrint).

Reads only artefact manifests and files from the store and the criteria that the tests recorded;
it never computes a metric of its own, so every number traces to an artefact manifest.
"""

from harness.report.render import render_study_report

__all__ = ["render_study_report"]
