"""A deterministic demo plant: teams, areas, people, six months of observations and cards.

Everything is generated from one `random.Random(seed)` and the `now` passed in, so the same
seed and the same moment always give the same plant (handy for screenshots and tests). The
loader only adds and flushes; the caller decides when to commit.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kaizen.models import (
    Area,
    BlockPeriod,
    BoardColumn,
    CardMove,
    ColumnLimit,
    Frequency,
    Improvement,
    Observation,
    Outcome,
    Reflection,
    Role,
    RootCause,
    RootCauseCategory,
    RootCauseStatus,
    Team,
    User,
    Waste,
    WhyStep,
    WipMode,
)
from kaizen.services.accounts import create_user

DEMO_PASSWORD = "kaizen-demo"

HISTORY_DAYS = 182
# Cards may have been started a few weeks before the first observation we keep.
CARD_HISTORY_DAYS = HISTORY_DAYS + 30
# The oldest finished card reached Done this many days ago.
FINISHED_WITHIN_DAYS = 176
OBSERVATION_COUNT = 300
ROOT_CAUSE_COUNT = 30
# Recently finished cards whose team has not written the reflection yet.
REFLECTIONS_PENDING = 4

IDEAS, PLAN, DO, CHECK, DONE = (
    BoardColumn.IDEAS,
    BoardColumn.PLAN,
    BoardColumn.DO,
    BoardColumn.CHECK,
    BoardColumn.DONE,
)


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


# --------------------------------------------------------------------------------------
# The plant: teams, areas and the words that make their observations sound real.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _AreaSpec:
    slug: str
    name: str
    kind: str
    machines: tuple[str, ...]
    parts: tuple[str, ...]
    next_step: str


@dataclass(frozen=True)
class _TeamSpec:
    slug: str
    name: str
    do_mode: WipMode
    areas: tuple[_AreaSpec, ...]
    lead: tuple[str, str]
    members: tuple[tuple[str, str], ...]
    kiosk_area: str
    # Where the team's cards stand today: (column, outcome, how many).
    cards: tuple[tuple[BoardColumn, Outcome | None, int], ...]


_TEAMS: tuple[_TeamSpec, ...] = (
    _TeamSpec(
        slug="press-shop",
        name="Press shop",
        # The press shop learnt the hard way that too much in Do stalls everything.
        do_mode=WipMode.HARD,
        areas=(
            _AreaSpec(
                "press-line-1",
                "Press line 1",
                "line",
                ("the 400 t press", "the coil feeder", "the destacker"),
                ("door hinge brackets", "seat rail blanks", "battery tray stampings"),
                "Weld cell A",
            ),
            _AreaSpec(
                "press-line-2",
                "Press line 2",
                "line",
                ("the 250 t transfer press", "the end-of-line conveyor", "the scrap chute"),
                ("floor cross-members", "mounting brackets", "heat shields"),
                "Weld cell B",
            ),
            _AreaSpec(
                "weld-cell-a",
                "Weld cell A",
                "cell",
                ("robot 1", "the spot-weld gun", "the turntable fixture"),
                ("hinge assemblies", "seat rail sub-assemblies"),
                "Assembly line 1",
            ),
            _AreaSpec(
                "weld-cell-b",
                "Weld cell B",
                "cell",
                ("robot 3", "the MIG torch cleaner", "the clamp fixture"),
                ("cross-member assemblies", "tow bar brackets"),
                "Paint line",
            ),
        ),
        lead=("marta", "Marta Kowalska"),
        members=(("dev", "Dev Patel"), ("lena", "Lena Fischer"), ("tomasz", "Tomasz Nowak")),
        kiosk_area="press-line-2",
        cards=(
            (DONE, Outcome.ADOPTED, 8),
            (DONE, Outcome.NOT_ADOPTED, 4),
            (CHECK, None, 3),
            (DO, None, 4),
            (PLAN, None, 4),
            (IDEAS, None, 5),
        ),
    ),
    _TeamSpec(
        slug="assembly",
        name="Assembly",
        do_mode=WipMode.SOFT,
        areas=(
            _AreaSpec(
                "assembly-line-1",
                "Assembly line 1",
                "line",
                ("the torque station", "the rivet press", "the end-of-line tester"),
                ("seat frames", "hinge kits"),
                "Final inspection",
            ),
            _AreaSpec(
                "assembly-line-2",
                "Assembly line 2",
                "line",
                ("the nut runner", "the press-fit station", "the label printer"),
                ("tow bar kits", "battery trays"),
                "Final inspection",
            ),
            _AreaSpec(
                "paint-line",
                "Paint line",
                "cell",
                ("the powder booth", "the curing oven", "the hang-up conveyor"),
                ("cross-member assemblies", "tow bar brackets"),
                "Assembly line 2",
            ),
            _AreaSpec(
                "final-inspection",
                "Final inspection",
                "workstation",
                ("the gauge table", "the CMM", "the packing bench"),
                ("seat frames", "tow bar kits"),
                "Dispatch",
            ),
        ),
        lead=("kenji", "Kenji Sato"),
        members=(("amara", "Amara Okafor"), ("luis", "Luis García")),
        kiosk_area="assembly-line-1",
        cards=(
            (DONE, Outcome.ADOPTED, 7),
            (DONE, Outcome.NOT_ADOPTED, 4),
            (CHECK, None, 4),
            (DO, None, 3),
            (PLAN, None, 5),
            (IDEAS, None, 4),
        ),
    ),
    _TeamSpec(
        slug="logistics",
        name="Logistics",
        do_mode=WipMode.SOFT,
        areas=(
            _AreaSpec(
                "goods-in",
                "Goods in",
                "workstation",
                ("the dock leveller", "the pallet scanner", "the counterbalance forklift"),
                ("steel coils", "fastener boxes", "powder coat drums"),
                "the warehouse",
            ),
            _AreaSpec(
                "warehouse",
                "Warehouse",
                "cell",
                ("the reach truck", "the WMS terminal", "the kanban rack"),
                ("bracket blanks", "fastener boxes", "packaging cartons"),
                "the lines",
            ),
            _AreaSpec(
                "dispatch",
                "Dispatch",
                "workstation",
                ("the stretch wrapper", "the label printer", "dock door 3"),
                ("finished seat frames", "tow bar kits"),
                "the customer",
            ),
            _AreaSpec(
                "maintenance-stores",
                "Maintenance stores",
                "workstation",
                ("the spares cabinet", "the tool crib", "the parts washer"),
                ("spare weld tips", "press sensors", "hydraulic hoses"),
                "the maintenance workshop",
            ),
        ),
        lead=("sarah", "Sarah O'Neill"),
        members=(("yusuf", "Yusuf Demir"), ("ines", "Inês Costa"), ("pete", "Pete Walker")),
        kiosk_area="goods-in",
        cards=(
            (DONE, Outcome.ADOPTED, 7),
            (DONE, Outcome.NOT_ADOPTED, 3),
            (CHECK, None, 2),
            (DO, None, 4),
            (PLAN, None, 3),
            (IDEAS, None, 6),
        ),
    ),
)

# (column, WIP limit) for every team; all soft except Do, which follows the team's mode.
_LIMITS: tuple[tuple[BoardColumn, int], ...] = ((PLAN, 5), (DO, 4), (CHECK, 4))

# Waiting, motion and defects are what people notice first on a shop floor.
_OBSERVATION_WEIGHTS: dict[Waste, float] = {
    Waste.WAITING: 22,
    Waste.MOTION: 17,
    Waste.DEFECTS: 17,
    Waste.TRANSPORT: 11,
    Waste.INVENTORY: 10,
    Waste.OVERPROCESSING: 9,
    Waste.SKILLS: 8,
    Waste.OVERPRODUCTION: 6,
}

# Observation texts: process language, never a person's name. Placeholders come from the area.
_OBSERVATION_TEXTS: dict[Waste, tuple[str, ...]] = {
    Waste.WAITING: (
        "{part} waited at the end of {area} for a forklift to take them to {next}.",
        "{machine} stood idle while the first-off part waited for a sign-off.",
        "The material call was answered late; the call light at {area} cannot be seen "
        "from the warehouse.",
        "Stopped at {area} waiting for maintenance. The breakdown call goes through the "
        "shift office before it reaches a technician.",
        "{machine} was ready but the paperwork for the next job had not come down from planning.",
        "Restart after the break took a while because {machine} is switched off at shift "
        "change and needs to warm up.",
        "The batch of {part} waited for quality release; one inspector covers three areas.",
        "Changeover at {area} waited for the tooling trolley, which was still at another line.",
    ),
    Waste.MOTION: (
        "Several walks per shift from {area} to the tool crib for the same hand tools.",
        "{part} are picked from a pallet on the floor, so every pick means bending down.",
        "Walk from {area} to the shared printer to collect labels for each batch.",
        "Reaching over {machine} to get to the start button, which sits on the far side.",
        "Searching for the right gauge at {area}: the gauges have no fixed place.",
        "Turning round to a bench behind the station for every one of the {part}.",
        "Walking to the shift office to see the next job because the schedule is not "
        "shown at {area}.",
    ),
    Waste.DEFECTS: (
        "Burrs on {part} found at {next}; they were sorted by hand before use.",
        "Some {part} scrapped at {area} for a wrong hole position after a changeover.",
        "{machine} made parts out of tolerance until the first-off check caught it.",
        "Wrong label on a box of {part}. The labels for the two variants look almost the same.",
        "Missing fasteners on {part} found at the final check and reworked.",
        "Scratches on {part} from stacking them without separators.",
        "Weld spatter on {part} had to be ground off before they could go on to {next}.",
    ),
    Waste.TRANSPORT: (
        "{part} go to a buffer area first and are then moved again to {next}.",
        "The forklift returns empty from {area} after every delivery.",
        "Scrap bins from {area} are carried across the whole hall to the compactor.",
        "Half-full pallets of {part} moved to {next} because the trip is on a timetable, "
        "not called for.",
        "{part} travel through the warehouse before reaching {area} although they are "
        "used the same day.",
    ),
    Waste.INVENTORY: (
        "About three days of {part} stacked beside {area}; the plan needs less than one.",
        "Pallets of {part} block the walkway at {area} because the rack is full.",
        "Old stock of {part} for a discontinued variant is still stored at {area}.",
        "Two open boxes of the same fasteners at {area}, both half used.",
        "Work in progress piles up between {area} and {next} after every changeover.",
    ),
    Waste.OVERPRODUCTION: (
        "A full batch of {part} ran at {area} although the order was for half; the rest "
        "went to stock.",
        "{part} made a week ahead of the schedule to keep {machine} busy.",
        "Extra {part} produced in case of scrap; most of them end up in stock.",
        "Batch size at {area} is set by the changeover time, not by what {next} needs.",
    ),
    Waste.OVERPROCESSING: (
        "{part} are checked at {area} and again at {next} with the same gauge.",
        "The paper checklist at {area} is typed into the system again at the end of the shift.",
        "{part} are cleaned to a finish the drawing does not ask for.",
        "Three signatures are needed to release a batch of {part} at {area}.",
        "A label is printed and stuck on, then covered by a second label at {next}.",
    ),
    Waste.SKILLS: (
        "There is an idea at {area} for the jamming at {machine}, but no simple way to try it.",
        "Experienced setters spend time on routine paperwork while apprentices wait to "
        "learn changeovers.",
        "Ideas from the night shift about {machine} do not reach the morning stand-up.",
        "Only one person on the shift knows how to reset {machine}.",
    ),
}

# The stores and docks see the same wastes in different shapes.
_LOGISTICS_TEXTS: dict[Waste, tuple[str, ...]] = {
    Waste.WAITING: (
        "A supplier truck waited at {area} because both dock doors were in use.",
        "{machine} stood unused while the paperwork for a delivery was checked.",
        "Waited for a forklift to come free; both were out on line deliveries.",
        "The pick list for the afternoon trucks came late from the system.",
        "Waited at {area} for purchasing to confirm a part number.",
    ),
    Waste.MOTION: (
        "Pickers walk to the far end of {area} for the most-picked items.",
        "A walk to the office printer for every delivery note.",
        "{part} are picked from the bottom rack level, so every pick means bending down.",
        "Searching for a free pallet truck at {area}; they have no fixed parking place.",
        "Walking back and forth to {machine}, which is at the other end of the area.",
    ),
    Waste.DEFECTS: (
        "Damaged packaging on {part} found at {area}; the damage happened in handling.",
        "A box of {part} was put away in the wrong location and could not be found for an order.",
        "Wrong quantity on a pallet of {part}; the count was corrected before it went on to "
        "{next}.",
        "The label on {part} could not be scanned at {area} because it was printed too faint.",
        "A delivery of {part} was booked in twice in the system.",
    ),
    Waste.TRANSPORT: (
        "{part} go to a temporary location at {area} and are then moved again to their rack.",
        "The forklift comes back empty from the lines after every delivery.",
        "Empty containers are collected one trip at a time instead of with the deliveries.",
        "{part} cross the whole hall because they are stored far from where they are used.",
    ),
    Waste.INVENTORY: (
        "Several pallets of {part} at {area} have not moved for months.",
        "{part} are ordered in bigger lots than a month's use; the racks are full.",
        "Pallets of {part} stand in the aisle at {area} because the racks are full.",
        "The same {part} are kept under two part numbers in two locations.",
    ),
    Waste.OVERPRODUCTION: (
        "Orders picked a day early fill the lanes at {area}.",
        "Labels for the whole week were printed in advance; many were thrown away after changes.",
        "More {part} repacked than the next call-off needs.",
    ),
    Waste.OVERPROCESSING: (
        "Every delivery of {part} is counted at {area}, even from suppliers with a perfect record.",
        "Delivery notes are stamped, signed and scanned, and then filed on paper as well.",
        "{part} are repacked into our own boxes and repacked again for {next}.",
        "The same stock count is done twice, by two people on two lists.",
    ),
    Waste.SKILLS: (
        "People with forklift licences at {area} are not on the rota for forklift cover.",
        "There is an idea for a better route through {area} but nowhere to put it.",
        "Only one person knows how to clear {machine} when it jams.",
        "The night shift has ideas about the layout of {area} that do not reach the morning "
        "stand-up.",
    ),
}

# Typical minutes lost per occurrence, by waste.
_MINUTES_LOST: dict[Waste, tuple[int, int]] = {
    Waste.WAITING: (5, 45),
    Waste.MOTION: (2, 20),
    Waste.DEFECTS: (10, 90),
    Waste.TRANSPORT: (5, 30),
    Waste.INVENTORY: (5, 30),
    Waste.OVERPRODUCTION: (15, 120),
    Waste.OVERPROCESSING: (5, 40),
    Waste.SKILLS: (10, 60),
}

# --------------------------------------------------------------------------------------
# Improvement ideas, with a five-whys chain where the team dug for the root cause.
# --------------------------------------------------------------------------------------

_PRODUCTION = ("press-shop", "assembly")


@dataclass(frozen=True)
class _Idea:
    waste: Waste
    title: str
    problem: str
    countermeasure: str
    minutes: tuple[int, int] | None = None
    cost: tuple[int, int] | None = None
    teams: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    whys: tuple[tuple[str, str], ...] = ()
    root_cause: str = ""
    category: RootCauseCategory | None = None

    def fits(self, team: _TeamSpec, area: _AreaSpec) -> bool:
        """True when this idea makes sense for the area."""
        if self.areas:
            return area.slug in self.areas
        return not self.teams or team.slug in self.teams


_IDEAS: tuple[_Idea, ...] = (
    _Idea(
        Waste.MOTION,
        "Shadow board for hand tools at {area}",
        "People leave the station at {area} several times a shift to find hand tools; "
        "the tools have no fixed home.",
        "Fit a shadow board at the point of use with an outline for every tool, and add a "
        "tool check to the shift-start routine.",
        minutes=(60, 180),
        cost=(80, 250),
        whys=(
            (
                "Why do people leave the station during the shift?",
                "Because tools they need are not at the station.",
            ),
            (
                "Why are the tools not at the station?",
                "Because tools are shared and end up wherever they were last used.",
            ),
            (
                "Why do they end up wherever they were last used?",
                "Because no tool has a fixed home, so there is nowhere to return it to.",
            ),
            (
                "Why has no tool a fixed home?",
                "Because the station layout was set up for an older product mix and never updated.",
            ),
        ),
        root_cause="The workstation gives tools no fixed point-of-use home, so they drift "
        "between stations.",
        category=RootCauseCategory.METHOD,
    ),
    _Idea(
        Waste.WAITING,
        "Andon call straight to maintenance from {area}",
        "When {machine} stops, the breakdown call goes to the shift office first and a "
        "technician arrives 15 to 25 minutes later.",
        "Route the andon button at {area} straight to the maintenance pager and show open "
        "calls on the workshop screen.",
        minutes=(90, 240),
        cost=(300, 900),
        teams=_PRODUCTION,
        whys=(
            (
                "Why does the line wait so long for a technician?",
                "Because the technician hears about the stop late.",
            ),
            (
                "Why is the call late?",
                "Because it goes to the shift office, which then phones maintenance.",
            ),
            (
                "Why does it go through the shift office?",
                "Because every stop must be logged for the daily report.",
            ),
            (
                "Why must the office log it by hand?",
                "Because the andon is not connected to the stop log, so a person copies it.",
            ),
            (
                "Why is it not connected?",
                "Because the andon was installed as a stand-alone "
                "light and nobody owned the connection.",
            ),
        ),
        root_cause="Breakdown calls pass through a manual logging step that exists only "
        "because the andon is not connected to the stop log.",
        category=RootCauseCategory.METHOD,
    ),
    _Idea(
        Waste.DEFECTS,
        "First-off check sheet with photos at {area}",
        "{part} out of tolerance after changeovers are found later at {next}, sometimes after "
        "a whole batch is made.",
        "A one-page first-off check sheet with photos of the critical features, kept at the "
        "machine; the batch starts only after the check is signed.",
        minutes=(60, 150),
        cost=(40, 120),
        teams=_PRODUCTION,
        whys=(
            (
                "Why are out-of-tolerance parts found at {next}?",
                "Because the first parts after "
                "a changeover are not checked against every critical feature.",
            ),
            (
                "Why are not all features checked?",
                "Because the check relies on memory and the "
                "critical features differ between variants.",
            ),
            (
                "Why does it rely on memory?",
                "Because the work instruction lists dimensions in "
                "a table without showing where they are on the part.",
            ),
        ),
        root_cause="The first-off standard does not show the critical features of each "
        "variant, so the check depends on experience.",
        category=RootCauseCategory.TRAINING,
    ),
    _Idea(
        Waste.TRANSPORT,
        "Kanban loop between {area} and {next}",
        "{part} are pushed from {area} to a buffer on a timetable and moved again when {next} "
        "needs them.",
        "Replace the timetable with a two-bin kanban loop: {next} sends an empty bin back "
        "and {area} refills only what was used.",
        minutes=(120, 300),
        cost=(200, 600),
        whys=(
            ("Why are parts moved twice?", "Because they go to a buffer before the point of use."),
            (
                "Why do they go to a buffer?",
                "Because {area} produces before {next} asks for the parts.",
            ),
            (
                "Why does {area} produce before it is asked?",
                "Because the schedule is set once a day from the forecast, not from actual use.",
            ),
            (
                "Why is it set from the forecast?",
                "Because there is no signal from {next} back to {area}.",
            ),
        ),
        root_cause="No pull signal links the two processes, so material is pushed to a "
        "buffer on a forecast.",
        category=RootCauseCategory.METHOD,
    ),
    _Idea(
        Waste.INVENTORY,
        "Mark maximum stock levels at {area}",
        "Up to three days of {part} pile up beside {area}, blocking the walkway and hiding "
        "damaged parts.",
        "Paint floor lanes with a maximum-quantity line; when the lane is full, the process "
        "upstream stops and helps elsewhere.",
        minutes=(30, 90),
        cost=(100, 300),
        whys=(
            (
                "Why is there so much stock beside {area}?",
                "Because upstream keeps producing while {area} runs slower.",
            ),
            ("Why does upstream keep producing?", "Because nothing tells it the buffer is full."),
            ("Why does nothing tell it?", "Because the buffer has no marked limit."),
        ),
        root_cause="The buffer has no visible maximum, so overproduction upstream goes unnoticed.",
        category=RootCauseCategory.METHOD,
    ),
    _Idea(
        Waste.OVERPROCESSING,
        "Drop the double check of {part} after {area}",
        "{part} are measured at {area} and again at {next} with the same gauge; the second "
        "check has found nothing in a year.",
        "Keep the check at {area}, record it on the traveller card, and stop the repeat "
        "check at {next} for a four-week trial.",
        minutes=(60, 200),
        teams=_PRODUCTION,
        whys=(
            (
                "Why are the parts checked twice?",
                "Because {next} does not rely on the first check.",
            ),
            (
                "Why is the first check not relied on?",
                "Because its result is not visible at {next}.",
            ),
            (
                "Why is it not visible?",
                "Because results are written on a sheet that stays at {area}.",
            ),
            (
                "Why does the sheet stay there?",
                "Because the sheet was designed for the area's "
                "own records, not for the next process.",
            ),
        ),
        root_cause="The result of the first check does not travel with the parts, so the "
        "next process repeats it.",
        category=RootCauseCategory.MEASUREMENT,
    ),
    _Idea(
        Waste.SKILLS,
        "Night-shift ideas reach the {area} stand-up",
        "The night shift has ideas about {machine}, but the stand-up happens on the morning "
        "shift and the ideas get lost at handover.",
        "A whiteboard column for night-shift ideas, read out at the morning stand-up, with an "
        "owner named for each idea.",
        whys=(
            (
                "Why do night-shift ideas get lost?",
                "Because they are passed on by word of mouth at handover.",
            ),
            (
                "Why by word of mouth?",
                "Because there is nowhere to write them that the morning stand-up looks at.",
            ),
            (
                "Why does the stand-up not look anywhere for them?",
                "Because its agenda was written for the day shift only.",
            ),
        ),
        root_cause="The stand-up routine takes no input from the shifts that do not attend it.",
        category=RootCauseCategory.METHOD,
    ),
    _Idea(
        Waste.WAITING,
        "Pre-stage the next job's tooling at {area}",
        "{machine} waits during changeovers while the tooling trolley is fetched from the store.",
        "Prepare the next job's tooling trolley during the current run, with a checklist, so "
        "the changeover starts with everything at hand.",
        minutes=(120, 360),
        cost=(50, 150),
        teams=_PRODUCTION,
        whys=(
            (
                "Why does the machine wait during changeovers?",
                "Because the tooling is fetched after the machine stops.",
            ),
            (
                "Why is it fetched after the stop?",
                "Because the changeover steps are done in one sequence by one person.",
            ),
            (
                "Why in one sequence?",
                "Because nobody has separated the steps that can be done while the machine runs.",
            ),
            (
                "Why has nobody separated them?",
                "Because the changeover has never been filmed and studied as a team.",
            ),
        ),
        root_cause="Internal and external changeover steps have never been separated, so "
        "preparation happens while the machine stands.",
        category=RootCauseCategory.METHOD,
    ),
    _Idea(
        Waste.MOTION,
        "Raise the {part} supply to waist height at {area}",
        "{part} are picked from pallets on the floor, so every pick means bending down, "
        "hundreds of times a shift.",
        "A spring-loaded pallet lifter keeps the top layer at waist height; two-week trial, "
        "then ask the people who use it.",
        minutes=(45, 120),
        cost=(600, 1800),
        whys=(
            (
                "Why does every pick mean bending down?",
                "Because parts arrive on floor-level pallets.",
            ),
            (
                "Why are they picked straight from the pallet?",
                "Because there is no rack or lifter at the station.",
            ),
            (
                "Why is there no lifter?",
                "Because the station was designed when parts came in small boxes on a shelf.",
            ),
        ),
        root_cause="The station layout was not updated when the packaging changed from boxes "
        "to pallets.",
        category=RootCauseCategory.ENVIRONMENT,
    ),
    _Idea(
        Waste.DEFECTS,
        "Separators for stacked {part}",
        "{part} scratch each other when stacked directly; scratched parts are reworked or "
        "scrapped at {next}.",
        "Foam separators between layers and a stacking limit marked on the container.",
        minutes=(30, 90),
        cost=(150, 400),
        areas=("press-line-1", "press-line-2", "weld-cell-a", "paint-line", "dispatch"),
        whys=(
            (
                "Why are the parts scratched?",
                "Because they rub against each other in the container.",
            ),
            ("Why do they rub?", "Because they are stacked without separators."),
            (
                "Why without separators?",
                "Because the containers were chosen for another part and have no dividers.",
            ),
            (
                "Why were containers for another part used?",
                "Because no packing standard was written for this part.",
            ),
        ),
        root_cause="The part has no defined container or packing standard.",
        category=RootCauseCategory.MATERIAL,
    ),
    _Idea(
        Waste.OVERPRODUCTION,
        "Batch size from demand at {area}",
        "{area} runs fixed batches of {part} sized by the changeover time; the extra goes to "
        "stock and is sometimes scrapped when the variant changes.",
        "Set the batch size from the weekly call-off and review it every Monday; shorter "
        "changeovers make smaller batches affordable.",
        minutes=(60, 180),
        teams=_PRODUCTION,
        whys=(
            ("Why does {area} make more than was ordered?", "Because batch sizes are fixed."),
            (
                "Why are they fixed?",
                "Because each changeover takes over an hour, so small batches look expensive.",
            ),
            (
                "Why does a changeover take over an hour?",
                "Because most of the work is done with the machine stopped.",
            ),
        ),
        root_cause="Long changeovers drive large fixed batches; batch size is not linked to "
        "demand.",
        category=RootCauseCategory.METHOD,
    ),
    _Idea(
        Waste.OVERPROCESSING,
        "Stop copying the paper checklist at {area}",
        "The paper checklist at {area} is typed into the system at the end of every shift, "
        "which takes about twenty minutes.",
        "Fill in the checklist on the area tablet as the checks are done; print only when the "
        "system is down.",
        minutes=(100, 140),
        cost=(0, 200),
        whys=(
            ("Why is the checklist written twice?", "Because it is filled in on paper first."),
            (
                "Why on paper?",
                "Because there was no device at the station when the checklist started.",
            ),
            (
                "Why has the paper stayed now that there is a tablet?",
                "Because the form was never moved to the tablet.",
            ),
        ),
        root_cause="The checklist routine was not updated when the area got a tablet.",
        category=RootCauseCategory.METHOD,
    ),
    _Idea(
        Waste.TRANSPORT,
        "Scrap bin next to {area}",
        "Scrap from {area} is carried across the hall to the central compactor several times "
        "a shift.",
        "A wheeled scrap bin at the area, emptied by the logistics milk run.",
        minutes=(60, 150),
        cost=(200, 500),
        teams=_PRODUCTION,
    ),
    _Idea(
        Waste.WAITING,
        "Visible material call at {area}",
        "Material calls from {area} are missed because the call light cannot be seen from the "
        "warehouse, and the line waits for {part}.",
        "Send the material call to the milk-run driver's handheld and keep the light as a back-up.",
        minutes=(60, 180),
        cost=(150, 450),
        teams=_PRODUCTION,
        whys=(
            (
                "Why does the line wait for material?",
                "Because the call for {part} is answered late.",
            ),
            ("Why is the call answered late?", "Because the driver does not see it."),
            (
                "Why does the driver not see it?",
                "Because the call light is hidden behind a rack from the warehouse side.",
            ),
            (
                "Why is the light behind a rack?",
                "Because the racks were moved last year and the light was not.",
            ),
        ),
        root_cause="The material call depends on a light that was not moved with the layout "
        "change.",
        category=RootCauseCategory.ENVIRONMENT,
    ),
    _Idea(
        Waste.SKILLS,
        "Cross-train a second person on {machine}",
        "Only one person per shift can reset {machine} after a fault; when they are on a "
        "break, {area} waits.",
        "A one-page reset guide with photos, and two more people cross-trained and signed off "
        "on the skills matrix.",
        minutes=(60, 240),
        whys=(
            (
                "Why does the area wait when one person is away?",
                "Because only that person can reset the machine.",
            ),
            (
                "Why only that person?",
                "Because the reset was learnt by experience and is not written down.",
            ),
            (
                "Why is it not written down?",
                "Because resets are thought to be rare, although they happen most weeks.",
            ),
        ),
        root_cause="The reset method lives in one person's experience; there is no standard "
        "and no cross-training plan.",
        category=RootCauseCategory.TRAINING,
    ),
    _Idea(
        Waste.DEFECTS,
        "Mistake-proof the variant labels at {area}",
        "Boxes of {part} sometimes get the other variant's label; the two labels look almost "
        "the same and are chosen from a menu.",
        "Print the label from the scanned work order instead of choosing it, and give each "
        "variant a colour band.",
        minutes=(30, 90),
        cost=(200, 700),
        areas=(
            "press-line-1",
            "assembly-line-1",
            "assembly-line-2",
            "final-inspection",
            "dispatch",
        ),
        whys=(
            (
                "Why do boxes get the wrong label?",
                "Because the label is chosen from two very similar options.",
            ),
            (
                "Why is the label chosen at all?",
                "Because it is printed from a menu, not from the work order.",
            ),
            ("Why from a menu?", "Because the printer is not linked to the work order system."),
            (
                "Why is the printer not linked?",
                "Because it was added as a quick fix and never integrated.",
            ),
        ),
        root_cause="Label choice is a manual pick between look-alike options; nothing in the "
        "process prevents the wrong one.",
        category=RootCauseCategory.METHOD,
    ),
    # Press shop
    _Idea(
        Waste.WAITING,
        "Quick die change on {area}",
        "Die changes on {area} take 70 to 90 minutes, so the line runs big batches to avoid them.",
        "SMED workshop: film a changeover, move external steps before the stop, add quick "
        "clamps and a die cart at the right height.",
        minutes=(240, 600),
        cost=(1500, 6000),
        areas=("press-line-1", "press-line-2"),
        whys=(
            (
                "Why do die changes take so long?",
                "Because most steps are done while the press is stopped.",
            ),
            (
                "Why are they done while it is stopped?",
                "Because the die, clamps and bolts are fetched after the stop.",
            ),
            (
                "Why are they fetched after the stop?",
                "Because there is no die cart and no preparation checklist.",
            ),
            (
                "Why is there no preparation checklist?",
                "Because the changeover standard lists the steps but not when to do them.",
            ),
            (
                "Why does the standard not say when?",
                "Because it was written from the "
                "maintenance manual, not from watching a changeover.",
            ),
        ),
        root_cause="The changeover standard does not separate internal from external steps.",
        category=RootCauseCategory.TRAINING,
    ),
    _Idea(
        Waste.DEFECTS,
        "Coil lubrication check on {area}",
        "Splits on drawn {part} appear when the coil lubricant runs low; they are found at {next}.",
        "Level sensor and sight glass on the lubricant tank, and a level check at every coil "
        "change.",
        minutes=(60, 180),
        cost=(400, 1200),
        areas=("press-line-1", "press-line-2"),
        whys=(
            ("Why do parts split?", "Because the strip is not lubricated evenly."),
            (
                "Why is it not lubricated evenly?",
                "Because the lubricant tank runs low during the shift.",
            ),
            (
                "Why does it run low unnoticed?",
                "Because the level cannot be seen from the operating position.",
            ),
            (
                "Why can it not be seen?",
                "Because the tank sits behind the guard and has no level indicator.",
            ),
        ),
        root_cause="The lubricant level is invisible at the operating position and no check "
        "is built into the coil change.",
        category=RootCauseCategory.MACHINE,
    ),
    _Idea(
        Waste.WAITING,
        "Planned tip dressing for {machine}",
        "{machine} stops for unplanned electrode changes; tip wear is noticed only when welds "
        "fail the chisel test.",
        "Automatic tip dressing every 200 welds and a counter on the HMI that warns before "
        "the tips are worn out.",
        minutes=(120, 300),
        cost=(800, 2500),
        areas=("weld-cell-a", "weld-cell-b"),
        whys=(
            (
                "Why does the cell stop unexpectedly?",
                "Because worn electrode tips cause weld faults.",
            ),
            (
                "Why are worn tips not changed earlier?",
                "Because wear is noticed only when a weld fails.",
            ),
            ("Why only then?", "Because tip changes are not planned on a count of welds."),
            ("Why not on a count?", "Because the weld counter is not shown at the cell."),
        ),
        root_cause="Tip wear is managed by failure instead of by a planned weld count.",
        category=RootCauseCategory.MACHINE,
    ),
    _Idea(
        Waste.DEFECTS,
        "Spatter shields on the fixture at {area}",
        "Weld spatter lands on {part} and has to be ground off before they go on to {next}.",
        "Anti-spatter shields on the fixture and a nozzle clean in the start-up routine.",
        minutes=(90, 240),
        cost=(300, 900),
        areas=("weld-cell-a", "weld-cell-b"),
        whys=(
            ("Why do the parts need grinding?", "Because spatter sticks to them."),
            (
                "Why does spatter reach the parts?",
                "Because the fixture leaves the surface next to the seam exposed.",
            ),
            (
                "Why is it exposed?",
                "Because the fixture was designed for an older part with a shorter seam.",
            ),
        ),
        root_cause="The fixture design was not revised when the part changed.",
        category=RootCauseCategory.MACHINE,
    ),
    _Idea(
        Waste.MOTION,
        "Check fixture for {part} at {area}",
        "For every first-off check the setter walks to the quality room to use the gauge for "
        "{part}.",
        "A dedicated check fixture at the line, calibrated with the others, with a lockable cover.",
        minutes=(60, 150),
        cost=(900, 2500),
        teams=("press-shop",),
    ),
    _Idea(
        Waste.INVENTORY,
        "Supermarket for blanks after {area}",
        "Blanks for the next shift are pressed ahead to be safe; the racks after {area} are "
        "always full.",
        "A supermarket with fixed slots for four hours of weld demand; the press works only "
        "to fill empty slots.",
        minutes=(30, 120),
        cost=(300, 800),
        areas=("press-line-1", "press-line-2"),
    ),
    # Assembly
    _Idea(
        Waste.DEFECTS,
        "Torque confirmation at {area}",
        "Fasteners on {part} are now and then found under-torqued at final inspection.",
        "Connect {machine} to the station controller so a part is released only after every "
        "joint reports the right torque.",
        minutes=(60, 180),
        cost=(1500, 4000),
        areas=("assembly-line-1", "assembly-line-2"),
        # The second answer reads like "human error"; the team asked why the process let
        # it through, which is the habit the app prompts for.
        whys=(
            (
                "Why are some fasteners under-torqued?",
                "Because a joint was missed after the cycle was interrupted.",
            ),
            (
                "Why was the joint missed?",
                "Because the count of joints was lost after the interruption.",
            ),
            (
                "Why could a missed joint go unnoticed?",
                "Because counting from memory is the only check that every joint was done.",
            ),
            (
                "Why is memory the only check?",
                "Because the tool is not connected to the "
                "station, so the station does not know how many joints were made.",
            ),
            (
                "Why is it not connected?",
                "Because the tool was bought as a stand-alone spare and became permanent.",
            ),
        ),
        root_cause="The process relies on memory to confirm every joint; the tool is not "
        "interlocked with part release.",
        category=RootCauseCategory.MACHINE,
    ),
    _Idea(
        Waste.WAITING,
        "Shorter colour change on the {area}",
        "The powder booth stands for about 40 minutes at every colour change while it is cleaned.",
        "A second cyclone and hose set so cleaning happens offline; colours sequenced from "
        "light to dark.",
        minutes=(200, 400),
        cost=(2500, 7000),
        areas=("paint-line",),
        whys=(
            (
                "Why does the booth stand for 40 minutes?",
                "Because it is cleaned in place between colours.",
            ),
            ("Why in place?", "Because the same hoses and cyclone serve every colour."),
            (
                "Why the same ones?",
                "Because the booth was bought for one colour and colours were added later.",
            ),
        ),
        root_cause="Equipment designed for one colour serves several, so every change needs "
        "a full clean.",
        category=RootCauseCategory.MACHINE,
    ),
    _Idea(
        Waste.OVERPROCESSING,
        "Sampling instead of a full visual check at {area}",
        "Every one of the {part} is inspected by eye although the defect rate has been below "
        "0.1 % for six months.",
        "Agree a sampling plan with the customer's quality engineer; keep the full check for "
        "a week after any process change.",
        minutes=(300, 600),
        areas=("final-inspection",),
        whys=(
            (
                "Why is every part inspected?",
                "Because a full check was added after a customer complaint two years ago.",
            ),
            ("Why is it still in place?", "Because the check has no end date and no review."),
            ("Why no end date?", "Because containment checks are added without exit criteria."),
        ),
        root_cause="Containment checks have no exit criteria, so they become permanent.",
        category=RootCauseCategory.METHOD,
    ),
    _Idea(
        Waste.MOTION,
        "Parts in front of the operator at {area}",
        "People at {area} turn round to a bench behind them for every one of the {part}.",
        "A gravity flow rack in front of the station, with parts in fitting sequence.",
        minutes=(90, 240),
        cost=(700, 2000),
        areas=("assembly-line-1", "assembly-line-2"),
        whys=(
            (
                "Why do people turn round for parts?",
                "Because the parts are on a bench behind the station.",
            ),
            (
                "Why behind the station?",
                "Because the space in front is taken by the conveyor guard.",
            ),
            (
                "Why is there no rack in front?",
                "Because the line was laid out before flow racks were used in the plant.",
            ),
        ),
        root_cause="The line layout predates point-of-use parts presentation.",
        category=RootCauseCategory.ENVIRONMENT,
    ),
    _Idea(
        Waste.DEFECTS,
        "Hook cleaning plan for the {area}",
        "Coating on {part} is thin where the hooks are caked with old powder and earth poorly.",
        "Hooks rotate through a burn-off clean every week; cleaned hooks carry a colour tag.",
        minutes=(60, 180),
        cost=(300, 900),
        areas=("paint-line",),
        whys=(
            ("Why is the coating thin?", "Because the parts are poorly earthed."),
            ("Why are they poorly earthed?", "Because the hooks are covered in old powder."),
            (
                "Why are the hooks not cleaned?",
                "Because hook cleaning has no schedule and no owner.",
            ),
        ),
        root_cause="Hook cleaning has no standard frequency and no owner.",
        category=RootCauseCategory.METHOD,
    ),
    _Idea(
        Waste.SKILLS,
        "The people on {area} lead the line-balance review",
        "Line balancing on {area} is done by engineering alone; the people who know where the "
        "delays are are not asked.",
        "A two-hour workshop where the team times its own stations and proposes the new "
        "balance together with engineering.",
        cost=(0, 300),
        areas=("assembly-line-1", "assembly-line-2"),
    ),
    # Logistics
    _Idea(
        Waste.WAITING,
        "Booked delivery slots at {area}",
        "Supplier trucks arrive together early in the morning and queue at {area}; the "
        "afternoon is quiet.",
        "Delivery slots booked by suppliers in a shared calendar, with the unloading crew "
        "planned to the slots.",
        minutes=(240, 600),
        cost=(0, 400),
        areas=("goods-in",),
        whys=(
            ("Why do trucks queue?", "Because they all arrive between 6 and 8 in the morning."),
            ("Why then?", "Because suppliers were only told 'morning delivery'."),
            (
                "Why only 'morning'?",
                "Because goods in has never shared its hourly capacity with suppliers.",
            ),
        ),
        root_cause="Inbound deliveries are not levelled; suppliers have no slot system.",
        category=RootCauseCategory.METHOD,
    ),
    _Idea(
        Waste.MOTION,
        "Fast movers nearest the pick-up point in {area}",
        "The most-picked items are stored at the far end of {area}; pickers walk past slow "
        "movers for every order.",
        "ABC re-slotting: the 50 most-picked items move to the locations nearest the pick-up "
        "point, reviewed monthly.",
        minutes=(180, 480),
        cost=(0, 300),
        areas=("warehouse", "maintenance-stores"),
        whys=(
            ("Why do pickers walk so far?", "Because the fast movers are at the far end."),
            ("Why are they there?", "Because locations were given in the order items arrived."),
            ("Why was that never changed?", "Because nobody looks at picks per location."),
        ),
        root_cause="Storage locations are allocated by arrival, not by how often items are picked.",
        category=RootCauseCategory.METHOD,
    ),
    _Idea(
        Waste.TRANSPORT,
        "Milk run from the {area} to the lines",
        "Forklifts deliver to the lines one call at a time and come back empty; the aisles "
        "are busy and trucks wait for each other.",
        "A tugger milk run every 30 minutes on a fixed route, collecting empties on the way back.",
        minutes=(300, 600),
        cost=(3000, 9000),
        areas=("warehouse",),
        whys=(
            ("Why do forklifts drive back empty?", "Because every delivery is a separate trip."),
            (
                "Why separate trips?",
                "Because lines call for material one by one, when they run short.",
            ),
            (
                "Why do they run short before calling?",
                "Because there is no fixed replenishment rhythm.",
            ),
        ),
        root_cause="Line supply is triggered by shortages instead of a fixed rhythm.",
        category=RootCauseCategory.METHOD,
    ),
    _Idea(
        Waste.DEFECTS,
        "Count check at the stretch wrapper in {area}",
        "A few shipments a month carry the wrong quantity; the customer finds it when unpacking.",
        "Scan-to-load with a count check at {machine} and a photo of each pallet label kept "
        "with the shipment.",
        minutes=(60, 180),
        cost=(500, 1500),
        areas=("dispatch",),
        whys=(
            (
                "Why do wrong quantities reach the customer?",
                "Because the count is not checked at loading.",
            ),
            (
                "Why is it not checked?",
                "Because picking and loading are separate steps and "
                "each assumes the other counted.",
            ),
            (
                "Why does each assume the other counted?",
                "Because the hand-over between them has no defined check.",
            ),
        ),
        root_cause="No check is defined at the hand-over between picking and loading.",
        category=RootCauseCategory.METHOD,
    ),
    _Idea(
        Waste.INVENTORY,
        "Min/max cards for spares in {area}",
        "Some spares such as {part} run out while others are overstocked; a stock-out stops "
        "repairs.",
        "A min/max label on every bin and a reorder card that goes to purchasing when the "
        "minimum is reached.",
        minutes=(60, 240),
        cost=(100, 400),
        areas=("maintenance-stores",),
        whys=(
            (
                "Why do spares run out?",
                "Because reorders happen when someone notices an empty bin.",
            ),
            ("Why only then?", "Because the bins have no reorder point."),
            ("Why no reorder point?", "Because stock levels were never set from usage."),
        ),
        root_cause="There are no reorder points based on usage; replenishment depends on "
        "someone noticing.",
        category=RootCauseCategory.MATERIAL,
    ),
    _Idea(
        Waste.WAITING,
        "Pre-packed repair kits in {area}",
        "Technicians wait at the counter while parts for common repairs are collected from "
        "several bins.",
        "Kits for the ten most common repairs, packed and labelled in advance, refilled from "
        "the work orders.",
        minutes=(120, 300),
        cost=(200, 600),
        areas=("maintenance-stores",),
    ),
    _Idea(
        Waste.OVERPROCESSING,
        "Skip-lot receiving inspection at {area}",
        "Every delivery of {part} is counted and measured at {area}, including suppliers with "
        "a perfect record.",
        "Skip-lot inspection for suppliers with twelve months without a reject; full checks "
        "again after any reject.",
        minutes=(120, 360),
        areas=("goods-in",),
        whys=(
            (
                "Why is every delivery checked?",
                "Because the receiving procedure treats all suppliers alike.",
            ),
            (
                "Why alike?",
                "Because supplier performance is kept by purchasing and not shared with goods in.",
            ),
            (
                "Why is it not shared?",
                "Because the receiving procedure was written before the "
                "supplier rating existed and was never revisited.",
            ),
        ),
        root_cause="Receiving inspection ignores supplier history because the data is not shared.",
        category=RootCauseCategory.MEASUREMENT,
    ),
    _Idea(
        Waste.SKILLS,
        "Licensed drivers on the cover rota at {area}",
        "People with forklift licences are not on the cover rota, so {area} waits when a "
        "driver is absent.",
        "Add licensed team members to the rota and refresh their training.",
        minutes=(60, 180),
        cost=(0, 400),
        teams=("logistics",),
    ),
    _Idea(
        Waste.OVERPRODUCTION,
        "Pick to the truck schedule at {area}",
        "Orders are picked the day before dispatch to get ahead, filling the lanes and "
        "causing re-handling.",
        "Pick in waves two hours before each truck, with lanes labelled by truck.",
        minutes=(90, 240),
        areas=("dispatch",),
        whys=(
            ("Why are the lanes full?", "Because orders are picked a day early."),
            ("Why early?", "Because the picking list runs out and tomorrow's is started."),
            (
                "Why is tomorrow's started?",
                "Because there is no other standard work for quiet hours.",
            ),
        ),
        root_cause="Quiet hours have no planned work, so picking runs ahead of dispatch.",
        category=RootCauseCategory.METHOD,
    ),
)

# Cards are weighted like the observations: the common wastes get the most attention.
_IDEA_WEIGHTS: dict[Waste, float] = {
    Waste.WAITING: 3,
    Waste.MOTION: 2.5,
    Waste.DEFECTS: 2.5,
    Waste.TRANSPORT: 1.5,
    Waste.INVENTORY: 1.5,
    Waste.OVERPROCESSING: 1.3,
    Waste.OVERPRODUCTION: 1,
    Waste.SKILLS: 1,
}

# Days a card typically stays in a column before its next move.
_DWELL: dict[BoardColumn, tuple[int, int]] = {
    IDEAS: (1, 21),
    PLAN: (2, 12),
    DO: (3, 20),
    CHECK: (3, 14),
}

_BLOCK_REASONS = (
    "Waiting for maintenance to fit the trial parts; the work order is open.",
    "Parts for the trial are on order; the supplier delivers next week.",
    "Needs a safety review before the trial can start.",
    "Waiting for the budget sign-off from the plant manager.",
    "The area is flat out on a customer rush; the trial restarts when volumes drop.",
    # Only for blocks that have ended: these resolve themselves.
    "Trial paused during the stock-take week.",
    "The person running the trial was on holiday.",
)

_LEARNT_ADOPTED = (
    "Watching the job for an hour told us more than the meeting before it.",
    "The first idea from the people at the station was simpler and cheaper than ours.",
    "A small trial on one shift found the snags before we spent money.",
    "The real cause was two steps further back than the first answer to 'why?'.",
    "Measuring before and after made the benefit easy to agree on.",
    "Most of the delay was in the hand-over between teams, not in the work itself.",
    "A visual signal works better than a rule nobody can see.",
)
_LEARNT_NOT_ADOPTED = (
    "The countermeasure treated a symptom; the problem came back within two weeks.",
    "The trial showed the saving was much smaller than we expected, so the cost was not worth it.",
    "The change moved the problem to the next process instead of removing it.",
    "The night shift could not use the new method without support we had not planned.",
    "Our baseline measurement was too rough to show any difference.",
    "The supplier could not hold the new pattern, so we learnt where the real constraint is.",
)
_TAKE_FORWARD = (
    "Run the trial on one shift first and ask the people who do the job every day.",
    "Film the process before changing it; the video settled most debates.",
    "Put the standard at the point of use with photos, not in a binder.",
    "Agree how we will measure success before starting.",
    "One line per card at the stand-up kept the card moving.",
    "Bring maintenance in at the Plan stage.",
    "Ask the five whys at the workplace, not in the office.",
)
_DO_DIFFERENTLY = (
    "Talk to the next process earlier; they spotted an issue we had missed.",
    "Set an end date for the trial at the start.",
    "Order the trial parts before moving the card to Do; we lost a week waiting.",
    "Write down the baseline numbers before changing anything.",
    "Include the night shift in the plan from the start.",
    "Ask purchasing about lead times while planning.",
    "Keep the trial smaller so we learn faster.",
)


# --------------------------------------------------------------------------------------
# Building the plant.
# --------------------------------------------------------------------------------------


@dataclass
class _Card:
    """A card being planned: where it ends up and when it moved."""

    team: Team
    spec: _TeamSpec
    area: Area
    area_spec: _AreaSpec
    idea: _Idea
    words: dict[str, str]
    path: list[BoardColumn]
    outcome: Outcome | None
    times: list[datetime] = field(default_factory=list)


def _sentence(text: str) -> str:
    """Capitalise the first letter only (str.capitalize would lower-case 'MIG', 'CMM')."""
    return text[:1].upper() + text[1:]


def _fill(template: str, words: dict[str, str]) -> str:
    return _sentence(template.format(**words))


def _words(rng: random.Random, area: _AreaSpec) -> dict[str, str]:
    """Concrete machine and part names for one observation or card in this area."""
    return {
        "area": area.name,
        "machine": rng.choice(area.machines),
        "part": rng.choice(area.parts),
        "next": area.next_step,
    }


def _workday(today: date, days_ago: int) -> int:
    """Step further back until the day is Monday to Friday (stand-ups are on workdays)."""
    while (today - timedelta(days=days_ago)).weekday() >= 5:
        days_ago += 1
    return days_ago


def _at(today: date, days_ago: int, hour: int, minute: int) -> datetime:
    return datetime.combine(today - timedelta(days=days_ago), time(hour, minute))


def _move_time(rng: random.Random, today: date, days_ago: int) -> datetime:
    """Most moves happen at the morning stand-up; the rest during the day shift."""
    if rng.random() < 0.7:
        return _at(today, days_ago, 7, rng.randint(30, 59))
    return _at(today, days_ago, rng.randint(9, 15), rng.randint(0, 59))


def _path(final: BoardColumn, loop: str | None) -> list[BoardColumn]:
    """Columns a card visits in order, its creation in Ideas first."""
    columns = list(BoardColumn)[: final.ordinal + 1]
    if loop == "check-do":
        # The check showed the countermeasure did not hold; back to Do, then Check again.
        at = columns.index(CHECK) + 1
        columns[at:at] = [DO, CHECK]
    elif loop == "do-plan":
        # The trial hit a snag that needed replanning.
        at = columns.index(DO) + 1
        columns[at:at] = [PLAN, DO]
    elif loop == "plan-back":
        columns = [IDEAS, PLAN, DO, PLAN]
    return columns


def _schedule(
    rng: random.Random,
    path: Sequence[BoardColumn],
    last_days_ago: int,
    today: date,
) -> list[datetime]:
    """Move times for a path, ending `last_days_ago`, all on workdays, strictly increasing."""
    gaps = []
    for i, column in enumerate(path[:-1]):
        low, high = _DWELL[column]
        if column in path[:i]:  # a second visit is usually quicker
            high = max(low, high // 2)
        gaps.append(rng.randint(low, high))
    # Keep the whole story inside the card history, leaving room for weekend shifts.
    budget = CARD_HISTORY_DAYS - last_days_ago - 3 * len(path)
    total = sum(gaps)
    if total > budget:
        gaps = [max(1, g * budget // total) for g in gaps]
    days = [_workday(today, last_days_ago)]
    for gap in reversed(gaps):
        days.append(_workday(today, days[-1] + gap))
    days.reverse()
    times = [_at(today, days[0], rng.randint(6, 20), rng.randint(0, 59))]
    times += [_move_time(rng, today, d) for d in days[1:]]
    return times


def _growing(fraction: float, growth: float) -> float:
    """Map an even 0..1 spread onto one whose density rises by `growth` towards 1 (today)."""
    # Inverse of the CDF of a density proportional to 1 + growth * x on [0, 1].
    return (math.sqrt(1 + 2 * growth * fraction * (1 + growth / 2)) - 1) / growth


def _observed_in_week(rng: random.Random, now: datetime, weeks_ago: int) -> datetime:
    """A moment in the given week back from today, mostly on workdays."""
    today = now.date()
    days_ago = weeks_ago * 7 + rng.randint(0, 6)
    if rng.random() < 0.85:  # fewer people on site at weekends
        shifted = _workday(today, days_ago)
        days_ago = shifted if shifted < HISTORY_DAYS else days_ago
    moment = _at(today, min(days_ago, HISTORY_DAYS - 1), rng.randint(5, 22), rng.randint(0, 59))
    if moment > now:
        moment = (now - timedelta(minutes=rng.randint(5, 300))).replace(second=0, microsecond=0)
    return moment


def _spread(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainders), so no bin is starved."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(round(rng.randint(low, high), -1)).quantize(Decimal("0.01"))


def _minutes(rng: random.Random, low: int, high: int) -> int:
    return max(5, round(rng.randint(low, high) / 5) * 5)


def _demo_usernames() -> list[str]:
    names = ["admin", "ruth"]
    for spec in _TEAMS:
        names += [spec.lead[0], *(u for u, _ in spec.members), f"kiosk-{spec.kiosk_area}"]
    return names


def demo_name_clashes(session: Session) -> list[str]:
    """Teams, areas and usernames of the demo plant that the database already has."""
    team_slugs = [spec.slug for spec in _TEAMS]
    team_names = [spec.name for spec in _TEAMS]
    area_slugs = [area.slug for spec in _TEAMS for area in spec.areas]
    teams = session.scalars(
        select(Team.slug).where(or_(Team.slug.in_(team_slugs), Team.name.in_(team_names)))
    )
    areas = session.scalars(select(Area.slug).where(Area.slug.in_(area_slugs)))
    users = session.scalars(
        select(User.username).where(func.lower(User.username).in_(_demo_usernames()))
    )
    return (
        [f"team {slug!r}" for slug in teams]
        + [f"area {slug!r}" for slug in areas]
        + [f"user {name!r}" for name in users]
    )


def load_demo_plant(session: Session, now: datetime, seed: int = 7) -> DemoSummary:
    """Add a realistic metal-parts plant with six months of history; the caller commits."""
    # Refuse before adding anything, so a clash never leaves half a plant in the session.
    clashes = demo_name_clashes(session)
    if clashes:
        raise DemoPlantError(
            "The demo plant needs names this database already uses: "
            + ", ".join(clashes)
            + ". Load it into an empty database instead."
        )
    rng = random.Random(seed)
    today = now.date()
    window_start = now - timedelta(days=HISTORY_DAYS)
    # Teams, areas and accounts existed before the oldest card was written.
    founded = (now - timedelta(days=CARD_HISTORY_DAYS + 14)).replace(microsecond=0)

    # -- teams, areas, WIP limits ----------------------------------------------------
    teams: dict[str, Team] = {}
    areas: dict[str, Area] = {}
    for spec in _TEAMS:
        team = Team(slug=spec.slug, name=spec.name, created_at=founded)
        teams[spec.slug] = team
        session.add(team)
        for column, limit in _LIMITS:
            mode = spec.do_mode if column is DO else WipMode.SOFT
            team.column_limits.append(ColumnLimit(board_column=column, wip_limit=limit, mode=mode))
        for area_spec in spec.areas:
            area = Area(
                slug=area_spec.slug,
                name=area_spec.name,
                kind=area_spec.kind,
                team=team,
                created_at=founded,
            )
            areas[area_spec.slug] = area
            session.add(area)
    session.flush()

    # -- accounts --------------------------------------------------------------------
    users: list[User] = []

    def account(
        username: str, name: str, role: Role, team: Team | None = None, area: Area | None = None
    ) -> User:
        user = create_user(
            session, username, DEMO_PASSWORD, role=role, display_name=name, team=team, area=area
        )
        user.created_at = founded
        users.append(user)
        return user

    account("admin", "Plant administrator", Role.ADMIN)
    people: dict[str, list[User]] = {}  # per team: lead first, then members
    kiosks: dict[str, User] = {}  # per area slug
    for spec in _TEAMS:
        team = teams[spec.slug]
        crew = [account(*spec.lead, Role.LEAD, team=team)]
        crew += [account(u, n, Role.MEMBER, team=team) for u, n in spec.members]
        people[spec.slug] = crew
        kiosk_area = areas[spec.kiosk_area]
        kiosks[spec.kiosk_area] = account(
            f"kiosk-{spec.kiosk_area}",
            f"Tablet at {kiosk_area.name}",
            Role.KIOSK,
            team=team,
            area=kiosk_area,
        )
    account("ruth", "Ruth Adeyemi (plant manager)", Role.VIEWER)

    # -- plan the cards: where each ends up and when it moved ---------------------------
    cards: list[_Card] = []
    titles: set[str] = set()
    for spec in _TEAMS:
        combos = [
            (idea, area_spec)
            for idea in _IDEAS
            for area_spec in spec.areas
            if idea.fits(spec, area_spec)
        ]
        for column, outcome, count in spec.cards:
            for _ in range(count):
                while True:  # a title names one card, so skip ideas already on the board
                    weights = [_IDEA_WEIGHTS[idea.waste] for idea, _ in combos]
                    idea, area_spec = combos.pop(rng.choices(range(len(combos)), weights)[0])
                    words = _words(rng, area_spec)
                    title = _fill(idea.title, words)
                    if title not in titles:
                        titles.add(title)
                        break
                cards.append(
                    _Card(
                        team=teams[spec.slug],
                        spec=spec,
                        area=areas[area_spec.slug],
                        area_spec=area_spec,
                        idea=idea,
                        words=words,
                        path=[column],
                        outcome=outcome,
                    )
                )

    # A few cards went backwards before moving on: checks that failed, trials replanned.
    loops: dict[BoardColumn, list[str]] = {
        DONE: ["check-do", "check-do", "do-plan"],
        CHECK: ["check-do"],
        DO: ["do-plan"],
        PLAN: ["plan-back"],
    }
    for column, kinds in loops.items():
        candidates = [c for c in cards if c.path[-1] is column]
        for card, kind in zip(rng.sample(candidates, len(kinds)), kinds, strict=True):
            card.path = _path(column, kind)
    for card in cards:
        if len(card.path) == 1:
            card.path = _path(card.path[0], None)

    # Finished cards are spread evenly over the months, with throughput growing as the
    # habit takes hold; the even spread keeps every month's bar in the report believable.
    finished = [c for c in cards if c.path[-1] is DONE]
    rng.shuffle(finished)
    for k, card in enumerate(finished):
        recent = _growing((k + rng.random()) / len(finished), growth=1.5)
        last = 3 + int((1 - recent) * (FINISHED_WITHIN_DAYS - 3))
        card.times = _schedule(rng, card.path, last, today)
    for card in cards:
        final = card.path[-1]
        if final is DONE:
            continue
        last = rng.randint(1, {IDEAS: 40, PLAN: 25, DO: 30, CHECK: 20}[final])
        if rng.random() < 0.15:  # a few cards have been sitting for a while
            last += rng.randint(20, 50)
        card.times = _schedule(rng, card.path, last, today)

    # -- observations: those behind each card first, then everything else seen --------
    observations: list[Observation] = []
    card_observations: dict[int, list[Observation]] = defaultdict(list)

    def observe(
        area_spec: _AreaSpec, waste: Waste, when: datetime, team: str, text: str = ""
    ) -> Observation:
        texts = _LOGISTICS_TEXTS if team == "logistics" else _OBSERVATION_TEXTS
        text = text or _fill(rng.choice(texts[waste]), _words(rng, area_spec))
        reporter: User | None = None
        if rng.random() >= 0.4:  # four in ten reports are anonymous
            kiosk = kiosks.get(area_spec.slug)
            if kiosk is not None and rng.random() < 0.5:
                reporter = kiosk
            else:
                # People mostly report in their own team's areas, sometimes next door.
                crew_team = team if rng.random() < 0.85 else rng.choice(list(people))
                reporter = rng.choice(people[crew_team][1:] or people[crew_team])
        minutes = _minutes(rng, *_MINUTES_LOST[waste]) if rng.random() < 0.6 else None
        frequency = None
        if rng.random() < 0.7:
            frequency = rng.choices(
                [Frequency.SHIFT, Frequency.DAY, Frequency.WEEK, Frequency.ONCE],
                [35, 30, 20, 15],
            )[0]
        observation = Observation(
            observed_at=when,
            created_at=when,
            area=areas[area_spec.slug],
            waste=waste,
            description=text,
            minutes_lost=minutes,
            frequency=frequency,
            reporter=reporter,
        )
        observations.append(observation)
        return observation

    for index, card in enumerate(cards):
        created = card.times[0]
        room = created - window_start - timedelta(hours=3)
        if rng.random() < 0.9 and room > timedelta(hours=2):
            for n in range(rng.choice([1, 1, 1, 2, 2, 2, 3, 4])):
                latest = min(room, timedelta(days=45))
                seconds = rng.randint(2 * 3600, int(latest.total_seconds()))
                when = (created - timedelta(seconds=seconds)).replace(second=0, microsecond=0)
                # The card's problem statement usually starts as someone's observation.
                text = _fill(card.idea.problem, card.words) if n == 0 else ""
                card_observations[index].append(
                    observe(card.area_spec, card.idea.waste, when, card.spec.slug, text)
                )

    # Top the rest up week by week towards a gently rising curve: more reports over time
    # is the sign of a team that feels safe to speak up.
    weeks = HISTORY_DAYS // 7
    target = [OBSERVATION_COUNT * (1 + 1.2 * (w + 0.5) / weeks) for w in range(weeks)]
    target = [t * OBSERVATION_COUNT / sum(target) for t in target]  # index 0 = oldest
    seeded = Counter(weeks - 1 - (now - o.observed_at).days // 7 for o in observations)
    shortfall = [max(0.1, target[w] - seeded[w]) for w in range(weeks)]
    top_up = OBSERVATION_COUNT - len(observations)
    per_week = _spread(top_up, shortfall)
    # Steer the wastes the same way, so waiting, motion and defects stay the most reported
    # whatever the cards happened to be about.
    wastes = list(_OBSERVATION_WEIGHTS)
    whole = sum(_OBSERVATION_WEIGHTS.values())
    have = Counter(o.waste for o in observations)
    waste_short = [
        max(0.1, OBSERVATION_COUNT * weight / whole - have[waste])
        for waste, weight in _OBSERVATION_WEIGHTS.items()
    ]
    top_up_wastes = [
        w for w, n in zip(wastes, _spread(top_up, waste_short), strict=True) for _ in range(n)
    ]
    rng.shuffle(top_up_wastes)
    all_areas = [(spec.slug, a) for spec in _TEAMS for a in spec.areas]
    # Lines and cells see more traffic than the stores.
    area_weights = [3 if a.kind in ("line", "cell") else 2 for _, a in all_areas]
    for week, count in enumerate(per_week):
        for _ in range(count):
            team_slug, area_spec = rng.choices(all_areas, area_weights)[0]
            waste = top_up_wastes.pop()
            observe(area_spec, waste, _observed_in_week(rng, now, weeks - 1 - week), team_slug)
    observations.sort(key=lambda o: o.observed_at)

    # -- improvements, their move log and blocked periods -----------------------------
    improvements: list[Improvement] = []
    moves: list[CardMove] = []
    blocks: list[BlockPeriod] = []
    open_cards = [i for i, c in enumerate(cards) if c.path[-1] in (PLAN, DO, CHECK)]
    blocked_now = set(rng.sample(open_cards, 4))
    long_enough = [i for i, c in enumerate(cards) if len(c.path) >= 4 and i not in blocked_now]
    blocked_before = set(rng.sample(long_enough, 8))

    for index, card in enumerate(cards):
        crew = people[card.spec.slug]
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
            title=_fill(idea.title, card.words),
            problem=_fill(idea.problem, card.words),
            countermeasure=_fill(idea.countermeasure, card.words),
            team=card.team,
            area=card.area,
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
        improvements.append(improvement)
        previous: BoardColumn | None = None
        for column, moved_at in zip(card.path, card.times, strict=True):
            moves.append(
                CardMove(
                    improvement=improvement,
                    from_column=previous,
                    to_column=column,
                    moved_at=moved_at,
                    moved_by=improvement.created_by if previous is None else rng.choice(crew),
                )
            )
            previous = column
        for observation in card_observations[index]:
            improvement.observations.append(observation)

        if index in blocked_now:
            span = now - card.times[-1]
            started = (card.times[-1] + span * rng.uniform(0.2, 0.7)).replace(
                second=0, microsecond=0
            )
            reason = rng.choice(_BLOCK_REASONS[:5])
            improvement.blocked = True
            improvement.blocked_reason = reason
            improvement.updated_at = started
            blocks.append(
                BlockPeriod(
                    improvement=improvement,
                    started_at=started,
                    ended_at=None,
                    reason=reason,
                    blocked_by_id=rng.choice(crew).id,
                )
            )
        elif index in blocked_before:
            # Blocked for a while between two moves in Plan, Do or Check, then freed.
            steps = [i for i in range(1, len(card.path) - 1) if card.path[i] in (PLAN, DO, CHECK)]
            step = rng.choice(steps)
            span = card.times[step + 1] - card.times[step]
            blocks.append(
                BlockPeriod(
                    improvement=improvement,
                    started_at=(card.times[step] + span * rng.uniform(0.1, 0.4)).replace(
                        microsecond=0
                    ),
                    ended_at=(card.times[step] + span * rng.uniform(0.5, 0.9)).replace(
                        microsecond=0
                    ),
                    reason=rng.choice(_BLOCK_REASONS),
                    blocked_by_id=rng.choice(crew).id,
                )
            )

    # Positions: open columns oldest arrival first; Done with the latest finish on top.
    by_column: dict[tuple[str, BoardColumn], list[int]] = defaultdict(list)
    for index, card in enumerate(cards):
        by_column[(card.spec.slug, card.path[-1])].append(index)
    for (_, column), indexes in by_column.items():
        indexes.sort(key=lambda i: cards[i].times[-1], reverse=column is DONE)
        for position, i in enumerate(indexes):
            improvements[i].position = position

    # -- five whys ---------------------------------------------------------------------
    # Two thirds on finished cards; the rest on open cards still digging, while other open
    # cards show "no root cause yet" on the board.
    dug = [i for i, c in enumerate(cards) if c.idea.whys and c.path[-1] is not IDEAS]
    dug_done = [i for i in dug if cards[i].path[-1] is DONE]
    dug_done = rng.sample(dug_done, k=min(len(dug_done), 20))
    dug_open = [i for i in dug if cards[i].path[-1] is not DONE]
    chosen = dug_done + rng.sample(dug_open, k=min(len(dug_open), ROOT_CAUSE_COUNT - 20))
    root_causes: list[RootCause] = []
    for index in sorted(chosen):
        card = cards[index]
        crew = people[card.spec.slug]
        # The team dug into the cause while planning, before the trial started.
        start = card.times[1]
        end = card.times[2] if len(card.times) > 2 else now
        created = (start + (end - start) * rng.uniform(0.1, 0.6)).replace(microsecond=0)
        final = card.path[-1]
        if final is DONE:
            # A countermeasure that did not work leaves the cause open for another try.
            adopted = card.outcome is Outcome.ADOPTED
            status = RootCauseStatus.VERIFIED if adopted else RootCauseStatus.OPEN
        elif final is PLAN:
            status = rng.choice([RootCauseStatus.OPEN, RootCauseStatus.COUNTERMEASURE])
        else:
            status = RootCauseStatus.COUNTERMEASURE
        updated = card.times[-1] if final is DONE else created
        record = RootCause(
            problem=improvements[index].problem,
            root_cause=_fill(card.idea.root_cause, card.words),
            category=card.idea.category,
            countermeasure=improvements[index].countermeasure,
            status=status,
            created_at=created,
            updated_at=max(created, updated),
            created_by=rng.choice(crew),
        )
        for position, (why, because) in enumerate(card.idea.whys):
            record.steps.append(
                WhyStep(
                    position=position,
                    why=_fill(why, card.words),
                    because=_fill(because, card.words),
                )
            )
        record.improvements.append(improvements[index])
        linked = card_observations[index]
        if linked:
            for observation in rng.sample(linked, min(len(linked), rng.randint(1, 2))):
                record.observations.append(observation)
        root_causes.append(record)

    # -- reflections: on adopted and not-adopted cards alike ---------------------------
    done = [i for i, c in enumerate(cards) if c.path[-1] is DONE]
    adopted_latest_first = sorted(
        (i for i in done if cards[i].outcome is Outcome.ADOPTED),
        key=lambda i: cards[i].times[-1],
        reverse=True,
    )
    pending = set(adopted_latest_first[:REFLECTIONS_PENDING])
    reflections: list[Reflection] = []
    for index in done:
        if index in pending:
            continue
        card = cards[index]
        done_at = card.times[-1]
        written = done_at + timedelta(hours=rng.randint(2, 24 * 6))
        if written >= now:
            written = done_at + (now - done_at) / 2
        written = written.replace(microsecond=0)
        learnt = _LEARNT_ADOPTED if card.outcome is Outcome.ADOPTED else _LEARNT_NOT_ADOPTED
        reflections.append(
            Reflection(
                improvement=improvements[index],
                learnt=rng.choice(learnt),
                take_forward=rng.choice(_TAKE_FORWARD),
                do_differently=rng.choice(_DO_DIFFERENTLY),
                # A quarter are written without a name: reflection is safer when it can be.
                author=None if rng.random() < 0.25 else rng.choice(people[card.spec.slug]),
                created_at=written,
                updated_at=written,
            )
        )

    session.add_all(observations)
    session.add_all(improvements)
    session.add_all(moves)
    session.add_all(blocks)
    session.add_all(root_causes)
    session.add_all(reflections)
    session.flush()

    return DemoSummary(
        teams=len(teams),
        areas=len(areas),
        users=len(users),
        observations=len(observations),
        improvements=len(improvements),
        card_moves=len(moves),
        root_causes=len(root_causes),
        reflections=len(reflections),
    )
