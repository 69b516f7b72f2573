"""The fixed vocabularies of PRODUCT.md: wastes, columns, outcomes, categories, roles.

Codes are the stable values stored in the database and used in the JSON API; labels and
hints are what people read.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Waste(StrEnum):
    """The eight wastes (TIMWOODS)."""

    TRANSPORT = "transport"
    INVENTORY = "inventory"
    MOTION = "motion"
    WAITING = "waiting"
    OVERPRODUCTION = "overproduction"
    OVERPROCESSING = "overprocessing"
    DEFECTS = "defects"
    SKILLS = "skills"

    @property
    def info(self) -> WasteInfo:
        """Label, plain-words hint, colour and icon for this waste."""
        return WASTE_INFO[self]

    @property
    def label(self) -> str:
        """The name people read."""
        return WASTE_INFO[self].label


@dataclass(frozen=True)
class WasteInfo:
    """How a waste is shown: name, one-line hint, a colour and an icon."""

    label: str
    hint: str
    colour: str
    icon: str


# Colours come from a colour-blind-safe palette (Okabe-Ito plus two darker tones),
# so the waste of a card can be told apart on a TV across the room.
WASTE_INFO: dict[Waste, WasteInfo] = {
    Waste.TRANSPORT: WasteInfo("Transport", "Moving things needlessly", "#0072B2", "🚚"),
    Waste.INVENTORY: WasteInfo("Inventory", "More material or WIP than needed", "#E69F00", "📦"),
    Waste.MOTION: WasteInfo("Motion", "Needless walking, reaching, bending", "#009E73", "🚶"),
    Waste.WAITING: WasteInfo("Waiting", "People or parts standing idle", "#D55E00", "⏳"),
    Waste.OVERPRODUCTION: WasteInfo(
        "Overproduction", "Making more or earlier than needed", "#CC79A7", "🏭"
    ),
    Waste.OVERPROCESSING: WasteInfo(
        "Over-processing", "More work than the customer values", "#56B4E9", "🔁"
    ),
    Waste.DEFECTS: WasteInfo("Defects", "Rework, scrap, fixing mistakes", "#B2182B", "⚠️"),
    Waste.SKILLS: WasteInfo("Skills", "Unused talent and ideas", "#5E3C99", "💡"),
}


class BoardColumn(StrEnum):
    """The PDCA board columns, in order."""

    IDEAS = "ideas"
    PLAN = "plan"
    DO = "do"
    CHECK = "check"
    DONE = "done"

    @property
    def label(self) -> str:
        """The column header people read."""
        return self.value.capitalize()

    @property
    def ordinal(self) -> int:
        """Position of the column on the board, from 0 (`index` is taken by `str`)."""
        return list(BoardColumn).index(self)


class Outcome(StrEnum):
    """How a finished improvement ended; both are finished work."""

    ADOPTED = "adopted"
    NOT_ADOPTED = "not_adopted"

    @property
    def label(self) -> str:
        """The outcome people read."""
        return "Adopted" if self is Outcome.ADOPTED else "Not adopted"


class RootCauseCategory(StrEnum):
    """The fixed, countable root-cause categories."""

    METHOD = "method"
    MACHINE = "machine"
    MATERIAL = "material"
    MEASUREMENT = "measurement"
    ENVIRONMENT = "environment"
    TRAINING = "training"

    @property
    def label(self) -> str:
        """The category people read."""
        if self is RootCauseCategory.TRAINING:
            return "Training & standard work"
        return self.value.capitalize()


class RootCauseStatus(StrEnum):
    """Where a five-whys record stands."""

    OPEN = "open"
    COUNTERMEASURE = "countermeasure"
    VERIFIED = "verified"

    @property
    def label(self) -> str:
        """The status people read."""
        return {
            RootCauseStatus.OPEN: "Open",
            RootCauseStatus.COUNTERMEASURE: "Countermeasure chosen",
            RootCauseStatus.VERIFIED: "Verified",
        }[self]


class Frequency(StrEnum):
    """How often an observed waste happens."""

    ONCE = "once"
    SHIFT = "shift"
    DAY = "day"
    WEEK = "week"

    @property
    def label(self) -> str:
        """The frequency people read."""
        return {
            Frequency.ONCE: "Once",
            Frequency.SHIFT: "Every shift",
            Frequency.DAY: "Every day",
            Frequency.WEEK: "Every week",
        }[self]


class Role(StrEnum):
    """What a signed-in account may do (PRODUCT.md section 8)."""

    KIOSK = "kiosk"
    VIEWER = "viewer"
    MEMBER = "member"
    LEAD = "lead"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """Higher ranks include the rights of lower ones; a kiosk only reports."""
        return list(Role).index(self)


class WipMode(StrEnum):
    """A soft WIP limit warns and asks for a reason; a hard one refuses."""

    SOFT = "soft"
    HARD = "hard"
