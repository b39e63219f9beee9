"""The lab file format (`labs/<slug>.yaml`) and its loader.

A lab holds a title and summary in English and Spanish, a starting cluster (template,
clock speed, objects to apply, components that start stopped or crashed) and ordered
steps, each with instructions, hints and a check (see `cluster.labs.checks`). The
loader reports every problem of a file at once, each naming its place in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from cluster.labs import checks

LANGUAGES = ("en", "es")
TEMPLATES = ("single", "ha", "empty")
SPEEDS = (0, 1, 2, 10, 60)
COMPONENT_STATES = ("stopped", "crashed")
SLUG = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class LabError(ValueError):
    """A lab file that cannot be used; `problems` lists every reason."""

    def __init__(self, source: str, problems: list[str]):
        self.source, self.problems = source, problems
        super().__init__(f"{source}: " + "; ".join(problems))


@dataclass(frozen=True)
class Step:
    id: str
    title: dict[str, str]
    text: dict[str, str]
    check: dict
    hints: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Start:
    template: str = "single"
    speed: float = 1
    objects: tuple[dict, ...] = ()
    # (machine, component kind, state): processes that start broken.
    broken: tuple[tuple[str, str, str], ...] = ()
    powered_off: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lab:
    slug: str
    title: dict[str, str]
    summary: dict[str, str]
    start: Start
    steps: tuple[Step, ...]
    order: int = 0

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def text(self, value: dict[str, str], language: str) -> str:
        """The text in `language`, English when it has no translation."""
        return value.get(language) or value.get("en", "")


def _translated(value, where: str, problems: list[str]) -> dict[str, str]:
    if not isinstance(value, dict):
        problems.append(f"{where}: must be a mapping with en and es texts")
        return {}
    for lang in LANGUAGES:
        if not isinstance(value.get(lang), str) or not value[lang].strip():
            problems.append(f"{where}.{lang}: text is missing")
    extra = set(value) - set(LANGUAGES)
    if extra:
        problems.append(f"{where}: unknown languages {', '.join(sorted(extra))}")
    return {k: v for k, v in value.items() if isinstance(v, str)}


def _hints(value, where: str, problems: list[str]) -> dict[str, list[str]]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(v, list) and all(isinstance(h, str) for h in v)
        for v in value.values()
    ):
        problems.append(f"{where}: must map en/es to lists of hints")
        return {}
    return value


def _start(value, problems: list[str]) -> Start:
    if value is None:
        return Start()
    if not isinstance(value, dict):
        problems.append("start: must be a mapping")
        return Start()
    allowed = {"template", "speed", "objects", "stopped", "crashed", "powered_off"}
    for key in set(value) - allowed:
        problems.append(
            f"start: unknown key {key!r}; allowed: {', '.join(sorted(allowed))}"
        )
    template = value.get("template", "single")
    if template not in TEMPLATES:
        problems.append(
            f"start.template: {template!r} is not one of {', '.join(TEMPLATES)}"
        )
    speed = value.get("speed", 1)
    if speed not in SPEEDS or isinstance(speed, bool):
        problems.append(
            f"start.speed: {speed!r} is not one of {', '.join(map(str, SPEEDS))}"
        )
    objects = value.get("objects") or []
    if not isinstance(objects, list):
        problems.append("start.objects: must be a list of manifests")
        objects = []
    for i, obj in enumerate(objects):
        if (
            not isinstance(obj, dict)
            or not obj.get("kind")
            or not obj.get("apiVersion")
        ):
            problems.append(f"start.objects[{i}]: a manifest needs apiVersion and kind")
    broken = []
    for state in COMPONENT_STATES:
        for i, item in enumerate(value.get(state) or []):
            if (
                not isinstance(item, dict)
                or not isinstance(item.get("machine"), str)
                or not isinstance(item.get("component"), str)
            ):
                problems.append(f"start.{state}[{i}]: needs machine and component")
                continue
            broken.append((item["machine"], item["component"], state))
    powered_off = value.get("powered_off") or []
    if not isinstance(powered_off, list) or not all(
        isinstance(m, str) for m in powered_off
    ):
        problems.append("start.powered_off: must be a list of machine names")
        powered_off = []
    return Start(template, speed, tuple(objects), tuple(broken), tuple(powered_off))


def parse_lab(data, source: str = "lab") -> Lab:
    """A Lab from parsed YAML; LabError lists every problem found."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise LabError(source, ["the file must hold a mapping (slug, title, steps...)"])
    allowed = {"slug", "title", "summary", "start", "steps", "order"}
    for key in set(data) - allowed:
        problems.append(f"unknown key {key!r}; allowed: {', '.join(sorted(allowed))}")
    slug = data.get("slug")
    if not isinstance(slug, str) or not SLUG.match(slug):
        problems.append("slug: lower-case letters, digits and '-' are required")
    title = _translated(data.get("title"), "title", problems)
    summary = _translated(data.get("summary"), "summary", problems)
    start = _start(data.get("start"), problems)
    steps_data = data.get("steps")
    steps: list[Step] = []
    if not isinstance(steps_data, list) or not steps_data:
        problems.append("steps: a lab needs at least one step")
        steps_data = []
    seen: set[str] = set()
    for i, raw in enumerate(steps_data):
        where = f"steps[{i}]"
        if not isinstance(raw, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        for key in set(raw) - {"id", "title", "text", "hints", "check"}:
            problems.append(f"{where}: unknown key {key!r}")
        step_id = raw.get("id")
        if not isinstance(step_id, str) or not SLUG.match(step_id):
            problems.append(
                f"{where}.id: lower-case letters, digits and '-' are required"
            )
        elif step_id in seen:
            problems.append(f"{where}.id: {step_id!r} is used twice")
        else:
            seen.add(step_id)
        if "check" not in raw:
            problems.append(f"{where}.check: every step needs a check")
        else:
            problems += checks.validate(raw["check"], f"{where}.check")
        steps.append(
            Step(
                id=str(step_id),
                title=_translated(raw.get("title"), f"{where}.title", problems),
                text=_translated(raw.get("text"), f"{where}.text", problems),
                hints=_hints(raw.get("hints"), f"{where}.hints", problems),
                check=raw.get("check") or {},
            )
        )
    order = data.get("order", 0)
    if not isinstance(order, int):
        problems.append("order: must be an integer")
        order = 0
    if problems:
        raise LabError(source, problems)
    return Lab(slug, title, summary, start, tuple(steps), order)


def load_lab(path: Path) -> Lab:
    """Read and validate one lab file; its slug must match the file name."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise LabError(path.name, [f"not valid YAML: {exc}"]) from None
    lab = parse_lab(data, path.name)
    if lab.slug != path.stem:
        raise LabError(path.name, [f"slug {lab.slug!r} must match the file name"])
    return lab


def load_labs(directory: Path) -> dict[str, Lab]:
    """Every lab in a directory by slug, in course order; LabError on the first bad file."""
    labs = [load_lab(p) for p in sorted(Path(directory).glob("*.yaml"))]
    return {
        lab.slug: lab for lab in sorted(labs, key=lambda lab: (lab.order, lab.slug))
    }
