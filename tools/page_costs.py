"""What the main pages cost on the demo plant: SQL statements, bytes and CPU time per request.

Run it from the root of any checkout to measure that checkout's code, e.g. to compare a
commit with the one before it:

    git worktree add /tmp/before <commit>
    (cd /tmp/before && /path/to/.venv/bin/python /path/to/tools/page_costs.py)
    .venv/bin/python tools/page_costs.py

CPU time of this process (not wall time) keeps the figures comparable on a busy machine;
statement counts and bytes do not depend on the machine at all. SQLite in a temporary folder.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, os.getcwd())  # the checkout we stand in, not the installed one

from sqlalchemy import event

from kaizen import create_app
from kaizen.extensions import db
from kaizen.models import utcnow

try:
    from kaizen.demo import load_demo_plant
except ImportError:  # checkouts from before the demo plant became data
    from kaizen.services.demo import load_demo_plant  # type: ignore[no-redef]

RUNS = 31
SUBMIT = {"area": "press-line-1", "waste": "waiting", "description": "Parts wait for a truck."}


def main() -> None:
    """Load the demo plant, sign in as its admin and measure each page."""
    folder = Path(tempfile.mkdtemp())
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'costs.db'}",
            "SECRET_KEY": "page-costs",
            "AUTO_MIGRATE": False,
            "INSTANCE_PATH": str(folder),
            "WTF_CSRF_ENABLED": False,
        }
    )
    statements = [0]
    with app.app_context():
        db.create_all()
        load_demo_plant(db.session, now=utcnow(), seed=7)
        db.session.commit()  # older loaders left the commit to their caller
        event.listen(db.engine, "before_cursor_execute", lambda *_a, **_k: _count(statements))
    client = app.test_client()
    client.post("/login", data={"username": "admin", "password": "kaizen-demo"})
    month = f"{utcnow():%Y-%m}"
    pages: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", f"/reports/monthly/{month}", None),
        ("GET", "/board", None),
        ("GET", "/board/press-shop", None),
        ("GET", "/observations", None),
        ("GET", "/observe?area=press-line-1", None),
        ("POST", "/observe?area=press-line-1", SUBMIT),
        ("GET", "/learning", None),
        ("GET", "/root-causes/1", None),
        ("GET", "/improvements/1", None),
    ]
    print(f"{'request':42} {'status':>6} {'queries':>7} {'bytes':>8} {'CPU ms (median)':>16}")
    for method, path, data in pages:
        statements[0] = 0
        response = client.open(path, method=method, data=data)
        queries, size = statements[0], len(response.data)
        times = []
        for _ in range(RUNS):
            start = time.process_time()
            client.open(path, method=method, data=data)
            times.append(time.process_time() - start)
        median = statistics.median(times) * 1000
        status = response.status_code
        print(f"{method} {path:38} {status:>6} {queries:>7} {size:>8} {median:>16.1f}")


def _count(counter: list[int]) -> None:
    counter[0] += 1


if __name__ == "__main__":
    main()
