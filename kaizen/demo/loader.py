"""Load the demo plant: teams, areas, people, six months of observations and cards.

Everything is drawn from one `random.Random(seed)` and the `now` passed in, so the same seed
and the same moment always give the same plant (handy for screenshots and tests): each step
draws in a fixed order. The words come from plant.toml (content.py), when cards moved from
timeline.py, and the history rows from history.py. The loader adds and flushes as it goes
and commits once at the end, so a refused or failed load leaves nothing behind.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from kaizen.models import Area, ColumnLimit, Role, Team, User, WipMode
from kaizen.services import DbSession

from .content import PlantContent, plant_content
from .history import (
    PlantBuild,
    add_improvements,
    add_reflections,
    add_root_causes,
    observe_card_problems,
    set_positions,
    top_up_observations,
)
from .timeline import CARD_HISTORY_DAYS, DO, plan_cards

DEMO_PASSWORD = "kaizen-demo"


class DemoPlantError(ValueError):
    """The demo plant cannot be added: names it needs are already taken."""


@dataclass(frozen=True)
class DemoSummary:
    """How many rows of each kind the demo plant added."""

    teams: int
    areas: int
    users: int
    observations: int
    improvements: int
    card_moves: int
    root_causes: int
    reflections: int

    def describe(self) -> str:
        """One paragraph a person can read after loading the demo plant."""
        return (
            f"Demo plant loaded: {self.teams} teams, {self.areas} areas, {self.users} accounts, "
            f"{self.observations} observations over the last six months, "
            f"{self.improvements} improvements with {self.card_moves} card moves, "
            f"{self.root_causes} five-whys records and {self.reflections} reflections."
        )


def load_demo_plant(session: DbSession, now: datetime, seed: int = 7) -> DemoSummary:
    """Add a realistic metal-parts plant with six months of history, in one transaction."""
    content = plant_content()
    _refuse_clashes(session, content)
    rng = random.Random(seed)
    founded = (now - timedelta(days=CARD_HISTORY_DAYS + 14)).replace(microsecond=0)
    build = PlantBuild(session, content, rng, now, founded)
    _add_places(build)
    _add_people(build)
    cards = plan_cards(rng, content, now.date())
    observe_card_problems(build, cards)
    top_up_observations(build)
    add_improvements(build, cards)
    set_positions(build, cards)
    add_root_causes(build, cards)
    add_reflections(build, cards)
    summary = _save(build)
    build.session.commit()
    return summary


def demo_name_clashes(session: DbSession) -> list[str]:
    """Teams, areas and usernames of the demo plant that the database already has."""
    content = plant_content()
    team_slugs = [team.slug for team in content.teams]
    team_names = [team.name for team in content.teams]
    area_slugs = [area.slug for team in content.teams for area in team.areas]
    teams = session.scalars(
        select(Team.slug).where(or_(Team.slug.in_(team_slugs), Team.name.in_(team_names)))
    )
    areas = session.scalars(select(Area.slug).where(Area.slug.in_(area_slugs)))
    users = session.scalars(
        select(User.username).where(func.lower(User.username).in_(content.usernames()))
    )
    return (
        [f"team {slug!r}" for slug in teams]
        + [f"area {slug!r}" for slug in areas]
        + [f"user {name!r}" for name in users]
    )


def _refuse_clashes(session: DbSession, content: PlantContent) -> None:
    """Refuse before adding anything, so a clash never leaves half a plant in the session."""
    clashes = demo_name_clashes(session)
    if clashes:
        raise DemoPlantError(
            "The demo plant needs names this database already uses: "
            + ", ".join(clashes)
            + ". Load it into an empty database instead."
        )


def _add_places(build: PlantBuild) -> None:
    """Teams with their WIP limits, and their areas."""
    for spec in build.content.teams:
        team = Team(slug=spec.slug, name=spec.name, created_at=build.founded)
        build.teams[spec.slug] = team
        build.session.add(team)
        for column, limit in build.content.wip_limits:
            mode = spec.do_mode if column is DO else WipMode.SOFT
            team.column_limits.append(ColumnLimit(board_column=column, wip_limit=limit, mode=mode))
        for area_spec in spec.areas:
            area = Area(
                slug=area_spec.slug,
                name=area_spec.name,
                kind=area_spec.kind,
                team=team,
                created_at=build.founded,
            )
            build.areas[area_spec.slug] = area
            build.session.add(area)
    build.session.flush()


def _add_people(build: PlantBuild) -> None:
    """The administrator, each team's lead, members and tablet, and the plant manager."""
    content = build.content
    _account(build, content.admin.username, content.admin.name, Role.ADMIN)
    for spec in content.teams:
        team = build.teams[spec.slug]
        crew = [_account(build, spec.lead.username, spec.lead.name, Role.LEAD, team=team)]
        crew += [_account(build, m.username, m.name, Role.MEMBER, team=team) for m in spec.members]
        build.people[spec.slug] = crew
        kiosk = content.kiosk(content.area(spec.kiosk_area))
        build.kiosks[spec.kiosk_area] = _account(
            build,
            kiosk.username,
            kiosk.name,
            Role.KIOSK,
            team=team,
            area=build.areas[spec.kiosk_area],
        )
    _account(build, content.viewer.username, content.viewer.name, Role.VIEWER)


def _account(
    build: PlantBuild,
    username: str,
    name: str,
    role: Role,
    team: Team | None = None,
    area: Area | None = None,
) -> User:
    """One account with the demo password, as old as the plant."""
    user = User(
        username=username,
        display_name=name,
        role=role,
        team=team,
        area=area,
        created_at=build.founded,
    )
    user.set_password(DEMO_PASSWORD)
    # Everyone knows the demo password: the administrator is asked to choose their own.
    user.password_change_due = role is Role.ADMIN
    build.session.add(user)
    build.session.flush()
    build.users.append(user)
    return user


def _save(build: PlantBuild) -> DemoSummary:
    """Add the history to the session in a fixed order, flush, and count what was added."""
    session = build.session
    session.add_all(build.observations)
    session.add_all(build.improvements)
    session.add_all(build.moves)
    session.add_all(build.blocks)
    session.add_all(build.root_causes)
    session.add_all(build.reflections)
    session.flush()
    return DemoSummary(
        teams=len(build.teams),
        areas=len(build.areas),
        users=len(build.users),
        observations=len(build.observations),
        improvements=len(build.improvements),
        card_moves=len(build.moves),
        root_causes=len(build.root_causes),
        reflections=len(build.reflections),
    )
