"""What one board costs on a bench database: bytes, bytes a card and CPU time per request,
signed out and as the bench member; `--profile` prints a pyinstrument profile instead.

    kaizen bench-data --preset team500          # into the database DATABASE_URL names
    .venv/bin/python tools/board_costs.py "$DATABASE_URL" /board/bench-team
    .venv/bin/python tools/board_costs.py "$DATABASE_URL" /board --profile

Run it from the root of a checkout to measure that checkout's code. CPU time of this process
(not wall time) keeps the figures comparable on a busy machine; bytes do not depend on it.
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.getcwd())  # the checkout we stand in, not the installed one

from sqlalchemy import select

from kaizen import create_app
from kaizen.bench.data import BENCH_MEMBER
from kaizen.extensions import db
from kaizen.models import User

RUNS = 7
CARD = re.compile(rb'<li class="card[ "]')


def main(url: str, path: str, profile: bool) -> None:
    """Measure the board at `path` signed out and as the bench member."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "AUTO_MIGRATE": False})
    with app.app_context():
        member = db.session.scalar(select(User.id).where(User.username == BENCH_MEMBER[0]))
    for label in ("signed out", "member"):
        client = app.test_client()
        if label == "member":
            if member is None:
                print("no bench member in this database: member figures skipped")
                continue
            with client.session_transaction() as session:
                session["_user_id"] = str(member)
                session["_fresh"] = True
        page = client.get(path)
        html = page.get_data()
        cards = len(CARD.findall(html))
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            with profiler:
                for _ in range(3):
                    client.get(path)
            print(f"== {label}")
            print(profiler.output_text(unicode=False, color=False))
            continue
        times = []
        for _ in range(RUNS):
            start = time.process_time()
            client.get(path)
            times.append((time.process_time() - start) * 1000)
        print(
            f"{label}: {page.status_code}, {len(html):,} B, {cards} cards, "
            f"{len(html) / max(cards, 1):,.0f} B a card, "
            f"CPU median {statistics.median(times):.0f} ms"
        )


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], "--profile" in sys.argv[3:])
