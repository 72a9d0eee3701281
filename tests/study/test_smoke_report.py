"""Page one of the smoke study's PDF answers the study's question (issue 25).

Runs after the smoke study in ``make test`` (``HARNESS_SMOKE_REPORTS`` names its reports): the
text pypdf extracts from page one of the PDF a reviewer opens holds the verdict, the SC-003
ratio with its interval, the expert gate's worst numbers with their intervals and every declared
deviation; each value as the report context (read from the artefacts) has it.
"""

import json
import os
import re
from pathlib import Path

import pytest

REPORTS = os.environ.get("HARNESS_SMOKE_REPORTS")
pytestmark = pytest.mark.skipif(not REPORTS, reason="needs the smoke study's reports: "
                                "HARNESS_SMOKE_REPORTS (make test sets it after the smoke study)")


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _pages():
    from pypdf import PdfReader

    folder = Path(REPORTS) / "nav-pretrain"
    context = json.loads((folder / "report_context.json").read_text())
    return context, [_flat(p.extract_text()) for p in PdfReader(folder / "report.pdf").pages]


def test_page_one_holds_the_verdict_the_ratio_the_gate_and_every_deviation():
    context, pages = _pages()
    one = pages[0]
    assert ("ACCEPTED" if context["verdict"] else "NOT ACCEPTED") in one
    pre = context["pretraining"]["arms"]["pretrained"]
    ratio = f"ratio {pre['ratio']:.3f} [{pre['ratio_ci'][0]:.3f}, {pre['ratio_ci'][1]:.3f}]"
    assert ratio in one, (ratio, one)
    rows = context["expert"]["rows"]
    worst = min(rows, key=lambda r: r["success"])
    lo, hi = worst["success_ci"]
    assert (f"lowest success {100 * worst['success']:.1f}% [{100 * lo:.1f}, {100 * hi:.1f}]"
            in one), one
    assert context["deviations"], "the smoke profile declares deviations (3 seeds, ...)"
    for d in context["deviations"]:
        assert _flat(d["text"]) in one, (d["text"], one)
    for a in context["answers"]:
        assert _flat(a["text"])[:60] in one, (a["topic"], one)


def test_the_contents_list_every_section_with_its_page():
    context, pages = _pages()
    contents = next(p for p in pages if "Contents" in p)
    for title in ("Acceptance criteria", "Expert policy", "Pre-training vs PPO from scratch",
                  "Appendix A: every criterion, row by row", "Appendix D: artefact index"):
        page = re.search(re.escape(title) + r" ?\.* ?(\d+)", contents)
        assert page, (title, contents)
        assert title in pages[int(page[1]) - 1], (title, int(page[1]))
