"""A search over 100,000 observations: the full-text index against the LIKE scan it replaced
and against the list without a search, measured in the same run (docs/benchmarks.md).

    .venv/bin/python tools/search_bench.py                       # a temporary SQLite file
    .venv/bin/python tools/search_bench.py postgresql+psycopg://postgres@127.0.0.1/scratch

The database given is emptied first (a scratch database only). It is built by the
migrations, then filled with ROWS observations of varied shop-floor sentences (written in
bulk, so the database's triggers or generated column index every row as it goes in), and
analysed. For each search, in rounds, interleaved:

- *search*: `list_observations` with the words, as the page asks: how many match, and the
  first page of 50, best match first;
- *LIKE scan*: what the list did before the index, for the same words: a count and the
  newest 50 with `lower(description) LIKE '%word%'` for each word;
- *list, no search*: `list_observations` without words (the count and the newest 50);
- *page*: `GET /observations?q=...` through Flask's test client, signed in as a viewer
  (the same search, rendered), against the page without a search.

Medians of the rounds' wall times. Run it from the root of a checkout to measure that
checkout's code. It is kept out of the test suite: figures, not pass or fail.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, os.getcwd())  # the checkout we stand in, not the installed one

from flask_migrate import upgrade
from sqlalchemy import func, insert, select, text

from kaizen import create_app
from kaizen.extensions import db
from kaizen.models import Area, Observation, Role, Team, Waste, utcnow
from kaizen.services.accounts import create_user
from kaizen.services.observations import ObservationFilters, list_observations

ROWS = 100_000
ROUNDS = 25
BATCH = 5_000
# Rare, common, stemmed ("waiting" finds waited and waits), several words, no match.
SEARCHES = ("hydraulic", "forklift", "waiting", "parts waiting forklift", "canteen")

WHAT = (
    "parts", "pallets", "coils", "bins", "housings", "the forklift", "the crane", "the truck",
    "tools", "labels", "dies", "fixtures", "boxes", "orders", "drawings", "samples", "gauges",
    "cables", "covers", "brackets", "the operator", "the setter", "the inspector", "kanban cards",
)  # fmt: skip
HAPPENED = (
    "waited", "waiting", "waits", "piled up", "overflowing", "scratched", "missing",
    "searched for", "reworked", "blocked", "idle", "stopped", "moved twice", "dropped",
    "stacked too high", "delayed", "rejected", "counted again", "carried by hand", "walked",
)  # fmt: skip
WHERE = (
    "for the forklift", "at the press", "near the saw", "in the warehouse", "by the paint line",
    "for inspection", "at goods in", "for the crane", "on the floor", "in cell B",
    "at the welding robot", "for a signature", "at the tool crib", "beside the oven",
    "in transport", "for the changeover", "at the end of the line", "for maintenance",
    "by the dock door", "in the rack", "at the assembly table", "behind the compressor",
)  # fmt: skip
AFTER = (
    "again.", "twice this shift.", "since Monday.", "every morning.", "during the night shift.",
    "after lunch.", "while the die was changed.", "because the kanban card was lost.",
    "with no label.", "for twenty minutes.", "and nobody knew where to put them.", ".",
)  # fmt: skip
RARE = (
    "Hydraulic leak found under the bolster.",
    "The torque wrench was out of calibration.",
    "Safety guard left open on the lathe.",
)


def sentence(rng: random.Random) -> str:
    """One report as people write them: what, what happened, where, and sometimes more."""
    text = f"{rng.choice(WHAT)} {rng.choice(HAPPENED)} {rng.choice(WHERE)} {rng.choice(AFTER)}"
    text = text.replace(" .", ".")
    if rng.random() < 0.02:
        text += " " + rng.choice(RARE)
    return text[0].upper() + text[1:]


def prepare(url: str, rows: int, seed: int) -> float:
    """Empty the database, migrate it, write the observations; seconds the writing took."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "AUTO_MIGRATE": False})
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        team = Team(slug="search-bench", name="Search bench")
        team.areas = [Area(slug=f"search-cell-{n}", name=f"Cell {n}") for n in range(6)]
        db.session.add(team)
        create_user(db.session, "search-viewer", "search-viewer-password", role=Role.VIEWER)
        db.session.commit()
        areas = [area.id for area in team.areas]
        rng = random.Random(seed)
        now = utcnow()
        start = time.perf_counter()
        for first in range(0, rows, BATCH):
            batch = []
            for _ in range(min(BATCH, rows - first)):
                at = now - timedelta(days=rng.uniform(0, 365))
                batch.append(
                    {
                        "observed_at": at,
                        "created_at": at,
                        "area_id": rng.choice(areas),
                        "waste": rng.choice(list(Waste)),
                        "description": sentence(rng),
                    }
                )
            db.session.execute(insert(Observation), batch)
        db.session.commit()
        written = time.perf_counter() - start
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return written


def like_scan(words: list[str]) -> Callable[[Any], None]:
    """The list's search before the index: a LIKE per word, the count and the newest 50."""

    def run(session: Any) -> None:
        query = select(Observation.id)
        for word in words:
            query = query.where(func.lower(Observation.description).like(f"%{word}%"))
        session.scalar(select(func.count()).select_from(query.subquery()))
        session.scalars(
            query.order_by(Observation.observed_at.desc(), Observation.id.desc()).limit(50)
        ).all()

    return run


def timed(call: Callable[[], Any]) -> float:
    """One call's wall time in ms."""
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    """Write the observations, measure every search and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", help="database URL (emptied!); default a temp SQLite")
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--seed", type=int, default=16)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="kaizen-search-"))
    url = options.url or f"sqlite:///{folder / 'search.db'}"
    written = prepare(url, options.rows, options.seed)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "AUTO_MIGRATE": False,
            "SECRET_KEY": "search-bench",
            "INSTANCE_PATH": str(folder),
            "WTF_CSRF_ENABLED": False,
        }
    )
    client = app.test_client()
    signed_in = client.post(
        "/login", data={"username": "search-viewer", "password": "search-viewer-password"}
    )
    if signed_in.status_code != 302:
        sys.exit(f"could not sign in ({signed_in.status_code})")
    times: dict[tuple[str, str], list[float]] = {}
    matches: dict[str, int] = {}
    with app.app_context():
        session = db.session
        for words in SEARCHES:
            matches[words] = list_observations(session, ObservationFilters(text=words)).total
            client.get("/observations", query_string={"q": words})  # warm up
        plain = ObservationFilters()
        for _ in range(options.rounds):
            times.setdefault(("list, no search", ""), []).append(
                timed(lambda: list_observations(session, plain))
            )
            times.setdefault(("page, no search", ""), []).append(
                timed(lambda: client.get("/observations"))
            )
            for words in SEARCHES:
                filters = ObservationFilters(text=words)
                times.setdefault(("search", words), []).append(
                    timed(lambda f=filters: list_observations(session, f))
                )
                scan = like_scan(words.split())
                times.setdefault(("LIKE scan", words), []).append(timed(lambda s=scan: s(session)))
                times.setdefault(("page", words), []).append(
                    timed(lambda w=words: client.get("/observations", query_string={"q": w}))
                )
        session.remove()
        db.engine.dispose()
    median = {key: statistics.median(values) for key, values in times.items()}
    listed, paged = median[("list, no search", "")], median[("page, no search", "")]
    engine = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(
        f"{engine}: {options.rows:,} observations written and indexed in {written:.1f} s; "
        f"medians of {options.rounds} rounds"
    )
    print()
    print(
        "| Search | Matches | Search (count + first 50, ranked; spread) | x LIKE scan | x list "
        "without search | Page `/observations?q=` | x page without search |"
    )
    print("|---|---|---|---|---|---|---|")
    for words in SEARCHES:
        found = median[("search", words)]
        spread = f"{min(times[('search', words)]):.0f}-{max(times[('search', words)]):.0f}"
        scan = median[("LIKE scan", words)]
        page = median[("page", words)]
        print(
            f"| `{words}` | {matches[words]:,} | {found:.1f} ms ({spread}) | {found / scan:.2f} "
            f"({scan:.1f} ms) | {found / listed:.2f} | {page:.1f} ms | {page / paged:.2f} |"
        )
    print(
        f"| (none) | {options.rows:,} | {listed:.1f} ms (the list) | - | 1.00 "
        f"| {paged:.1f} ms | 1.00 |"
    )


if __name__ == "__main__":
    main()
