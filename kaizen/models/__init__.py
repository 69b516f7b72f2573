"""The data model (PRODUCT.md section 4), one module per domain."""

from kaizen.models.account import ApiToken, RememberToken, SignInThrottle, TokenScope, User
from kaizen.models.audit import AuditEvent
from kaizen.models.derived import restamp_cards, touch_boards
from kaizen.models.device import DisplayLink, KioskDevice
from kaizen.models.idempotency import IdempotencyKey
from kaizen.models.improvement import (
    AppendOnlyError,
    BlockPeriod,
    CardMove,
    Improvement,
    observation_improvement,
)
from kaizen.models.observation import Observation
from kaizen.models.place import Area, ColumnLimit, Team
from kaizen.models.plant import PlantSetting
from kaizen.models.reflection import Reflection
from kaizen.models.report_cache import (
    ReportBuild,
    ReportLock,
    ReportPart,
    ReportVersion,
    touch_reports,
)
from kaizen.models.root_cause import (
    RootCause,
    WhyStep,
    root_cause_improvement,
    root_cause_observation,
)
from kaizen.models.search import include_in_autogenerate, is_search_table
from kaizen.models.types import utcnow
from kaizen.models.vocab import (
    BoardColumn,
    Frequency,
    Outcome,
    Role,
    RootCauseCategory,
    RootCauseStatus,
    Waste,
    WipMode,
)
from kaizen.models.webhook import DeliveryStatus, Webhook, WebhookDelivery

__all__ = [
    "ApiToken",
    "AppendOnlyError",
    "Area",
    "AuditEvent",
    "BlockPeriod",
    "BoardColumn",
    "CardMove",
    "ColumnLimit",
    "DeliveryStatus",
    "DisplayLink",
    "Frequency",
    "IdempotencyKey",
    "Improvement",
    "KioskDevice",
    "Observation",
    "Outcome",
    "PlantSetting",
    "Reflection",
    "RememberToken",
    "ReportBuild",
    "ReportLock",
    "ReportPart",
    "ReportVersion",
    "Role",
    "RootCause",
    "RootCauseCategory",
    "RootCauseStatus",
    "SignInThrottle",
    "Team",
    "TokenScope",
    "User",
    "Waste",
    "Webhook",
    "WebhookDelivery",
    "WhyStep",
    "WipMode",
    "include_in_autogenerate",
    "is_search_table",
    "observation_improvement",
    "restamp_cards",
    "root_cause_improvement",
    "root_cause_observation",
    "touch_boards",
    "touch_reports",
    "utcnow",
]
