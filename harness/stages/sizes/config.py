"""The ``pretraining.sizes`` section of the spec: the dataset sizes of the size study and its
seeds."""

from __future__ import annotations

from dataclasses import dataclass

from harness.seeds import (
    MAX_SIZES,
)
from harness.spec.common import parse_run_seeds
from harness.spec.errors import Fields


@dataclass(frozen=True)
class SizeStudySpec:
    """The dataset-size study: the pre-trained arms on nested subsets of the study dataset.

    Size ``sizes[k]`` is the first ``sizes[k]`` episodes of the recorded dataset (so each smaller
    set lies inside the larger ones), each its own ``dataset_subset`` artefact; every pre-trained
    arm runs on it for every seed of ``seeds`` against the comparison's own baseline runs of
    those seeds. The full dataset is the comparison itself (its size is the study's largest)."""

    sizes: tuple[int, ...]
    """Episodes per subset, ascending, each smaller than the recorded dataset."""
    seeds: tuple[int, ...]
    """Matched seeds of every size (pre-training seeds)."""
    min_seeds: int
    """At least this many seeds per size (DESIGN / issue 12: >= 5)."""
    seeds_deviation: str | None = None
    """Why fewer seeds than the study's minimum are declared (shown as a deviation)."""
    recipe_gate: str | None = None
    """None: the recipe-versus-naive criterion (SC-012r) gates. Otherwise why it does not in
    this profile (declared before the run; its numbers are still reported)."""

    def config(self) -> dict:
        return {"sizes": list(self.sizes), "seeds": list(self.seeds),
                "min_seeds": self.min_seeds, "seeds_deviation": self.seeds_deviation,
                "recipe_not_gated": self.recipe_gate}


MIN_SIZE_SEEDS = 5
"""Matched seeds per size the size study needs to be evidence (issue 12)."""


def parse_sizes(f: Fields, seeds: tuple[int, ...]) -> SizeStudySpec | None:
    """``pretraining.sizes``: ``{episodes: [...], seeds: [...], reason: ...}`` or absent/null."""
    if not f.has("sizes"):
        return None
    sf = f.sub("sizes")
    sizes = sf.int_list("episodes", min_len=1)
    if list(sizes) != sorted(set(sizes)) or sizes[0] < 1:
        raise sf.error("episodes", "distinct positive episode counts in ascending order",
                       list(sizes))
    if len(sizes) > MAX_SIZES:
        raise sf.error("episodes", f"at most {MAX_SIZES} sizes", list(sizes))
    size_seeds = parse_run_seeds(sf, "seeds", default=list(seeds[:MIN_SIZE_SEEDS]))
    outside = [s for s in size_seeds if s not in seeds]
    if outside:
        raise sf.error("seeds", f"pre-training seeds, a subset of {list(seeds)} (each size is "
                       f"compared with the comparison's own baseline runs)", list(size_seeds))
    reason = sf.raw("reason", None)
    deviation = None
    if len(size_seeds) < MIN_SIZE_SEEDS:
        if not isinstance(reason, str) or not reason:
            raise sf.error("reason", f"a reason: {len(size_seeds)} seeds per size are fewer "
                           f"than the {MIN_SIZE_SEEDS} the size study needs", reason)
        deviation = (f"{len(size_seeds)} seeds per size, fewer than the {MIN_SIZE_SEEDS} "
                     f"required: {reason}")
    not_gated = sf.raw("recipe_not_gated", None)
    if not_gated is not None and (not isinstance(not_gated, str) or not not_gated):
        raise sf.error("recipe_not_gated", "a sentence saying why the recipe-versus-naive "
                       "criterion does not gate in this profile", not_gated)
    spec = SizeStudySpec(sizes=tuple(sizes), seeds=size_seeds, min_seeds=MIN_SIZE_SEEDS,
                         seeds_deviation=deviation, recipe_gate=not_gated)
    sf.done()
    return spec
