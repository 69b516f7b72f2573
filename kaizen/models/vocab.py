"""The fixed vocabularies of PRODUCT.md: wastes, columns, outcomes, categories, roles.

Codes are the stable values stored in the database and used in the JSON API; labels and
hints are what people read, in the reader's language: each is marked with `lazy_gettext`
and translated when it is read (English outside a request).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext


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

    # Marked with lazy_gettext; `label` and `hint` read them in the reader's language.
    label_text: Any
    hint_text: Any
    colour: str
    icon: str

    @property
    def label(self) -> str:
        """The waste's name."""
        return str(self.label_text)

    @property
    def hint(self) -> str:
        """What the waste means, in a few plain words."""
        return str(self.hint_text)


# Colours come from a colour-blind-safe palette (Okabe-Ito plus two darker tones),
# so the waste of a card can be told apart on a TV across the room.
WASTE_INFO: dict[Waste, WasteInfo] = {
    Waste.TRANSPORT: WasteInfo(_l("Transport"), _l("Moving things needlessly"), "#0072B2", "🚚"),
    Waste.INVENTORY: WasteInfo(
        _l("Inventory"), _l("More material or WIP than needed"), "#E69F00", "📦"
    ),
    Waste.MOTION: WasteInfo(
        _l("Motion"), _l("Needless walking, reaching, bending"), "#009E73", "🚶"
    ),
    Waste.WAITING: WasteInfo(_l("Waiting"), _l("People or parts standing idle"), "#D55E00", "⏳"),
    Waste.OVERPRODUCTION: WasteInfo(
        _l("Overproduction"), _l("Making more or earlier than needed"), "#CC79A7", "🏭"
    ),
    Waste.OVERPROCESSING: WasteInfo(
        _l("Over-processing"), _l("More work than the customer values"), "#56B4E9", "🔁"
    ),
    Waste.DEFECTS: WasteInfo(_l("Defects"), _l("Rework, scrap, fixing mistakes"), "#B2182B", "⚠️"),
    Waste.SKILLS: WasteInfo(_l("Skills"), _l("Unused talent and ideas"), "#5E3C99", "💡"),
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
        return str(_COLUMN_LABELS[self])

    @property
    def ordinal(self) -> int:
        """Position of the column on the board, from 0 (`index` is taken by `str`)."""
        return list(BoardColumn).index(self)


# The PDCA board's column headers; the context tells translators they head columns.
_COLUMN_LABELS = {
    BoardColumn.IDEAS: lazy_pgettext("board column", "Ideas"),
    BoardColumn.PLAN: lazy_pgettext("board column", "Plan"),
    BoardColumn.DO: lazy_pgettext("board column", "Do"),
    BoardColumn.CHECK: lazy_pgettext("board column", "Check"),
    BoardColumn.DONE: lazy_pgettext("board column", "Done"),
}


class Outcome(StrEnum):
    """How a finished improvement ended; both are finished work."""

    ADOPTED = "adopted"
    NOT_ADOPTED = "not_adopted"

    @property
    def label(self) -> str:
        """The outcome people read."""
        return str(_l("Adopted") if self is Outcome.ADOPTED else _l("Not adopted"))


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
        return str(_CATEGORY_LABELS[self])


# The root-cause categories a five-whys record is counted under.
_CATEGORY_LABELS = {
    RootCauseCategory.METHOD: _l("Method"),
    RootCauseCategory.MACHINE: _l("Machine"),
    RootCauseCategory.MATERIAL: _l("Material"),
    RootCauseCategory.MEASUREMENT: _l("Measurement"),
    RootCauseCategory.ENVIRONMENT: _l("Environment"),
    RootCauseCategory.TRAINING: _l("Training & standard work"),
}


class RootCauseStatus(StrEnum):
    """Where a five-whys record stands."""

    OPEN = "open"
    COUNTERMEASURE = "countermeasure"
    VERIFIED = "verified"

    @property
    def label(self) -> str:
        """The status people read."""
        return str(
            {
                RootCauseStatus.OPEN: lazy_pgettext("five-whys status", "Open"),
                RootCauseStatus.COUNTERMEASURE: _l("Countermeasure chosen"),
                RootCauseStatus.VERIFIED: _l("Verified"),
            }[self]
        )


class Frequency(StrEnum):
    """How often an observed waste happens."""

    ONCE = "once"
    SHIFT = "shift"
    DAY = "day"
    WEEK = "week"

    @property
    def label(self) -> str:
        """The frequency people read."""
        return str(
            {
                Frequency.ONCE: _l("Once"),
                Frequency.SHIFT: _l("Every shift"),
                Frequency.DAY: _l("Every day"),
                Frequency.WEEK: _l("Every week"),
            }[self]
        )


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
