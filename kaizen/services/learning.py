"""The learning hub: reflections to browse and search, lessons of a month, and "tried
elsewhere?" suggestions of earlier experiments with similar words."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from kaizen.models import (
    Area,
    Improvement,
    Outcome,
    Reflection,
    RootCause,
    RootCauseCategory,
    Team,
    Waste,
)
from kaizen.services import DbSession
from kaizen.services.flow_data import first_done_at


@dataclass(frozen=True)
class LessonRow:
    """One reflection with the card it belongs to, ready to show."""

    reflection_id: int
    improvement_id: int
    title: str
    outcome: Outcome | None
    waste: Waste | None
    area: str | None
    team: str
    root_cause: str | None
    root_cause_category: RootCauseCategory | None
    learnt: str
    take_forward: str
    do_differently: str
    author: str
    finished_at: datetime | None
    written_at: datetime


@dataclass(frozen=True)
class LessonFilters:
    """What the hub is narrowed to; every field optional."""

    text: str = ""
    outcome: Outcome | None = None
    waste: Waste | None = None
    area_id: int | None = None
    team_id: int | None = None
    start: datetime | None = None
    end: datetime | None = None


# The hub shows this many reflections a page, newest first; older ones are a page further.
HUB_LIMIT = 20


@dataclass(frozen=True)
class LessonList:
    """One page of the reflections the hub shows, and how many matched in all."""

    rows: list[LessonRow]
    total: int
    page: int = 1
    page_size: int = HUB_LIMIT

    @property
    def first(self) -> int:
        """The number of the first reflection shown (1-based; 0 when none)."""
        return (self.page - 1) * self.page_size + 1 if self.rows else 0

    @property
    def last(self) -> int:
        """The number of the last reflection shown."""
        return self.first + len(self.rows) - 1 if self.rows else 0

    @property
    def pages(self) -> int:
        """How many pages the matching reflections fill."""
        return max(1, -(-self.total // self.page_size))

    @property
    def truncated(self) -> bool:
        """More reflections matched than this page shows: the page offers the others."""
        return self.total > len(self.rows)


def _narrowed(query: Select[Any], filters: LessonFilters) -> Select[Any]:
    """A reflection query (joined to its card) narrowed by the words and filters."""
    for word in filters.text.split():
        like = f"%{word.lower()}%"
        query = query.where(
            or_(
                func.lower(Reflection.learnt).like(like),
                func.lower(Reflection.take_forward).like(like),
                func.lower(Reflection.do_differently).like(like),
                func.lower(Improvement.title).like(like),
            )
        )
    if filters.outcome is not None:
        query = query.where(Improvement.outcome == filters.outcome)
    if filters.waste is not None:
        query = query.where(Improvement.waste == filters.waste)
    if filters.area_id is not None:
        query = query.where(Improvement.area_id == filters.area_id)
    if filters.team_id is not None:
        query = query.where(Improvement.team_id == filters.team_id)
    if filters.start is not None:
        query = query.where(Reflection.created_at >= filters.start)
    if filters.end is not None:
        query = query.where(Reflection.created_at < filters.end)
    return query


def list_lessons(session: DbSession, filters: LessonFilters, page: int = 1) -> LessonList:
    """One page of the hub's reflections (HUB_LIMIT a page, newest first), and how many
    match in all; a page past the last shows the last."""
    size = HUB_LIMIT
    counted = select(func.count(Reflection.id)).join(
        Improvement, Improvement.id == Reflection.improvement_id
    )
    total = session.scalar(_narrowed(counted, filters)) or 0
    page = min(max(1, page), max(1, -(-total // size)))
    rows = find_lessons(session, filters, limit=size, offset=(page - 1) * size) if total else []
    return LessonList(rows=rows, total=total, page=page, page_size=size)


def find_lessons(
    session: DbSession, filters: LessonFilters, limit: int | None = None, offset: int = 0
) -> list[LessonRow]:
    """Reflections newest first (all of them, or the newest `limit`), narrowed by filters."""
    query = (
        select(Reflection)
        .join(Improvement, Improvement.id == Reflection.improvement_id)
        .options(
            selectinload(Reflection.author),
            selectinload(Reflection.improvement).selectinload(Improvement.area),
            selectinload(Reflection.improvement).selectinload(Improvement.team),
            selectinload(Reflection.improvement).selectinload(Improvement.root_causes),
        )
        .order_by(Reflection.created_at.desc(), Reflection.id.desc())
        .limit(limit)
        .offset(offset or None)
    )
    query = _narrowed(query, filters)
    reflections = session.scalars(query).all()
    done = first_done_at(session, [r.improvement_id for r in reflections])
    rows = []
    for r in reflections:
        card = r.improvement
        cause = card.root_causes[0] if card.root_causes else None
        rows.append(
            LessonRow(
                reflection_id=r.id,
                improvement_id=card.id,
                title=card.title,
                outcome=card.outcome,
                waste=card.waste,
                area=card.area.name if card.area else None,
                team=card.team.name,
                root_cause=(cause.root_cause or None) if cause else None,
                root_cause_category=cause.category if cause else None,
                learnt=r.learnt,
                take_forward=r.take_forward,
                do_differently=r.do_differently,
                author=r.author.display_name if r.author else "Anonymous",
                finished_at=done.get(card.id),
                written_at=r.created_at,
            )
        )
    return rows


def filter_choices(session: DbSession) -> tuple[list[Team], list[Area]]:
    """Teams and areas for the hub's filters."""
    teams = list(session.scalars(select(Team).order_by(Team.name)))
    areas = list(session.scalars(select(Area).order_by(Area.name)))
    return teams, areas


# "Tried elsewhere?" — simple, explainable text matching (see docs/learning.md).

STOP_WORDS = frozenset(
    """a about above after again all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself
    just me more most my no nor not now of off on once only or other our out over own same
    she should so some such than that the their them then there these they this those
    through to too under until up very was we were what when where which while who whom why
    will with would you your get gets got new use used""".split()
)
NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10",
}  # fmt: skip
SUFFIXES = ("ings", "ing", "ers", "er", "ies", "ied", "es", "ed", "ly", "s")
MIN_SCORE = 0.2


def stem(word: str) -> str:
    """A light stemmer: strip one common English suffix so 'waits' and 'waiting' meet."""
    word = NUMBER_WORDS.get(word, word)
    for suffix in SUFFIXES:
        if suffix == "s" and word.endswith(("ss", "us", "is")):
            break  # press, bus, axis: not plurals
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if len(word) > 4 and word.endswith("e") else word


def _words(text: str) -> list[str]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return [w for w in words if w not in STOP_WORDS and (len(w) > 2 or w.isdigit())]


def terms(text: str) -> set[str]:
    """The meaningful stemmed words of a text."""
    return {stem(w) for w in _words(text)}


@dataclass(frozen=True)
class Suggestion:
    """An earlier experiment or five whys with words in common with a new card."""

    kind: str  # "reflection" or "root cause"
    improvement_id: int | None
    root_cause_id: int | None
    title: str
    outcome: Outcome | None
    team: str | None
    snippet: str
    shared_words: list[str]
    score: float


def _score(query: set[str], candidate: set[str], weights: dict[str, float]) -> float:
    """Weighted overlap: shared rare words count more than shared common ones."""
    shared = query & candidate
    if not shared:
        return 0.0
    return sum(weights[t] for t in shared) / sum(weights[t] for t in query)


def suggest_similar(
    session: DbSession, text: str, *, exclude_improvement_id: int | None = None, limit: int = 5
) -> list[Suggestion]:
    """Earlier reflections and root causes whose words overlap the text of a new card."""
    query_terms = terms(text)
    if not query_terms:
        return []
    # Show people the words they typed, not their stems.
    spelled: dict[str, str] = {}
    for word in _words(text):
        spelled.setdefault(stem(word), word)
    cards = session.scalars(
        select(Improvement)
        .join(Reflection, Reflection.improvement_id == Improvement.id)
        .options(selectinload(Improvement.reflection), selectinload(Improvement.team))
    ).all()
    causes = session.scalars(select(RootCause)).all()

    documents: list[tuple[Suggestion, set[str]]] = []
    for card in cards:
        if card.id == exclude_improvement_id or card.reflection is None:
            continue
        r = card.reflection
        answers = [r.learnt, r.take_forward, r.do_differently]
        body = " ".join([card.title, card.problem, card.countermeasure, *answers])
        documents.append(
            (
                Suggestion("reflection", card.id, None, card.title, card.outcome,
                           card.team.name, r.learnt or r.take_forward or r.do_differently, [], 0),
                terms(body),
            )
        )  # fmt: skip
    for cause in causes:
        body = " ".join([cause.problem, cause.root_cause, cause.countermeasure])
        documents.append(
            (
                Suggestion("root cause", None, cause.id, cause.problem, None, None,
                           cause.root_cause or cause.countermeasure, [], 0),
                terms(body),
            )
        )  # fmt: skip

    # Inverse document frequency: a word found in few documents says more about a match.
    frequency = Counter(t for _, doc_terms in documents for t in doc_terms)
    total = max(len(documents), 1)
    weights = {t: math.log(1 + total / (1 + frequency[t])) for t in query_terms}
    scored = []
    for suggestion, doc_terms in documents:
        score = _score(query_terms, doc_terms, weights)
        if score >= MIN_SCORE:
            shared = sorted(spelled[t] for t in query_terms & doc_terms)
            scored.append(replace(suggestion, shared_words=shared, score=round(score, 3)))
    scored.sort(key=lambda s: (-s.score, s.title))
    return scored[:limit]
