"""The registry of steps: steps.toml, read once, as Python objects.

Everything that needs to know which steps exist asks this module, so the list
of steps is written in exactly one place. A step lists only what it adds and
drops; its full feature list is computed here, once: the previous step's
features, plus its adds, minus its drops. final/ is the last step's right-way
features (its symptoms left out) plus final's own adds.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGISTRY_FILE = ROOT / "steps.toml"
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")


class RegistryError(Exception):
    """steps.toml says something impossible (a drop of a feature never had)."""


@dataclass(frozen=True)
class Feature:
    name: str
    summary: str
    symptom: bool = False


@dataclass(frozen=True)
class Part:
    number: int
    title: str

    @property
    def numeral(self) -> str:
        return ROMAN[self.number - 1]

    @property
    def label(self) -> str:
        return f"Part {self.numeral}"


@dataclass(frozen=True)
class Step:
    """A runnable project: a numbered step, or final/ (number None)."""

    number: int | None
    folder: str
    title: str
    features: tuple[str, ...]
    adds: tuple[str, ...] = field(default=())
    drops: tuple[str, ...] = field(default=())
    wrong_way: bool = False
    part: Part | None = None
    root: Path = ROOT
    # final/ only: {path: why} for each file it changes against the last step.
    changes: tuple[tuple[str, str], ...] = field(default=())

    @property
    def is_final(self) -> bool:
        return self.number is None

    @property
    def path(self) -> Path:
        return (
            self.root / "final" if self.is_final else self.root / "steps" / self.folder
        )

    @property
    def label(self) -> str:
        """How people name it: "step 04" or "final"."""
        return "final" if self.is_final else f"step {self.number:02d}"

    @property
    def heading(self) -> str:
        """The title as shown everywhere: the wrong-way label comes from the flag."""
        if not self.wrong_way:
            return self.title
        return f"WRONG WAY: {self.title[:1].lower()}{self.title[1:]}"

    @property
    def make(self) -> str:
        return "make final" if self.is_final else f"make step-{self.number}"

    @property
    def notebook(self) -> Path | None:
        """notebooks/NN-slug.ipynb: same name as the step's folder."""
        return (
            None if self.is_final else self.root / "notebooks" / f"{self.folder}.ipynb"
        )

    @property
    def relpath(self) -> str:
        return self.path.relative_to(self.root).as_posix()


@dataclass(frozen=True)
class Registry:
    steps: tuple[Step, ...]
    final: Step
    features: dict[str, Feature]
    parts: tuple[Part, ...]

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

    def at(self, path: Path) -> Step | None:
        """The project whose folder is `path`, if it is one of ours."""
        path = Path(path).resolve()
        return next((s for s in self.projects if s.path.resolve() == path), None)

    def previous(self, step: Step) -> Step | None:
        if step.is_final:
            return self.steps[-1]
        index = self.steps.index(step)
        return self.steps[index - 1] if index else None

    def steps_of(self, part: Part) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.part == part)


@cache
def load(path: Path = REGISTRY_FILE) -> Registry:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    root = path.resolve().parent
    features = {
        name: Feature(name=name, **spec) for name, spec in data["features"].items()
    }
    parts = tuple(Part(p["number"], p["title"]) for p in data["part"])
    by_number = {p.number: p for p in parts}
    steps: list[Step] = []
    have: tuple[str, ...] = ()
    for entry in data["step"]:
        have = _grow(have, entry, entry["folder"])
        steps.append(
            Step(
                number=entry["number"],
                folder=entry["folder"],
                title=entry["title"],
                features=have,
                adds=tuple(entry.get("adds", ())),
                drops=tuple(entry.get("drops", ())),
                wrong_way=entry.get("wrong_way", False),
                part=by_number[entry["part"]],
                root=root,
            )
        )
    entry = data["final"]
    right_way = tuple(f for f in have if not features[f].symptom)
    final = Step(
        number=None,
        folder=entry["folder"],
        title=entry["title"],
        features=_grow(right_way, entry, "final"),
        adds=tuple(entry.get("adds", ())),
        drops=tuple(entry.get("drops", ())),
        root=root,
        changes=tuple(entry.get("changes", {}).items()),
    )
    return Registry(tuple(steps), final, features, parts)


def _grow(have: tuple[str, ...], entry: dict, name: str) -> tuple[str, ...]:
    """The previous features, minus this entry's drops, plus its adds."""
    drops, adds = entry.get("drops", ()), entry.get("adds", ())
    unknown = [f for f in drops if f not in have]
    if unknown:
        raise RegistryError(f"{name} drops {unknown}, which it never had")
    again = [f for f in adds if f in have]
    if again:
        raise RegistryError(f"{name} adds {again}, which it already has")
    return tuple(f for f in have if f not in drops) + tuple(adds)
