"""Plant-wide settings kept in the database (one row)."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kaizen.extensions import Model


class PlantSetting(Model):
    """The plant's settings an admin changes in the app; `id` is always 1."""

    __tablename__ = "plant_setting"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # An IANA zone name ('Europe/Berlin'); empty means the KAIZEN_TIME_ZONE default.
    time_zone: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    # A shipped language code ('de'); empty means each browser's own (Accept-Language).
    language: Mapped[str] = mapped_column(String(8), nullable=False, default="", server_default="")
