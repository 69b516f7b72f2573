"""The demo plant's history: observations, cards with their moves and blocks, five whys and
reflections, drawn in a fixed order from the seeded generator the loader passes in.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from kaizen.models import (
    Area,
    BlockPeriod,
    BoardColumn,
    CardMove,
    Frequency,
    Improvement,
    Observation,
    Outcome,
    Reflection,
    RootCause,
    RootCauseStatus,
    Team,
    User,
    Waste,
    WhyStep,
)
from kaizen.services import DbSession

from .content import AreaSpec, PlantContent, TeamSpec, draw_words, fill
from .timeline import (
    CHECK,
    DO,
    DONE,
    HISTORY_DAYS,
    IDEAS,
    PLAN,
    PlannedCard,
    observed_in_week,
    spread,
)

OBSERVATION_COUNT = 300
ROOT_CAUSE_COUNT = 30
# Of the five-whys records, this many are on finished cards; the rest on open ones.
ROOT_CAUSES_ON_DONE = 20
# Open cards blocked today, and cards that were blocked for a while and then freed.
BLOCKED_NOW = 4
BLOCKED_BEFORE = 8
# Recently finished cards whose team has not written the reflection yet.
REFLECTIONS_PENDING = 4


@dataclass
class PlantBuild:
    """What the steps share: the content, the seeded draws, the moment and the rows so far."""

    session: DbSession
    content: PlantContent
    rng: random.Random
    now: datetime
    # Teams, areas and accounts existed before the oldest card was written.
    founded: datetime
    teams: dict[str, Team] = field(default_factory=dict)
    areas: dict[str, Area] = field(default_factory=dict)
    users: list[User] = field(default_factory=list)
    people: dict[str, list[User]] = field(default_factory=dict)  # per team: lead first
    kiosks: dict[str, User] = field(default_factory=dict)  # per area slug
    observations: list[Observation] = field(default_factory=list)
    # The observations behind each card, by the card's index in the plan.
    card_observations: defaultdict[int, list[Observation]] = field(
        default_factory=lambda: defaultdict(list)
    )
    improvements: list[Improvement] = field(default_factory=list)  # in plan order
    moves: list[CardMove] = field(default_factory=list)
    blocks: list[BlockPeriod] = field(default_factory=list)
    root_causes: list[RootCause] = field(default_factory=list)
    reflections: list[Reflection] = field(default_factory=list)


def observe_card_problems(build: PlantBuild, cards: list[PlannedCard]) -> None:
    """The observations behind each card, reported in the weeks before it was written."""
    rng = build.rng
    window_start = build.now - timedelta(days=HISTORY_DAYS)
    for index, card in enumerate(cards):
        created = card.times[0]
        room = created - window_start - timedelta(hours=3)
        if rng.random() < 0.9 and room > timedelta(hours=2):
            for n in range(rng.choice([1, 1, 1, 2, 2, 2, 3, 4])):
                latest = min(room, timedelta(days=45))
                seconds = rng.randint(2 * 3600, int(latest.total_seconds()))
                when = (created - timedelta(seconds=seconds)).replace(second=0, microsecond=0)
                # The card's problem statement usually starts as someone's observation.
                text = card.fill(card.idea.problem) if n == 0 else ""
                build.card_observations[index].append(
                    _observe(build, card.team, card.area, card.idea.waste, when, text)
                )


def top_up_observations(build: PlantBuild) -> None:
    """Everything else people saw, week by week towards a gently rising curve."""
    # More reports over time is the sign of a team that feels safe to speak up.
    rng, now, content = build.rng, build.now, build.content
    weeks = HISTORY_DAYS // 7
    target = [OBSERVATION_COUNT * (1 + 1.2 * (w + 0.5) / weeks) for w in range(weeks)]
    target = [t * OBSERVATION_COUNT / sum(target) for t in target]  # index 0 = oldest
    seeded = Counter(weeks - 1 - (now - o.observed_at).days // 7 for o in build.observations)
    shortfall = [max(0.1, target[w] - seeded[w]) for w in range(weeks)]
    top_up = OBSERVATION_COUNT - len(build.observations)
    per_week = spread(top_up, shortfall)
    wastes = _top_up_wastes(build, top_up)
    all_areas = [(team, area) for team in content.teams for area in team.areas]
    # Lines and cells see more traffic than the stores.
    area_weights = [3 if area.kind in ("line", "cell") else 2 for _, area in all_areas]
    for week, count in enumerate(per_week):
        for _ in range(count):
            team, area = rng.choices(all_areas, area_weights)[0]
            when = observed_in_week(rng, now, weeks - 1 - week)
            _observe(build, team, area, wastes.pop(), when)
    build.observations.sort(key=lambda o: o.observed_at)


def _top_up_wastes(build: PlantBuild, top_up: int) -> list[Waste]:
    """The wastes of the top-up reports, shuffled, steering towards the usual mix."""
    # Waiting, motion and defects stay the most reported whatever the cards were about.
    weights = build.content.observation_weights
    whole = sum(weights.values())
    have = Counter(o.waste for o in build.observations)
    short = [
        max(0.1, OBSERVATION_COUNT * weight / whole - have[w]) for w, weight in weights.items()
    ]
    wastes = [w for w, n in zip(weights, spread(top_up, short), strict=True) for _ in range(n)]
    build.rng.shuffle(wastes)
    return wastes


def _observe(
    build: PlantBuild, team: TeamSpec, area: AreaSpec, waste: Waste, when: datetime, text: str = ""
) -> Observation:
    """One report at an area: anonymous, from its tablet or from a person, as people do."""
    rng = build.rng
    texts = build.content.observation_texts[team.voice]
    text = text or fill(rng.choice(texts[waste]), draw_words(rng, area))
    reporter: User | None = None
    if rng.random() >= 0.4:  # four in ten reports are anonymous
        kiosk = build.kiosks.get(area.slug)
        if kiosk is not None and rng.random() < 0.5:
            reporter = kiosk
        else:
            # People mostly report in their own team's areas, sometimes next door.
            crew_team = team.slug if rng.random() < 0.85 else rng.choice(list(build.people))
            crew = build.people[crew_team]
            reporter = rng.choice(crew[1:] or crew)
    low, high = build.content.minutes_lost[waste]
    minutes = _minutes(rng, low, high) if rng.random() < 0.6 else None
    frequency = None
    if rng.random() < 0.7:
        frequency = rng.choices(
            [Frequency.SHIFT, Frequency.DAY, Frequency.WEEK, Frequency.ONCE],
            [35, 30, 20, 15],
        )[0]
    observation = Observation(
        observed_at=when,
        created_at=when,
        area=build.areas[area.slug],
        waste=waste,
        description=text,
        minutes_lost=minutes,
        frequency=frequency,
        reporter=reporter,
    )
    build.observations.append(observation)
    return observation


def add_improvements(build: PlantBuild, cards: list[PlannedCard]) -> None:
    """A card for each planned one, with its move log, observations and blocked periods."""
    rng = build.rng
    open_cards = [i for i, c in enumerate(cards) if c.path[-1] in (PLAN, DO, CHECK)]
    blocked_now = set(rng.sample(open_cards, BLOCKED_NOW))
    long_enough = [i for i, c in enumerate(cards) if len(c.path) >= 4 and i not in blocked_now]
    blocked_before = set(rng.sample(long_enough, BLOCKED_BEFORE))
    for index, card in enumerate(cards):
        crew = build.people[card.team.slug]
        improvement = _improvement(build, card, crew)
        _log_moves(build, card, improvement, crew)
        improvement.observations.extend(build.card_observations[index])
        if index in blocked_now:
            _block_now(build, card, improvement, crew)
        elif index in blocked_before:
            _block_before(build, card, improvement, crew)


def _improvement(build: PlantBuild, card: PlannedCard, crew: list[User]) -> Improvement:
    """The card itself: its words, owner, column, outcome and expected and actual benefits."""
    rng = build.rng
    idea = card.idea
    expected_minutes = None
    if idea.minutes and rng.random() < 0.8:
        expected_minutes = _minutes(rng, *idea.minutes)
    expected_cost = _money(rng, *idea.cost) if idea.cost and rng.random() < 0.7 else None
    actual_minutes = actual_cost = None
    if card.outcome is Outcome.ADOPTED:
        if expected_minutes is not None:
            actual_minutes = max(5, round(expected_minutes * rng.uniform(0.5, 1.3) / 5) * 5)
        if expected_cost is not None:
            actual_cost = expected_cost * Decimal(str(round(rng.uniform(0.8, 1.4), 2)))
            actual_cost = actual_cost.quantize(Decimal("0.01"))
    improvement = Improvement(
        title=card.fill(idea.title),
        problem=card.fill(idea.problem),
        countermeasure=card.fill(idea.countermeasure),
        team=build.teams[card.team.slug],
        area=build.areas[card.area.slug],
        waste=idea.waste,
        owner=rng.choice(crew),
        created_by=rng.choice(crew),
        board_column=card.path[-1],
        outcome=card.outcome,
        expected_minutes_per_week=expected_minutes,
        expected_cost=expected_cost,
        actual_minutes_per_week=actual_minutes,
        actual_cost=actual_cost,
        created_at=card.times[0],
        updated_at=card.times[-1],
    )
    build.improvements.append(improvement)
    return improvement


def _log_moves(
    build: PlantBuild, card: PlannedCard, improvement: Improvement, crew: list[User]
) -> None:
    """The card's move log: its creation in Ideas, then every move, by people of its team."""
    previous: BoardColumn | None = None
    for column, moved_at in zip(card.path, card.times, strict=True):
        build.moves.append(
            CardMove(
                improvement=improvement,
                from_column=previous,
                to_column=column,
                moved_at=moved_at,
                moved_by=improvement.created_by if previous is None else build.rng.choice(crew),
            )
        )
        previous = column


def _block_now(
    build: PlantBuild, card: PlannedCard, improvement: Improvement, crew: list[User]
) -> None:
    """Block an open card since some time after its last move, for an open reason."""
    rng = build.rng
    span = build.now - card.times[-1]
    started = (card.times[-1] + span * rng.uniform(0.2, 0.7)).replace(second=0, microsecond=0)
    reason = rng.choice(build.content.open_block_reasons)
    improvement.blocked = True
    improvement.blocked_reason = reason
    improvement.updated_at = started
    build.blocks.append(
        BlockPeriod(
            improvement=improvement,
            started_at=started,
            ended_at=None,
            reason=reason,
            blocked_by_id=rng.choice(crew).id,
        )
    )


def _block_before(
    build: PlantBuild, card: PlannedCard, improvement: Improvement, crew: list[User]
) -> None:
    """A block that ended: between two moves in Plan, Do or Check, then freed."""
    rng = build.rng
    steps = [i for i in range(1, len(card.path) - 1) if card.path[i] in (PLAN, DO, CHECK)]
    step = rng.choice(steps)
    start = card.times[step]
    span = card.times[step + 1] - start
    build.blocks.append(
        BlockPeriod(
            improvement=improvement,
            started_at=(start + span * rng.uniform(0.1, 0.4)).replace(microsecond=0),
            ended_at=(start + span * rng.uniform(0.5, 0.9)).replace(microsecond=0),
            reason=rng.choice(build.content.block_reasons),
            blocked_by_id=rng.choice(crew).id,
        )
    )


def set_positions(build: PlantBuild, cards: list[PlannedCard]) -> None:
    """Board positions: open columns oldest arrival first; Done with the latest on top."""
    by_column: dict[tuple[str, BoardColumn], list[int]] = defaultdict(list)
    for index, card in enumerate(cards):
        by_column[(card.team.slug, card.path[-1])].append(index)
    for (_, column), indexes in by_column.items():
        indexes.sort(key=lambda i: cards[i].times[-1], reverse=column is DONE)
        for position, i in enumerate(indexes):
            build.improvements[i].position = position


def add_root_causes(build: PlantBuild, cards: list[PlannedCard]) -> None:
    """Five-whys records, mostly on finished cards, the rest on open cards still digging."""
    # Other open cards show "no root cause yet" on the board.
    rng = build.rng
    dug = [i for i, c in enumerate(cards) if c.idea.whys and c.path[-1] is not IDEAS]
    dug_done = [i for i in dug if cards[i].path[-1] is DONE]
    dug_done = rng.sample(dug_done, k=min(len(dug_done), ROOT_CAUSES_ON_DONE))
    dug_open = [i for i in dug if cards[i].path[-1] is not DONE]
    on_open = min(len(dug_open), ROOT_CAUSE_COUNT - ROOT_CAUSES_ON_DONE)
    for index in sorted(dug_done + rng.sample(dug_open, k=on_open)):
        build.root_causes.append(_root_cause(build, cards[index], index))


def _root_cause(build: PlantBuild, card: PlannedCard, index: int) -> RootCause:
    """One five-whys record for a card: its ladder, status and the observations behind it."""
    rng = build.rng
    improvement = build.improvements[index]
    # The team dug into the cause while planning, before the trial started.
    start = card.times[1]
    end = card.times[2] if len(card.times) > 2 else build.now
    created = (start + (end - start) * rng.uniform(0.1, 0.6)).replace(microsecond=0)
    final = card.path[-1]
    status = _root_cause_status(rng, card)
    updated = card.times[-1] if final is DONE else created
    record = RootCause(
        problem=improvement.problem,
        root_cause=card.fill(card.idea.root_cause),
        category=card.idea.category,
        countermeasure=improvement.countermeasure,
        status=status,
        created_at=created,
        updated_at=max(created, updated),
        created_by=rng.choice(build.people[card.team.slug]),
    )
    for position, (why, because) in enumerate(card.idea.whys):
        record.steps.append(
            WhyStep(position=position, why=card.fill(why), because=card.fill(because))
        )
    record.improvements.append(improvement)
    linked = build.card_observations[index]
    if linked:
        record.observations.extend(rng.sample(linked, min(len(linked), rng.randint(1, 2))))
    return record


def _root_cause_status(rng: random.Random, card: PlannedCard) -> RootCauseStatus:
    """Verified once an adopted countermeasure held; open again when it did not."""
    final = card.path[-1]
    if final is DONE:
        # A countermeasure that did not work leaves the cause open for another try.
        adopted = card.outcome is Outcome.ADOPTED
        return RootCauseStatus.VERIFIED if adopted else RootCauseStatus.OPEN
    if final is PLAN:
        return rng.choice([RootCauseStatus.OPEN, RootCauseStatus.COUNTERMEASURE])
    return RootCauseStatus.COUNTERMEASURE


def add_reflections(build: PlantBuild, cards: list[PlannedCard]) -> None:
    """Reflections on adopted and not-adopted cards alike, except the latest few."""
    rng, now, texts = build.rng, build.now, build.content.reflections
    done = [i for i, c in enumerate(cards) if c.path[-1] is DONE]
    adopted_latest_first = sorted(
        (i for i in done if cards[i].outcome is Outcome.ADOPTED),
        key=lambda i: cards[i].times[-1],
        reverse=True,
    )
    pending = set(adopted_latest_first[:REFLECTIONS_PENDING])
    for index in done:
        if index in pending:
            continue
        card = cards[index]
        done_at = card.times[-1]
        written = done_at + timedelta(hours=rng.randint(2, 24 * 6))
        if written >= now:
            written = done_at + (now - done_at) / 2
        written = written.replace(microsecond=0)
        adopted = card.outcome is Outcome.ADOPTED
        build.reflections.append(
            Reflection(
                improvement=build.improvements[index],
                learnt=rng.choice(texts.learnt_adopted if adopted else texts.learnt_not_adopted),
                take_forward=rng.choice(texts.take_forward),
                do_differently=rng.choice(texts.do_differently),
                # A quarter are written without a name: reflection is safer when it can be.
                author=None if rng.random() < 0.25 else rng.choice(build.people[card.team.slug]),
                created_at=written,
                updated_at=written,
            )
        )


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    """An amount rounded to tens, in currency units with cents."""
    return Decimal(round(rng.randint(low, high), -1)).quantize(Decimal("0.01"))


def _minutes(rng: random.Random, low: int, high: int) -> int:
    """Minutes rounded to fives, at least five."""
    return max(5, round(rng.randint(low, high) / 5) * 5)
