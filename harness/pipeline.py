"""The study's pipeline: its stages, in order, one line each.

Each stage is a folder of :mod:`harness.stages` (its config, build, metric records, report
section, and its declaration in ``stage.py``); :class:`~harness.core.graph.Graph` derives from
the declarations the caching, the scheduling, the builds asked for ahead, the tests'
parametrisation, the report's sections and the executor's routing. A new stage is a folder and
a line here.
"""

from __future__ import annotations

from harness.core.graph import Graph, Pipeline
from harness.core.progress import ProgressReporter
from harness.core.store import Store
from harness.spec.study import Study
from harness.stages.comparison.stage import STAGE as COMPARISON
from harness.stages.dataset.stage import STAGE as DATASET
from harness.stages.expert.stage import STAGE as EXPERT
from harness.stages.pretraining.stage import STAGE as PRETRAINING
from harness.stages.regimes.stage import STAGE as REGIMES
from harness.stages.shift.stage import STAGE as SHIFT
from harness.stages.sizes.stage import STAGE as SIZES
from harness.stages.target.stage import STAGE as TARGET

GRAPH = Graph((
    EXPERT,
    DATASET,
    PRETRAINING,
    TARGET,
    COMPARISON,
    SIZES,
    SHIFT,
    REGIMES,
))
"""The report shows the stages' sections in this order."""

REMOTE_KINDS = GRAPH.remote_kinds()
"""The expensive builds (expert seed runs, arm runs, dataset recording, the shift experiment's
evaluation of a run's checkpoints on every family): what a Ray executor sends to the cluster.
The rest (promotion, inspection, subsets, comparison, matrices, summaries) is cheap and reads
the driver's store: it runs in the driver."""
READ_FROM_INPUTS = GRAPH.travelling()
"""Of the sub-folders the store's quick verification skips, those a remote build reads from an
input of this kind, so they travel with it (an arm run's checkpoints: its shift evaluation plays
every one of them)."""


def study_pipeline(study: Study, store: Store, progress: ProgressReporter | None = None,
                   graph: Graph = GRAPH) -> Pipeline:
    """The study's pipeline on one store for one session."""
    return Pipeline(graph, study, store, progress)
