"""The ``dataset`` section of the spec: what the approved expert records and how the
recording is validated."""

from __future__ import annotations

from dataclasses import dataclass

from harness.nav.mix import ScenarioMix
from harness.nav.scenario import Scenario
from harness.seeds import (
    SeedRange,
    recording_seeds,
)
from harness.spec.common import SEED_PLAN_VERSION, Catalogue, scenario_dict
from harness.spec.errors import Fields
from harness.stages.dataset.demonstrator import Demonstrator
from harness.stages.expert.config import ExpertSpec


@dataclass(frozen=True)
class DatasetSpec:
    scenarios: tuple[Scenario, ...]
    """Scenario families to record; episode k runs on scenarios[k % len(scenarios)], or, with
    ``mix``, on the family the mix deals to its seed (then these are the mix's families)."""
    episodes: int
    min_episodes: int
    """Validation fails below this many episodes (>= 200 in the full profile)."""
    deterministic: bool
    """Record the expert's deterministic (mean) actions rather than sampled ones."""
    playback_episodes: int
    """Episodes rendered to GIF and replay-checked for the report."""
    n_envs: int = 64

    stream: str = "dataset"
    """Its block of the recording purpose (each of the shift experiment's datasets has its
    own)."""
    mix: ScenarioMix | None = None
    """Record over this mix (each episode's family drawn from its seed) instead."""
    demonstrator: Demonstrator | None = None
    """A degraded expert records it instead of the expert itself (issue 24); its quality is
    measured on ``quality_scenario``."""
    quality_scenario: Scenario | None = None

    @property
    def sources(self) -> list[Scenario | ScenarioMix]:
        """What the recorder plays: the mix, or the scenarios round-robin."""
        return [self.mix] if self.mix is not None else list(self.scenarios)

    @property
    def label(self) -> str:
        """Short name of what is recorded (in the dataset id)."""
        return f"mix-{self.mix.name}" if self.mix is not None else \
            "-".join(s.name for s in self.scenarios)

    def seed_range(self) -> SeedRange:
        """Dataset episodes: the recording purpose's block of this dataset's stream."""
        return recording_seeds(self.stream, self.episodes)

    def seeds(self) -> list[int]:
        return self.seed_range().seeds()

    def config(self) -> dict:
        """Identity of a ``dataset``."""
        return {"stage": "dataset", "scenarios": [scenario_dict(s) for s in self.scenarios],
                **({"mix": {"name": self.mix.name, "weights": self.mix.weights_by_family}}
                   if self.mix is not None else {}),
                "episodes": self.episodes, "min_episodes": self.min_episodes,
                "deterministic": self.deterministic, "n_envs": self.n_envs,
                "stream": self.stream, "seed_plan": SEED_PLAN_VERSION,
                **({"demonstrator": self.demonstrator.config(),
                    "quality_scenario": scenario_dict(self.quality_scenario)}
                   if self.demonstrator is not None else {})}


def parse_dataset(f: Fields, expert: ExpertSpec, catalogue: Catalogue) -> DatasetSpec:
    """``scenarios: [...]`` (round-robin) or ``mix: <name>``; by default what the expert
    trained on."""
    scenarios = catalogue.scenarios()
    mix = None
    if f.has("mix") and f.has("scenarios"):
        raise f.error("mix", "either 'scenarios' or 'mix', not both",
                      {"scenarios": f.raw("scenarios"), "mix": f.raw("mix")})
    if f.has("mix") or (not f.has("scenarios") and expert.is_mix):
        mixes = catalogue.mixes(f, "mix") if f.has("mix") else {}
        mix = mixes[f.string("mix", choices=list(mixes))] if f.has("mix") else expert.scenario
        names = list(mix.family_names)
    else:
        names = f.string_list("scenarios", [expert.scenario.name], choices=list(scenarios))
    min_episodes = f.integer("min_episodes", 200, lo=1)
    spec = DatasetSpec(scenarios=tuple(scenarios[n] for n in names), mix=mix,
                       episodes=f.integer("episodes", lo=1), min_episodes=min_episodes,
                       deterministic=f.boolean("deterministic", True),
                       playback_episodes=f.integer("playback_episodes", 3, lo=0),
                       n_envs=f.integer("n_envs", 64, lo=1, hi=1024))
    if spec.episodes < min_episodes:
        raise f.error("episodes", f">= min_episodes = {min_episodes}", spec.episodes)
    f.done()
    return spec
