"""The learning hub: reflections to browse and search (through the database's full-text
index), lessons of a month, and "tried elsewhere?" suggestions of earlier experiments with
similar words."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, func, select
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
from kaizen.services.search import (
    LESSONS,
    ROOT_CAUSES,
    Index,
    holding,
    matching,
    search_words,
    words_held,
)


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
    best_first: bool = False  # a search: the best match first, not the newest

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


def _narrowed(
    session: DbSession, query: Select[Any], filters: LessonFilters, *, ranked: bool = False
) -> tuple[Select[Any], ColumnElement[Any] | None]:
    """A reflection query (joined to its card) narrowed by the words and filters; with words
    to search for and `ranked`, also an expression that sorts the best match first."""
    best_first = None
    words = search_words(filters.text)
    if words and ranked:
        query, best_first = matching(session, query, LESSONS, words)
    elif words:
        query = query.where(holding(session, LESSONS, words))
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
    return query, best_first


def list_lessons(session: DbSession, filters: LessonFilters, page: int = 1) -> LessonList:
    """One page of the hub's reflections (HUB_LIMIT a page, newest first, or best match
    first for a search), and how many match in all; a page past the last shows the last."""
    size = HUB_LIMIT
    counted = select(func.count(Reflection.id)).join(
        Improvement, Improvement.id == Reflection.improvement_id
    )
    total = session.scalar(_narrowed(session, counted, filters)[0]) or 0
    page = min(max(1, page), max(1, -(-total // size)))
    rows = find_lessons(session, filters, limit=size, offset=(page - 1) * size) if total else []
    best_first = bool(search_words(filters.text))
    return LessonList(rows=rows, total=total, page=page, page_size=size, best_first=best_first)


def find_lessons(
    session: DbSession, filters: LessonFilters, limit: int | None = None, offset: int = 0
) -> list[LessonRow]:
    """Reflections newest first, or best match first for a search (all of them, or `limit`
    from `offset`), narrowed by filters."""
    query, best_first = _narrowed(
        session,
        select(Reflection).join(Improvement, Improvement.id == Reflection.improvement_id),
        filters,
        ranked=True,
    )
    if best_first is not None:
        query = query.order_by(best_first)
    query = (
        query.options(
            selectinload(Reflection.author),
            selectinload(Reflection.improvement).selectinload(Improvement.area),
            selectinload(Reflection.improvement).selectinload(Improvement.team),
            selectinload(Reflection.improvement).selectinload(Improvement.root_causes),
        )
        .order_by(Reflection.created_at.desc(), Reflection.id.desc())
        .limit(limit)
        .offset(offset or None)
    )
    reflections = session.scalars(query).all()
    done = first_done_at(session, [r.improvement_id for r in reflections])
    anonymous = _("Anonymous")
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
                author=r.author.display_name if r.author else anonymous,
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


# "Tried elsewhere?": earlier texts sharing words with the new card's, found and ranked by
# the full-text index (services/search.py, docs/learning.md).

# A suggestion holds at least this share of the card's words (and at least one of them).
MIN_SHARE = 0.2
# How many of each kind the index is asked for, best first, before that share is checked.
CANDIDATES = 20


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
    score: float  # from the database's rank: higher is a better match


def _best(
    session: DbSession, query: Select[Any], index: Index, words: list[str]
) -> dict[int, tuple[float, list[str]]]:
    """The ids of the CANDIDATES best matches for any of the words that hold at least
    MIN_SHARE of them: each with its score and the words it holds."""
    query, best_first = matching(session, query, index, words, any_word=True)
    ranked = session.execute(query.add_columns(best_first).order_by(best_first).limit(CANDIDATES))
    scores = {row_id: -float(rank) for row_id, rank in ranked}
    held = words_held(session, index, list(scores), words)
    needed = max(1, math.ceil(MIN_SHARE * len(words)))
    return {i: (score, held[i]) for i, score in scores.items() if len(held[i]) >= needed}


def suggest_similar(
    session: DbSession, text: str, *, exclude_improvement_id: int | None = None, limit: int = 5
) -> list[Suggestion]:
    """Earlier reflections and root causes whose words overlap the text of a new card, best
    match first."""
    words = search_words(text)
    if not words:
        return []
    lessons = select(Reflection.id).join(Improvement, Improvement.id == Reflection.improvement_id)
    if exclude_improvement_id is not None:
        lessons = lessons.where(Improvement.id != exclude_improvement_id)
    found_lessons = _best(session, lessons, LESSONS, words)
    found_causes = _best(session, select(RootCause.id), ROOT_CAUSES, words)
    reflections = session.scalars(
        select(Reflection)
        .where(Reflection.id.in_(list(found_lessons)))
        .options(selectinload(Reflection.improvement).selectinload(Improvement.team))
    )
    found = []
    for r in reflections:
        card, (score, shared) = r.improvement, found_lessons[r.id]
        found.append(
            Suggestion("reflection", card.id, None, card.title, card.outcome, card.team.name,
                       r.learnt or r.take_forward or r.do_differently, shared, score)
        )  # fmt: skip
    for cause in session.scalars(select(RootCause).where(RootCause.id.in_(list(found_causes)))):
        score, shared = found_causes[cause.id]
        found.append(
            Suggestion("root cause", None, cause.id, cause.problem, None, None,
                       cause.root_cause or cause.countermeasure, shared, score)
        )  # fmt: skip
    found.sort(key=lambda s: (-s.score, s.title))
    return found[:limit]
