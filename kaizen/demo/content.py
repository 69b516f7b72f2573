"""The demo plant's content, read from plant.toml into typed, frozen values.

The data file holds the words and numbers of the plant (teams, areas, people, sentences,
ideas, five-whys ladders, reflections, weights); this module only gives them types. The
order of every list is kept, because the seeded draws pick from them by position.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from random import Random
from typing import Any

from kaizen.models import BoardColumn, Outcome, RootCauseCategory, Waste, WipMode

DATA_FILE = "plant.toml"

Span = tuple[int, int]


@dataclass(frozen=True)
class Person:
    """A demo account's username and the name people see."""

    username: str
    name: str


@dataclass(frozen=True)
class AreaSpec:
    """An area and the machines, parts and next process its sentences mention."""

    slug: str
    name: str
    kind: str
    machines: tuple[str, ...]
    parts: tuple[str, ...]
    next_step: str


@dataclass(frozen=True)
class CardTarget:
    """How many of a team's cards stand in a column today, with their outcome."""

    column: BoardColumn
    outcome: Outcome | None
    count: int


@dataclass(frozen=True)
class TeamSpec:
    """A team: its areas, its people, its tablet and where its cards stand today."""

    slug: str
    name: str
    do_mode: WipMode
    voice: str
    lead: Person
    members: tuple[Person, ...]
    kiosk_area: str
    cards: tuple[CardTarget, ...]
    areas: tuple[AreaSpec, ...]


@dataclass(frozen=True)
class Idea:
    """An improvement idea, with a five-whys ladder where the team dug for the root cause."""

    waste: Waste
    title: str
    problem: str
    countermeasure: str
    minutes: Span | None
    cost: Span | None
    teams: tuple[str, ...]
    areas: tuple[str, ...]
    whys: tuple[tuple[str, str], ...]
    root_cause: str
    category: RootCauseCategory | None

    def fits(self, team: TeamSpec, area: AreaSpec) -> bool:
        """True when this idea makes sense for the area."""
        if self.areas:
            return area.slug in self.areas
        return not self.teams or team.slug in self.teams


@dataclass(frozen=True)
class ReflectionTexts:
    """Sentences a team writes when it reflects on a finished card."""

    learnt_adopted: tuple[str, ...]
    learnt_not_adopted: tuple[str, ...]
    take_forward: tuple[str, ...]
    do_differently: tuple[str, ...]


@dataclass(frozen=True)
class PlantContent:
    """Everything plant.toml says, typed."""

    admin: Person
    viewer: Person
    kiosk_username: str
    kiosk_name: str
    wip_limits: tuple[tuple[BoardColumn, int], ...]
    teams: tuple[TeamSpec, ...]
    observation_weights: dict[Waste, float]
    minutes_lost: dict[Waste, Span]
    observation_texts: dict[str, dict[Waste, tuple[str, ...]]]
    idea_weights: dict[Waste, float]
    dwell_days: dict[BoardColumn, Span]
    open_block_reasons: tuple[str, ...]
    block_reasons: tuple[str, ...]
    reflections: ReflectionTexts
    ideas: tuple[Idea, ...]

    def kiosk(self, area: AreaSpec) -> Person:
        """The tablet account bound to an area."""
        return Person(
            self.kiosk_username.format(area_slug=area.slug),
            self.kiosk_name.format(area_name=area.name),
        )

    def area(self, slug: str) -> AreaSpec:
        """The area with this slug."""
        return next(area for team in self.teams for area in team.areas if area.slug == slug)

    def usernames(self) -> list[str]:
        """Every username the demo plant creates."""
        names = [self.admin.username, self.viewer.username]
        for team in self.teams:
            names += [team.lead.username, *(member.username for member in team.members)]
            names.append(self.kiosk(self.area(team.kiosk_area)).username)
        return names


@cache
def plant_content() -> PlantContent:
    """The demo plant's content, read once from the data file shipped with the package."""
    text = files(__package__).joinpath(DATA_FILE).read_text(encoding="utf-8")
    return _plant(tomllib.loads(text))


def _plant(raw: dict[str, Any]) -> PlantContent:
    """Type the parsed data file."""
    accounts = raw["accounts"]
    blocks = raw["block_reasons"]
    return PlantContent(
        admin=Person(**accounts["admin"]),
        viewer=Person(**accounts["viewer"]),
        kiosk_username=accounts["kiosk_username"],
        kiosk_name=accounts["kiosk_name"],
        wip_limits=tuple((BoardColumn(c), limit) for c, limit in raw["wip_limits"].items()),
        teams=tuple(_team(team) for team in raw["teams"]),
        observation_weights=_by_waste(raw["observation_weights"]),
        minutes_lost={Waste(w): _span(span) for w, span in raw["minutes_lost"].items()},
        observation_texts={
            voice: {Waste(w): tuple(texts) for w, texts in by_waste.items()}
            for voice, by_waste in raw["observation_texts"].items()
        },
        idea_weights=_by_waste(raw["idea_weights"]),
        dwell_days={BoardColumn(c): _span(span) for c, span in raw["dwell_days"].items()},
        open_block_reasons=tuple(blocks["any"]),
        block_reasons=(*blocks["any"], *blocks["ended_only"]),
        reflections=ReflectionTexts(**{k: tuple(v) for k, v in raw["reflections"].items()}),
        ideas=tuple(_idea(idea) for idea in raw["ideas"]),
    )


def _team(raw: dict[str, Any]) -> TeamSpec:
    """One [[teams]] entry, typed."""
    return TeamSpec(
        slug=raw["slug"],
        name=raw["name"],
        do_mode=WipMode(raw["do_mode"]),
        voice=raw["voice"],
        lead=Person(**raw["lead"]),
        members=tuple(Person(**member) for member in raw["members"]),
        kiosk_area=raw["kiosk_area"],
        cards=tuple(
            CardTarget(
                column=BoardColumn(card["column"]),
                outcome=Outcome(card["outcome"]) if "outcome" in card else None,
                count=card["count"],
            )
            for card in raw["cards"]
        ),
        areas=tuple(
            AreaSpec(
                slug=area["slug"],
                name=area["name"],
                kind=area["kind"],
                machines=tuple(area["machines"]),
                parts=tuple(area["parts"]),
                next_step=area["next_step"],
            )
            for area in raw["areas"]
        ),
    )


def _idea(raw: dict[str, Any]) -> Idea:
    """One [[ideas]] entry, typed."""
    return Idea(
        waste=Waste(raw["waste"]),
        title=raw["title"],
        problem=raw["problem"],
        countermeasure=raw["countermeasure"],
        minutes=_span(raw["minutes"]) if "minutes" in raw else None,
        cost=_span(raw["cost"]) if "cost" in raw else None,
        teams=tuple(raw.get("teams", ())),
        areas=tuple(raw.get("areas", ())),
        whys=tuple((step["why"], step["because"]) for step in raw.get("whys", ())),
        root_cause=raw.get("root_cause", ""),
        category=RootCauseCategory(raw["category"]) if "category" in raw else None,
    )


def _by_waste(raw: dict[str, float]) -> dict[Waste, float]:
    """A table keyed by waste code, keyed by Waste (values kept exactly as written)."""
    return {Waste(code): weight for code, weight in raw.items()}


def _span(raw: list[int]) -> Span:
    """A [low, high] pair."""
    low, high = raw
    return (low, high)


def fill(template: str, words: dict[str, str]) -> str:
    """A sentence from a template and an area's words, its first letter capitalised."""
    text = template.format(**words)
    # Only the first letter: str.capitalize would lower-case 'MIG' and 'CMM'.
    return text[:1].upper() + text[1:]


def draw_words(rng: Random, area: AreaSpec) -> dict[str, str]:
    """Concrete machine and part names for one observation or card in this area."""
    return {
        "area": area.name,
        "machine": rng.choice(area.machines),
        "part": rng.choice(area.parts),
        "next": area.next_step,
    }
