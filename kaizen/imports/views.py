"""`/import`: admins check a spreadsheet (a dry run showing the column mapping and every bad
row) and import it, all rows or none."""

from __future__ import annotations

from flask import Blueprint, request
from werkzeug.wrappers import Response

from kaizen.accounts.access import require_role
from kaizen.extensions import db
from kaizen.imports.forms import ImportForm
from kaizen.models import Role
from kaizen.services.imports import ImportFileError, Preview, import_rows, read_table
from kaizen.web import render_page_or_fragment

bp = Blueprint("imports", __name__)


def _render(form: ImportForm, preview: Preview | None, problem: str | None) -> Response:
    """The page, or for htmx just the result below the form (422 when something is wrong)."""
    status = 422 if form.errors or problem or (preview and not preview.ok) else 200
    return render_page_or_fragment(
        "imports/page.html",
        "imports/_result.html",
        status=status,
        form=form,
        preview=preview,
        problem=problem,
    )


@bp.route("/import", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def page() -> Response:
    """Choose a file; "Check" is a dry run, "Import" writes every row or none."""
    form = ImportForm()
    if request.method == "GET" or not form.validate_on_submit():
        return _render(form, None, None)
    dry_run = request.form.get("action") != "import"
    upload = form.file.data
    try:
        table = read_table(upload.filename or "", upload.read())
        preview = import_rows(db.session, table, dry_run=dry_run, kind=form.kind.data or None)
    except ImportFileError as error:
        return _render(form, None, str(error))
    return _render(form, preview, None)
