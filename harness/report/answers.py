"""The first page's answers: one sentence per question the study exists to answer, each with
its number and interval, every value read from a stage's report context (its artefacts), never
typed into a template. A stage's ``answers(context)`` returns a list of :func:`answer`."""

from __future__ import annotations

from collections.abc import Sequence


def answer(topic: str, text: str, *, criteria: Sequence[str] = (), status: str | None = None,
           items: Sequence[str] = (), limits: Sequence[str] = (),
           artifact: str | None = None) -> dict:
    """One line of page one. ``criteria``: the acceptance criteria whose verdict the line
    carries (the report reads their rows: pass, fail or blocked); ``status`` when the line has
    a verdict of its own ("pass", "fail", "info"); ``items``: a list under the sentence (a
    rejected expert's diagnostics); ``limits``: what this result cannot show (collected in
    the page's last paragraph); ``artifact``: where the numbers come from."""
    return {"topic": topic, "text": text, "criteria": list(criteria), "status": status,
            "items": list(items), "limits": list(limits), "artifact": artifact}


def rate(value: float, ci: Sequence[float] | None = None, digits: int = 1) -> str:
    """``95.0% [91.2, 97.6]``: a rate in percent with its interval."""
    text = f"{100 * value:.{digits}f}%"
    if ci:
        text += f" [{100 * ci[0]:.{digits}f}, {100 * ci[1]:.{digits}f}]"
    return text


def ratio(value: float, ci: Sequence[float]) -> str:
    return f"{value:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"


def signed(value: float, ci: Sequence[float], fmt: str = "+.3f") -> str:
    return f"{value:{fmt}} [{ci[0]:{fmt}}, {ci[1]:{fmt}}]"


def steps(value: float) -> str:
    return f"{round(value):,}"


def of(count: int, total: int) -> str:
    return f"{count} of {total}"


def resolve(answers: list[dict], criteria: list[dict]) -> list[dict]:
    """Each answer's status from the rows of the criteria it carries: failed when any failed,
    blocked when any was blocked, not run when all were, passed when every one passed."""
    out = []
    for a in answers:
        status = a["status"]
        if a["criteria"]:
            rows = [c for c in criteria if c["id"] in a["criteria"]]
            if any(c.get("blocked") for c in rows):
                status = "blocked"
            elif any(not c["passed"] and not c.get("not_run") for c in rows):
                status = "fail"
            elif rows and all(c.get("not_run") for c in rows):
                status = "not run"
            elif rows:
                status = "pass"
        out.append({**a, "status": status or "info"})
    return out
