"""The import form: a CSV or XLSX file, what its rows are, and preview or import."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField

from kaizen.input import KaizenForm

KINDS = [
    ("", _l("Read it from the headings")),
    ("observations", _l("Observations")),
    ("cards", _l("Improvement cards")),
]


class ImportForm(KaizenForm):
    """One spreadsheet to check (dry run) or import."""

    file = FileField(
        _l("Spreadsheet (CSV or XLSX)"),
        validators=[
            FileRequired(_l("Choose a CSV or XLSX file.")),
            FileAllowed(["csv", "xlsx"], _l("Only CSV or XLSX files can be imported.")),
        ],
    )
    kind = SelectField(_l("The rows are"), choices=KINDS, default="")
