"""Five-whys records: the ladder of why/because steps, the conclusion, links, blame prompts
and recurrence (observations before and after the countermeasure reached Done)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kaizen.formatting import short_day
from kaizen.models import (
    Improvement,
    Observation,
    Role,
    RootCause,
    RootCauseCategory,
    RootCauseStatus,
    User,
    WhyStep,
    utcnow,
)
from kaizen.services import DbSession
from kaizen.services.flow_data import first_done_at
from kaizen.services.improvements import improvement_or_none, observation_or_none
from kaizen.services.scope import NotYourTeam, works_on_record
from kaizen.services.search import ROOT_CAUSES, matching, search_words

# A chain shorter than this rarely reaches the process; the page says so gently.
SUGGESTED_MIN_STEPS = 3

# Phrases that put a person, not the process, at the root. Matched case-insensitively on
# word boundaries. Kept short and plain on purpose: the prompt is a nudge, never a gate.
BLAME_PHRASES = (
    "human error",
    "operator error",
    "user error",
    "worker error",
    "forgot",
    "forgets",
    "forgotten",
    "careless",
    "carelessness",
    "not careful",
    "negligence",
    "negligent",
    "lazy",
    "laziness",
    "incompetent",
    "didn't pay attention",
    "did not pay attention",
    "not paying attention",
    "wasn't paying attention",
    "inattentive",
    "should have known",
    "didn't follow",
    "did not follow",
    "his fault",
    "her fault",
    "their fault",
    "fault of",
    "blame",
)
BLAME_PROMPT = _l("Ask why the process allowed it")

# Shared with the forms (kaizen/root_causes/forms.py); translated when shown.
NO_PROBLEM = _l("Describe the problem in a sentence.")
NO_QUESTION = _l("Write the question: why did it happen?")
NO_ANSWER = _l("Write the answer: because ...")
NO_COUNTERMEASURE = _l("Choose a countermeasure before marking it chosen or verified.")


class RootCauseError(ValueError):
    """A change to a five-whys record that cannot be made; the message says why."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        # The field of the JSON API's record the message is about, when it is one field's.
        self.field = field


@dataclass(frozen=True)
class Recurrence:
    """Linked observations before and after the countermeasure's card first reached Done."""

    improvement_id: int
    improvement_title: str
    done_at: datetime
    before: int
    after: int
    days_before: int
    days_after: int

    @property
    def before_per_week(self) -> float:
        """Observations per week in the span before Done."""
        return round(7 * self.before / max(self.days_before, 1), 1)

    @property
    def after_per_week(self) -> float:
        """Observations per week since Done."""
        return round(7 * self.after / max(self.days_after, 1), 1)


# Words that appear in account names but are ordinary words on the shop floor.
NOT_NAMES = frozenset(
    [
        "the",
        "and",
        "plant",
        "press",
        "line",
        "cell",
        "team",
        "lead",
        "shop",
        "admin",
        "administrator",
        "viewer",
        "member",
        "demo",
        "tablet",
        "kiosk",
        "station",
        "assembly",
        "logistics",
        "paint",
        "weld",
        "maintenance",
        "stores",
        "goods",
    ]
)


def _as_name(word: str) -> str:
    """A word capitalised the way a name is written in a sentence: "will" -> "Will"."""
    return word[:1].upper() + word[1:]


def person_names(session: DbSession) -> list[str]:
    """Names of people's accounts (not kiosk tablets), for spotting a person blamed by name.

    The username and each word of the display name count, each capitalised as a name
    ("will" -> "Will", "van" -> "Van"), so a lower-case account name never fires on the
    ordinary word it spells ("we will mark the racks").
    """
    names: set[str] = set()
    rows = session.execute(select(User.username, User.display_name).where(User.role != Role.KIOSK))
    for username, display_name in rows:
        names.add(_as_name(username))
        names.update(_as_name(word) for word in display_name.split())
    return sorted(n for n in names if len(n) >= 3 and n.lower() not in NOT_NAMES)


def _contains(text: str, phrase: str, *, match_case: bool) -> bool:
    flags = 0 if match_case else re.IGNORECASE
    return re.search(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", text, flags) is not None


def blame_matches(text: str, names: Iterable[str] = ()) -> list[str]:
    """The blaming phrases and person names found in `text` (empty when it reads blame-free).

    Phrases match in any case; names only as written (capitalised), so that a name that is
    also an ordinary word ("Will", "Mark") fires only where it is used as a name.
    """
    found = [p for p in BLAME_PHRASES if _contains(text, p, match_case=False)]
    found += [n for n in names if _contains(text, n, match_case=True)]
    return found


def without_because(answer: str) -> str:
    """The answer without a leading "Because", which the ladder already prints as its label."""
    stripped = re.sub(r"^\s*because\b[\s,.:…-]*", "", answer, flags=re.IGNORECASE)
    return stripped[:1].upper() + stripped[1:] if stripped else answer


def load_root_cause(session: DbSession, root_cause_id: int) -> RootCause | None:
    """A record with its steps, linked observations (with areas) and improvements."""
    return session.scalar(
        select(RootCause)
        .where(RootCause.id == root_cause_id)
        .options(
            selectinload(RootCause.steps),
            selectinload(RootCause.observations).selectinload(Observation.area),
            selectinload(RootCause.improvements).selectinload(Improvement.team),
        )
    )


def create_root_cause(
    session: DbSession,
    *,
    problem: str,
    why: str,
    because: str,
    created_by: User | None = None,
    observation: Observation | None = None,
    improvement: Improvement | None = None,
) -> RootCause:
    """Start a record with its problem and first step, linked to where it came from."""
    if not problem.strip():
        raise RootCauseError(str(NO_PROBLEM))
    record = RootCause(problem=problem.strip(), created_by=created_by)
    if observation is not None:
        record.observations.append(observation)
    if improvement is not None:
        record.improvements.append(improvement)
    session.add(record)
    _append_step(session, record, why, because)
    session.commit()
    return record


def _check_step(why: str, because: str) -> None:
    if not why.strip():
        raise RootCauseError(str(NO_QUESTION))
    if not because.strip():
        raise RootCauseError(str(NO_ANSWER))


def _append_step(session: DbSession, record: RootCause, why: str, because: str) -> WhyStep:
    """Put a why/because step at the bottom of the ladder (the caller commits)."""
    _check_step(why, because)
    step = WhyStep(position=len(record.steps), why=why.strip(), because=because.strip())
    record.steps.append(step)
    session.flush()
    return step


def add_step(session: DbSession, record: RootCause, why: str, because: str) -> WhyStep:
    """Append a why/because step at the bottom of the ladder."""
    step = _append_step(session, record, why, because)
    session.commit()
    return step


def _step(record: RootCause, step_id: int) -> WhyStep:
    for step in record.steps:
        if step.id == step_id:
            return step
    raise RootCauseError(_("That step is not part of this record any more."))


def update_step(
    session: DbSession, record: RootCause, step_id: int, why: str, because: str
) -> None:
    """Change the question and answer of one step, keeping its place."""
    _check_step(why, because)
    step = _step(record, step_id)
    step.why, step.because = why.strip(), because.strip()
    session.commit()


def remove_last_step(session: DbSession, record: RootCause) -> None:
    """Remove the bottom step; the first step always stays."""
    if len(record.steps) <= 1:
        raise RootCauseError(_("A five whys needs at least one step."))
    session.delete(record.steps[-1])
    record.steps.pop()
    session.commit()


def move_step(session: DbSession, record: RootCause, step_id: int, offset: int) -> None:
    """Swap a step with its neighbour above (-1) or below (+1); the ends stay put."""
    steps = list(record.steps)
    index = steps.index(_step(record, step_id))
    other = index + offset
    if offset not in (-1, 1) or not 0 <= other < len(steps):
        return
    steps[index], steps[other] = steps[other], steps[index]
    for position, step in enumerate(steps):
        step.position = position
    record.steps.sort(key=lambda s: s.position)
    session.commit()


def update_problem(session: DbSession, record: RootCause, problem: str) -> None:
    """Reword the problem statement."""
    if not problem.strip():
        raise RootCauseError(str(NO_PROBLEM))
    record.problem = problem.strip()
    session.commit()


def update_conclusion(
    session: DbSession,
    record: RootCause,
    *,
    root_cause: str,
    category: RootCauseCategory | None,
    countermeasure: str,
    status: RootCauseStatus,
) -> None:
    """Set the root cause, its category, the countermeasure and where the record stands."""
    if status is not RootCauseStatus.OPEN and not countermeasure.strip():
        raise RootCauseError(str(NO_COUNTERMEASURE))
    record.root_cause = root_cause.strip()
    record.category = category
    record.countermeasure = countermeasure.strip()
    record.status = status
    session.commit()


def link(session: DbSession, record: RootCause, item: Observation | Improvement) -> None:
    """Link the record to an observation or an improvement (once)."""
    links: list = record.observations if isinstance(item, Observation) else record.improvements
    if item not in links:
        links.append(item)
    session.commit()


def unlink(session: DbSession, record: RootCause, item: Observation | Improvement) -> None:
    """Remove a link; the observation or improvement itself stays."""
    links: list = record.observations if isinstance(item, Observation) else record.improvements
    if item in links:
        links.remove(item)
    session.commit()


@dataclass(frozen=True)
class RecordInput:
    """A whole record as the JSON API sends it: steps in order, conclusion, links by id."""

    problem: str
    steps: Sequence[tuple[str, str]]
    root_cause: str = ""
    category: RootCauseCategory | None = None
    countermeasure: str = ""
    status: RootCauseStatus = RootCauseStatus.OPEN
    observation_ids: Sequence[int] = ()
    improvement_ids: Sequence[int] = ()


def _linked(session: DbSession, model: Any, ids: Sequence[int], field: str) -> list[Any]:
    found = list(session.scalars(select(model).where(model.id.in_(set(ids))))) if ids else []
    missing = sorted(set(ids) - {item.id for item in found})
    if missing:
        raise RootCauseError(_("No such id: %(ids)s.", ids=", ".join(map(str, missing))), field)
    return found


def save_record(
    session: DbSession, record: RootCause | None, data: RecordInput, by_user: User
) -> RootCause:
    """Create a record, or replace one's steps, conclusion and links, in one transaction.

    The team rule of the pages holds: linked to cards, a record is worked on by those
    cards' teams, before the change and after it (NotYourTeam otherwise).
    """
    try:
        cards = _linked(session, Improvement, data.improvement_ids, "improvements")
        observations = _linked(session, Observation, data.observation_ids, "observations")
        before = [c.team_id for c in record.improvements] if record is not None else []
        if not works_on_record(by_user, before) or not works_on_record(
            by_user, [c.team_id for c in cards]
        ):
            raise NotYourTeam()
        if not data.problem.strip():
            raise RootCauseError(str(NO_PROBLEM), "problem")
        if data.status is not RootCauseStatus.OPEN and not data.countermeasure.strip():
            raise RootCauseError(str(NO_COUNTERMEASURE), "countermeasure")
        for why, because in data.steps:
            _check_step(why, because)
        if record is None:
            record = RootCause(problem="", created_by=by_user)
            session.add(record)
        record.problem = data.problem.strip()
        record.steps[:] = [
            WhyStep(position=i, why=why.strip(), because=because.strip())
            for i, (why, because) in enumerate(data.steps)
        ]
        record.root_cause = data.root_cause.strip()
        record.category = data.category
        record.countermeasure = data.countermeasure.strip()
        record.status = data.status
        record.observations[:] = observations
        record.improvements[:] = cards
        record.updated_at = utcnow()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return record


def recurrence(
    session: DbSession, record: RootCause, now: datetime | None = None
) -> Recurrence | None:
    """Linked observations before and after the earliest linked card first reached Done."""
    now = now or utcnow()
    card_ids = [card.id for card in record.improvements]
    if not card_ids:
        return None
    done = first_done_at(session, card_ids)
    if not done:
        return None
    card_id, done_at = min(done.items(), key=lambda item: (item[1], item[0]))
    card = next(c for c in record.improvements if c.id == card_id)
    observed = [o.observed_at for o in record.observations]
    before = [t for t in observed if t < done_at]
    after = [t for t in observed if t >= done_at]
    earliest = min(before) if before else done_at
    return Recurrence(
        improvement_id=card.id,
        improvement_title=card.title,
        done_at=done_at,
        before=len(before),
        after=len(after),
        days_before=max((done_at - earliest).days, 1),
        days_after=max((now - done_at).days, 1),
    )


@dataclass(frozen=True)
class RootCauseRow:
    """One record in the list."""

    id: int
    problem: str
    root_cause: str
    category: RootCauseCategory | None
    status: RootCauseStatus
    steps: int
    observations: int
    improvements: int
    updated_at: datetime


def list_root_causes(
    session: DbSession,
    *,
    category: RootCauseCategory | None = None,
    status: RootCauseStatus | None = None,
    text: str = "",
) -> list[RootCauseRow]:
    """Records newest first, filtered by category, status and words in any of their text
    (problem, root cause, countermeasure, steps); best match first for a search."""
    query = select(RootCause).options(
        selectinload(RootCause.steps),
        selectinload(RootCause.observations).load_only(Observation.id),
        selectinload(RootCause.improvements).load_only(Improvement.id),
    )
    if words := search_words(text):
        query, best_first = matching(session, query, ROOT_CAUSES, words)
        query = query.order_by(best_first)
    query = query.order_by(RootCause.updated_at.desc(), RootCause.id.desc())
    if category is not None:
        query = query.where(RootCause.category == category)
    if status is not None:
        query = query.where(RootCause.status == status)
    return [
        RootCauseRow(
            id=r.id,
            problem=r.problem,
            root_cause=r.root_cause,
            category=r.category,
            status=r.status,
            steps=len(r.steps),
            observations=len(r.observations),
            improvements=len(r.improvements),
            updated_at=r.updated_at,
        )
        for r in session.scalars(query)
    ]


@dataclass(frozen=True)
class RootCauseChoice:
    """A five-whys record someone can link a report to."""

    id: int
    problem: str


def root_cause_choices(session: DbSession, limit: int = 200) -> list[RootCauseChoice]:
    """The newest five-whys records, for the 'link to a five whys' picker."""
    rows = session.execute(
        select(RootCause.id, RootCause.problem)
        .order_by(RootCause.created_at.desc(), RootCause.id.desc())
        .limit(limit)
    ).all()
    return [RootCauseChoice(id=r[0], problem=r[1]) for r in rows]


def link_choices(
    session: DbSession, record: RootCause
) -> tuple[Sequence[Improvement], Sequence[Observation]]:
    """Cards and recent observations that could be linked to the record (not linked yet)."""
    linked_cards = {c.id for c in record.improvements}
    linked_obs = {o.id for o in record.observations}
    cards = session.scalars(select(Improvement).order_by(Improvement.id.desc()).limit(200)).all()
    observations = session.scalars(
        select(Observation)
        .options(selectinload(Observation.area))
        .order_by(Observation.observed_at.desc())
        .limit(100)
    ).all()
    return (
        [c for c in cards if c.id not in linked_cards],
        [o for o in observations if o.id not in linked_obs],
    )


# --------------------------------------------------------------------------------------
# What the record's page shows
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepView:
    """A rung of the ladder, ready to show."""

    step: WhyStep
    because: str
    number: int
    blame: list[str]
    editing: bool
    first: bool
    last: bool


@dataclass(frozen=True)
class Ladder:
    """The ladder of a record as the page shows it."""

    steps: list[StepView]
    # A chain shorter than SUGGESTED_MIN_STEPS gets a gentle "keep asking why".
    short_chain: bool
    editing: WhyStep | None


def ladder(record: RootCause, names: Sequence[str], editing: int | None = None) -> Ladder:
    """Each step numbered, its answer without a leading 'because', blame spotted."""
    count = len(record.steps)
    steps = [
        StepView(
            step=s,
            because=without_because(s.because),
            number=i + 1,
            blame=blame_matches(f"{s.why} {s.because}", names),
            editing=s.id == editing,
            first=i == 0,
            last=i == count - 1,
        )
        for i, s in enumerate(record.steps)
    ]
    current = next((s for s in record.steps if s.id == editing), None)
    return Ladder(steps, count < SUGGESTED_MIN_STEPS, current)


def link_options(
    session: DbSession, record: RootCause
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(value, label) of the cards and of the observations that could be linked."""
    cards, observations = link_choices(session, record)
    return (
        [(str(c.id), f"#{c.id} {c.title}") for c in cards],
        [
            (str(o.id), f"{short_day(o.observed_at)} · {o.area.name} · {o.description[:60]}")
            for o in observations
        ],
    )


def find_item(
    session: DbSession, improvement_id: str | None, observation_id: str | None
) -> Improvement | Observation | None:
    """The card, else the observation, named by these ids as typed (None when neither is)."""
    card = improvement_or_none(session, improvement_id)
    return card if card is not None else observation_or_none(session, observation_id)
