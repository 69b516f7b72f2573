"""When things happen in the demo plant: which cards exist, the columns they visit and when.

Pure planning: seeded draws and dates, no database. The loader turns the plan into rows.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from kaizen.models import BoardColumn, Outcome

from .content import AreaSpec, Idea, PlantContent, Span, TeamSpec, draw_words, fill

HISTORY_DAYS = 182
# Cards may have been started a few weeks before the first observation we keep.
CARD_HISTORY_DAYS = HISTORY_DAYS + 30
# The oldest finished card reached Done this many days ago.
FINISHED_WITHIN_DAYS = 176

IDEAS, PLAN, DO, CHECK, DONE = (
    BoardColumn.IDEAS,
    BoardColumn.PLAN,
    BoardColumn.DO,
    BoardColumn.CHECK,
    BoardColumn.DONE,
)

# A few cards went backwards before moving on: checks that failed, trials replanned.
# Per final column, the detours of as many cards (drawn at random) in that column.
DETOURS: dict[BoardColumn, list[str]] = {
    DONE: ["check-do", "check-do", "do-plan"],
    CHECK: ["check-do"],
    DO: ["do-plan"],
    PLAN: ["plan-back"],
}

# An open card made its last move at most this many days ago (a few have sat longer).
LAST_MOVE_WITHIN_DAYS = {IDEAS: 40, PLAN: 25, DO: 30, CHECK: 20}


@dataclass
class PlannedCard:
    """A card being planned: where it ends up and when it moved."""

    team: TeamSpec
    area: AreaSpec
    idea: Idea
    words: dict[str, str]
    path: list[BoardColumn]
    outcome: Outcome | None
    times: list[datetime] = field(default_factory=list)

    def fill(self, template: str) -> str:
        """A sentence about this card, with its area's words."""
        return fill(template, self.words)


def plan_cards(rng: random.Random, content: PlantContent, today: date) -> list[PlannedCard]:
    """Every team's cards: idea, area, the columns each visited and when it moved."""
    cards = _choose_ideas(rng, content)
    _take_detours(rng, cards)
    _schedule_finished(rng, content, cards, today)
    _schedule_open(rng, content, cards, today)
    return cards


def _choose_ideas(rng: random.Random, content: PlantContent) -> list[PlannedCard]:
    """Draw an idea and an area for each card a team has today, no title twice."""
    cards: list[PlannedCard] = []
    titles: set[str] = set()
    for team in content.teams:
        combos = [
            (idea, area) for idea in content.ideas for area in team.areas if idea.fits(team, area)
        ]
        for target in team.cards:
            for _ in range(target.count):
                while True:  # a title names one card, so skip ideas already on the board
                    weights = [content.idea_weights[idea.waste] for idea, _ in combos]
                    idea, area = combos.pop(rng.choices(range(len(combos)), weights)[0])
                    words = draw_words(rng, area)
                    title = fill(idea.title, words)
                    if title not in titles:
                        titles.add(title)
                        break
                cards.append(
                    PlannedCard(
                        team, area, idea, words, path=[target.column], outcome=target.outcome
                    )
                )
    return cards


def _take_detours(rng: random.Random, cards: list[PlannedCard]) -> None:
    """Give a few cards a detour backwards; every card gets its path of columns."""
    for column, kinds in DETOURS.items():
        candidates = [c for c in cards if c.path[-1] is column]
        for card, kind in zip(rng.sample(candidates, len(kinds)), kinds, strict=True):
            card.path = columns_visited(column, kind)
    for card in cards:
        if len(card.path) == 1:
            card.path = columns_visited(card.path[0], None)


def _schedule_finished(
    rng: random.Random, content: PlantContent, cards: list[PlannedCard], today: date
) -> None:
    """Move times for finished cards, spread over the months with throughput growing."""
    # The even spread keeps every month's bar in the report believable; the growth is the
    # habit taking hold.
    finished = [c for c in cards if c.path[-1] is DONE]
    rng.shuffle(finished)
    for k, card in enumerate(finished):
        recent = growing((k + rng.random()) / len(finished), growth=1.5)
        last = 3 + int((1 - recent) * (FINISHED_WITHIN_DAYS - 3))
        card.times = schedule(rng, content.dwell_days, card.path, last, today)


def _schedule_open(
    rng: random.Random, content: PlantContent, cards: list[PlannedCard], today: date
) -> None:
    """Move times for open cards, most moved recently, a few sitting for a while."""
    for card in cards:
        final = card.path[-1]
        if final is DONE:
            continue
        last = rng.randint(1, LAST_MOVE_WITHIN_DAYS[final])
        if rng.random() < 0.15:  # a few cards have been sitting for a while
            last += rng.randint(20, 50)
        card.times = schedule(rng, content.dwell_days, card.path, last, today)


def workday(today: date, days_ago: int) -> int:
    """Step further back until the day is Monday to Friday (stand-ups are on workdays)."""
    while (today - timedelta(days=days_ago)).weekday() >= 5:
        days_ago += 1
    return days_ago


def at(today: date, days_ago: int, hour: int, minute: int) -> datetime:
    """The moment `days_ago` days before today at this hour and minute."""
    return datetime.combine(today - timedelta(days=days_ago), time(hour, minute))


def move_time(rng: random.Random, today: date, days_ago: int) -> datetime:
    """Most moves happen at the morning stand-up; the rest during the day shift."""
    if rng.random() < 0.7:
        return at(today, days_ago, 7, rng.randint(30, 59))
    return at(today, days_ago, rng.randint(9, 15), rng.randint(0, 59))


def columns_visited(final: BoardColumn, detour: str | None) -> list[BoardColumn]:
    """Columns a card visits in order, its creation in Ideas first."""
    columns = list(BoardColumn)[: final.ordinal + 1]
    if detour == "check-do":
        # The check showed the countermeasure did not hold; back to Do, then Check again.
        after = columns.index(CHECK) + 1
        columns[after:after] = [DO, CHECK]
    elif detour == "do-plan":
        # The trial hit a snag that needed replanning.
        after = columns.index(DO) + 1
        columns[after:after] = [PLAN, DO]
    elif detour == "plan-back":
        columns = [IDEAS, PLAN, DO, PLAN]
    return columns


def schedule(
    rng: random.Random,
    dwell_days: dict[BoardColumn, Span],
    path: Sequence[BoardColumn],
    last_days_ago: int,
    today: date,
) -> list[datetime]:
    """Move times for a path, ending `last_days_ago`, all on workdays, strictly increasing."""
    gaps = []
    for i, column in enumerate(path[:-1]):
        low, high = dwell_days[column]
        if column in path[:i]:  # a second visit is usually quicker
            high = max(low, high // 2)
        gaps.append(rng.randint(low, high))
    # Keep the whole story inside the card history, leaving room for weekend shifts.
    budget = CARD_HISTORY_DAYS - last_days_ago - 3 * len(path)
    total = sum(gaps)
    if total > budget:
        gaps = [max(1, g * budget // total) for g in gaps]
    days = [workday(today, last_days_ago)]
    for gap in reversed(gaps):
        days.append(workday(today, days[-1] + gap))
    days.reverse()
    times = [at(today, days[0], rng.randint(6, 20), rng.randint(0, 59))]
    times += [move_time(rng, today, d) for d in days[1:]]
    return times


def growing(fraction: float, growth: float) -> float:
    """Map an even 0..1 spread onto one whose density rises by `growth` towards 1 (today)."""
    # Inverse of the CDF of a density proportional to 1 + growth * x on [0, 1].
    return (math.sqrt(1 + 2 * growth * fraction * (1 + growth / 2)) - 1) / growth


def observed_in_week(rng: random.Random, now: datetime, weeks_ago: int) -> datetime:
    """A moment in the given week back from today, mostly on workdays."""
    today = now.date()
    days_ago = weeks_ago * 7 + rng.randint(0, 6)
    if rng.random() < 0.85:  # fewer people on site at weekends
        shifted = workday(today, days_ago)
        days_ago = shifted if shifted < HISTORY_DAYS else days_ago
    moment = at(today, min(days_ago, HISTORY_DAYS - 1), rng.randint(5, 22), rng.randint(0, 59))
    if moment > now:
        moment = (now - timedelta(minutes=rng.randint(5, 300))).replace(second=0, microsecond=0)
    return moment


def spread(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainders), so no bin is starved."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts
