"""The import form: a CSV or XLSX file, what its rows are, and preview or import."""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField

from kaizen.input import KaizenForm

KINDS = [
    ("", "Read it from the headings"),
    ("observations", "Observations"),
    ("cards", "Improvement cards"),
]


class ImportForm(KaizenForm):
    """One spreadsheet to check (dry run) or import."""

    file = FileField(
        "Spreadsheet (CSV or XLSX)",
        validators=[
            FileRequired("Choose a CSV or XLSX file."),
            FileAllowed(["csv", "xlsx"], "Only CSV or XLSX files can be imported."),
        ],
    )
    kind = SelectField("The rows are", choices=KINDS, default="")
