"""The registry of steps: steps.toml, read once, as Python objects.

Everything that needs to know which steps exist asks this module, so the list
of steps is written in exactly one place.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGISTRY_FILE = ROOT / "steps.toml"


@dataclass(frozen=True)
class Feature:
    name: str
    summary: str
    symptom: bool = False


@dataclass(frozen=True)
class Step:
    """A runnable project: a numbered step, or final/ (number None)."""

    number: int | None
    folder: str
    title: str
    features: tuple[str, ...]
    wrong_way: bool = False
    drops: tuple[str, ...] = field(default=())

    @property
    def is_final(self) -> bool:
        return self.number is None

    @property
    def path(self) -> Path:
        return ROOT / "final" if self.is_final else ROOT / "steps" / self.folder

    @property
    def label(self) -> str:
        """How people name it: "step 04" or "final"."""
        return "final" if self.is_final else f"step {self.number:02d}"

    @property
    def notebook(self) -> Path | None:
        """notebooks/NN-slug.ipynb: same name as the step's folder."""
        return None if self.is_final else ROOT / "notebooks" / f"{self.folder}.ipynb"

    @property
    def relpath(self) -> str:
        return self.path.relative_to(ROOT).as_posix()


@dataclass(frozen=True)
class Registry:
    steps: tuple[Step, ...]
    final: Step
    features: dict[str, Feature]

    @property
    def projects(self) -> tuple[Step, ...]:
        """Every runnable project: the steps in order, then final/."""
        return (*self.steps, self.final)

    def step(self, number: int | str) -> Step:
        """Find a step by number: 4, "4" and "04" all work; "final" too."""
        if str(number).strip().lower() == "final":
            return self.final
        try:
            wanted = int(str(number).strip())
        except ValueError:
            raise LookupError(f"{number!r} is not a step number") from None
        for step in self.steps:
            if step.number == wanted:
                return step
        have = ", ".join(str(s.number) for s in self.steps)
        raise LookupError(
            f"step {wanted} does not exist yet (the steps so far are {have})"
        )

    def previous(self, step: Step) -> Step | None:
        if step.is_final:
            return self.steps[-1]
        index = self.steps.index(step)
        return self.steps[index - 1] if index else None


@cache
def load(path: Path = REGISTRY_FILE) -> Registry:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    features = {
        name: Feature(name=name, **spec) for name, spec in data["features"].items()
    }
    steps = tuple(_step(entry) for entry in data["step"])
    final = _step({**data["final"], "number": None})
    return Registry(steps=steps, final=final, features=features)


def _step(entry: dict) -> Step:
    return Step(
        number=entry["number"],
        folder=entry["folder"],
        title=entry["title"],
        features=tuple(entry["features"]),
        wrong_way=entry.get("wrong_way", False),
        drops=tuple(entry.get("drops", ())),
    )
