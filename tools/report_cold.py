"""The monthly report's cold first view against served apps, as `kaizen bench` measures it but
for a few servers side by side (another checkout's code, another database) in one run.

Each round, for each server: the data version is bumped (as any change does), then the page
and its seven charts are asked for one after the other (the sum: the work of a first view);
bumped again, then the page, then the seven charts at once on seven connections, as a browser
asks once it has the page (the time until the last chart arrived). Medians of the rounds.

    kaizen bench-data --preset team500          # into the database DATABASE_URL names
    kaizen serve --port 8302 &                   # with that DATABASE_URL
    .venv/bin/python tools/report_cold.py 2026-11 8302=/path/to/team500.db 8304=pg:dbname

A server is `PORT=SQLITE_FILE` or `PORT=pg:DATABASE` (PostgreSQL on 127.0.0.1, user postgres).
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection

CHARTS = ("cycle-time", "throughput", "observations", "pareto", "flow", "aging", "before-after")
ROUNDS = 5


def get(port: int, path: str) -> float:
    """One request on a new connection, in ms."""
    conn = HTTPConnection("127.0.0.1", port, timeout=300)
    start = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"{path} answered {response.status}")
    return (time.perf_counter() - start) * 1000


def bump(database: str) -> None:
    """Change the data version, as any new card move or observation would."""
    if database.startswith("pg:"):
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={database[3:]}") as conn:
            conn.execute("UPDATE report_version SET value = value + 1")
        return
    conn = sqlite3.connect(database)
    conn.execute("UPDATE report_version SET value = value + 1")
    conn.commit()
    conn.close()


def main(month: str, servers: list[tuple[int, str]]) -> None:
    page = f"/reports/monthly/{month}"
    charts = [f"/reports/charts/{name}.svg?month={month}" for name in CHARTS]
    found: dict[int, dict[str, list[float]]] = {
        p: {"one after the other": [], "browser": []} for p, _ in servers
    }
    for _round in range(ROUNDS):
        for port, database in servers:
            bump(database)
            found[port]["one after the other"].append(
                get(port, page) + sum(get(port, c) for c in charts)
            )
            bump(database)
            start = time.perf_counter()
            get(port, page)
            with ThreadPoolExecutor(len(charts)) as pool:
                list(pool.map(get, [port] * len(charts), charts))
            found[port]["browser"].append((time.perf_counter() - start) * 1000)
    for port, _database in servers:
        print(
            port,
            {
                k: f"{statistics.median(v):.0f} ms ({min(v):.0f}-{max(v):.0f})"
                for k, v in found[port].items()
            },
        )


if __name__ == "__main__":
    main(sys.argv[1], [(int(p), db) for p, db in (arg.split("=", 1) for arg in sys.argv[2:])])
