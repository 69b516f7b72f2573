"""`kaizen bench`: serve the app and a bare hello world with the same gunicorn settings, load
both, interleaved over several rounds, and report each figure as a ratio to hello world.

Absolute times on a shared machine are noise; the ratio to a hello world measured in the
same round is what can be compared between runs and machines. Load comes from `wrk` when it
is installed, else from a bounded loader of a few threads here (which flatters hello world
less, so its ratios are closer to 1).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from kaizen.bench import report
from kaizen.bench.people import (
    CSRF_FIELD,
    HTMX,
    TOKEN,
    call,
    chromium_usable_ms,
    polls_after_moves,
    sign_in,
    wrk_submits,
)
from kaizen.models import Observation

WORKERS, THREADS = 2, 4
CONNECTIONS = 8
CARD = re.compile(r'<li class="card[ "]')


@dataclass(frozen=True)
class Settings:
    """How long and how often to measure."""

    presets: tuple[str, str, str]  # team board, its 10x history, plant board
    rounds: int
    seconds: float  # per throughput run
    samples: int  # sequential requests per latency run


FULL = Settings(("team500", "history10x", "plant"), rounds=5, seconds=4, samples=15)
QUICK = Settings(("tiny", "tiny", "tiny"), rounds=2, seconds=0.5, samples=3)
# The same boards as a member sees them (move buttons, drag handles), by step.
MEMBER_BOARDS = {
    0: "Team board as a member (p50)",
    2: "Plant board as a member (p50)",
}


@dataclass
class Figure:
    """One measured figure per round, and hello world's in the same rounds."""

    name: str
    unit: str  # "ms" (lower is better) or "/s" (higher is better)
    values: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)
    note: str = ""

    def row(self) -> str:
        """A Markdown table row: median value, median ratio and its spread over rounds."""
        if not self.values:
            return f"| {self.name} | - | - | {self.note} |"
        value = statistics.median(self.values)
        if not self.ratios:
            return f"| {self.name} | {value:,.1f} {self.unit} | - | {self.note} |"
        ratio = statistics.median(self.ratios)
        spread = f"{min(self.ratios):.2f}-{max(self.ratios):.2f}"
        return f"| {self.name} | {value:,.1f} {self.unit} | {ratio:.2f}x ({spread}) | {self.note} |"


# -- serving ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A gunicorn master serving one app on 127.0.0.1."""

    port: int
    process: subprocess.Popen[bytes]

    def worker_peak_rss_mb(self) -> float:
        """The largest peak resident size (VmHWM) among the workers, in MB."""
        peaks = []
        for child in _children(self.process.pid):
            try:
                status = Path(f"/proc/{child}/status").read_text()
            except OSError:
                continue
            match = re.search(r"VmHWM:\s+(\d+) kB", status)
            if match:
                peaks.append(int(match.group(1)) / 1024)
        return max(peaks, default=0.0)


def _children(pid: int) -> list[int]:
    """Process ids whose parent is pid (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@contextmanager
def serve(app: str, env: dict[str, str], ready_path: str) -> Iterator[Server]:
    """Run gunicorn with `kaizen serve`'s settings (gthread, 2 workers x 4 threads)."""
    port = _free_port()
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--threads", str(THREADS),
        "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}", "--timeout", "120",
        "--log-level", "warning", app,
    ]  # fmt: skip
    process = subprocess.Popen(command, env={**os.environ, **env})
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if call(port, ready_path)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"{app} did not start")
            time.sleep(0.2)
        yield Server(port, process)
    finally:
        process.terminate()
        process.wait(timeout=30)


# -- load ------------------------------------------------------------------------------------


def p50_ms(port: int, path: str, samples: int, headers: dict[str, str] | None = None) -> float:
    """Median time of sequential requests on one kept-alive connection (one warm-up first)."""
    conn = HTTPConnection("127.0.0.1", port, timeout=120)
    call(port, path, headers, connection=conn)
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        call(port, path, headers, connection=conn)
        times.append((time.perf_counter() - start) * 1000)
    conn.close()
    return statistics.median(times)


def throughput(
    port: int, path: str, seconds: float, headers: dict[str, str] | None = None
) -> float:
    """Requests per second at CONNECTIONS concurrent connections (wrk when installed)."""
    wrk = shutil.which("wrk")
    if wrk:
        args = [wrk, "-t2", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--timeout", "30s"]
        for name, value in (headers or {}).items():
            args += ["-H", f"{name}: {value}"]
        out = subprocess.run(
            [*args, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True
        ).stdout
        match = re.search(r"Requests/sec:\s+([\d.]+)", out)
        return float(match.group(1)) if match else 0.0

    def work(conn: HTTPConnection, _n: int) -> bool:
        return call(port, path, headers, connection=conn)[0] < 400

    return _load(port, seconds, work)[0]


def _load(
    port: int, seconds: float, work: Callable[[HTTPConnection, int], bool]
) -> tuple[float, int]:
    """The built-in loader: CONNECTIONS threads for `seconds`; (rate of successes, successes)."""
    done = [0] * CONNECTIONS
    deadline = time.monotonic() + seconds

    def loop(slot: int) -> None:
        conn = HTTPConnection("127.0.0.1", port, timeout=60)
        n = 0
        while time.monotonic() < deadline:
            if work(conn, n):
                done[slot] += 1
            n += 1
        conn.close()

    start = time.monotonic()
    threads = [threading.Thread(target=loop, args=(i,)) for i in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.monotonic() - start), sum(done)


def submit_throughput(port: int, area: str, seconds: float) -> tuple[float, int]:
    """Observation form posts (with CSRF) per second; (rate, acknowledged submits)."""
    status, page, headers = call(port, f"/observe?area={area}")
    cookie = headers.get("Set-Cookie", "").split(";", 1)[0]
    token = CSRF_FIELD.search(page.decode())
    if status != 200 or not token:
        raise RuntimeError("the entry form did not load")
    form_headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}

    def work(conn: HTTPConnection, n: int) -> bool:
        body = urlencode(
            {
                "csrf_token": token.group(1),
                "waste": "waiting",
                "area": area,
                "description": f"Bench report {n}: parts waited for the forklift.",
                "form_key": secrets.token_hex(6),
            }
        ).encode()
        return call(port, f"/observe?area={area}", form_headers, body, conn)[0] == 303

    return _load(port, seconds, work)


# -- the run ---------------------------------------------------------------------------------


def _prepare(url: str, preset: str, seed: int) -> list[str]:
    """Empty the database, apply the migrations and write the preset; return its team slugs."""
    from flask_migrate import upgrade

    from kaizen import create_app
    from kaizen.bench.data import write_bench_data
    from kaizen.extensions import db
    from kaizen.models import utcnow

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "AUTO_MIGRATE": False})
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        summary = write_bench_data(db.session, preset, utcnow(), seed)
        db.session.remove()
        db.engine.dispose()
    return summary.team_slugs


def run_bench(url: str | None, quick: bool, seed: int, echo: Callable[[str], None]) -> list[Figure]:
    """Measure every figure of issue 11 and return them (echoing progress)."""
    settings = QUICK if quick else FULL
    scratch = Path(tempfile.mkdtemp(prefix="kaizen-bench-"))
    base_url = url or f"sqlite:///{scratch / 'bench.db'}"
    env = {
        "DATABASE_URL": base_url,
        "KAIZEN_AUTO_MIGRATE": "0",
        "KAIZEN_INSTANCE_PATH": str(scratch),
        "SECRET_KEY": secrets.token_hex(16),
    }
    figures = {
        name: Figure(name, unit)
        for name, unit in (
            ("Hello world", "ms"),
            ("Team board, 500 open cards (p50)", "ms"),
            ("Same board, 10x history (p50)", "ms"),
            ("Plant board, 20 x 250 open cards (p50)", "ms"),
            (MEMBER_BOARDS[0], "ms"),
            (MEMBER_BOARDS[2], "ms"),
            ("Poll after one card moved (p50)", "ms"),
            ("Plant board in Chromium, usable", "ms"),
            ("Hello world throughput", "/s"),
            ("Unchanged board poll", "/s"),
            ("Observation submits", "/s"),
            ("Worker peak RSS", "MB"),
        )
    }
    figures.update(report.figures(settings.presets))
    try:
        with serve("kaizen.bench.hello:app", env, "/") as hello:
            for step, preset in enumerate(settings.presets):
                echo(f"Writing preset {preset} …")
                slugs = _prepare(base_url, preset, seed)
                with serve("kaizen:create_app()", env, "/healthz") as app:
                    _measure(step, slugs, hello, app, settings, figures, base_url, echo)
                    if step < 2:
                        report.measure(step, hello, app, settings, figures, base_url, echo)
                    rss = figures["Worker peak RSS"]
                    rss.values.append(max(app.worker_peak_rss_mb(), *rss.values, 0.0))
        rss = figures["Worker peak RSS"]
        rss.values = [max(rss.values)]
        rss.note = "largest VmHWM of any worker, over all presets"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return list(figures.values())


def _measure(
    step: int,
    slugs: list[str],
    hello: Server,
    app: Server,
    settings: Settings,
    figures: dict[str, Figure],
    url: str,
    echo: Callable[[str], None],
) -> None:
    """The rounds for one preset: step 0 team board, 1 the same with history, 2 the plant."""
    path = "/board" if step == 2 else f"/board/{slugs[0]}"
    name = [
        "Team board, 500 open cards (p50)",
        "Same board, 10x history (p50)",
        "Plant board, 20 x 250 open cards (p50)",
    ][step]
    samples = max(3, settings.samples // 3) if step == 2 else settings.samples
    page = call(app.port, path)[1].decode()
    figures[name].note = _size_note(page)
    member = sign_in(app.port) if step in MEMBER_BOARDS else None
    if member is not None:
        figures[MEMBER_BOARDS[step]].note = _size_note(call(app.port, path, member)[1].decode())
    for round_ in range(1, settings.rounds + 1):
        echo(f"  {name}: round {round_} of {settings.rounds}")
        hello_ms = p50_ms(hello.port, "/", settings.samples)
        board_ms = p50_ms(app.port, path, samples)
        figures["Hello world"].values.append(hello_ms)
        figures[name].values.append(board_ms)
        figures[name].ratios.append(board_ms / hello_ms)
        if member is not None:
            member_ms = p50_ms(app.port, path, samples, member)
            figures[MEMBER_BOARDS[step]].values.append(member_ms)
            figures[MEMBER_BOARDS[step]].ratios.append(member_ms / hello_ms)
        if step == 0:
            _team_board_round(
                slugs, path, hello, app, settings, figures, url, member or {}, hello_ms
            )
    if step == 2 and member is not None:
        echo("  Plant board in Chromium")
        seen = chromium_usable_ms(app.port, path, member, runs=settings.rounds)
        if seen is not None:
            first_byte, usable = seen
            figures["Plant board in Chromium, usable"].values.append(usable)
            figures[
                "Plant board in Chromium, usable"
            ].note = (
                f"every card drawn and every column ready to drag; first byte {first_byte:,.0f} ms"
            )


def _size_note(page: str) -> str:
    """The size of a board page, in all and per card."""
    size, cards = len(page.encode()), len(CARD.findall(page))
    return f"{size / 1024:,.0f} KB of HTML, {size / max(cards, 1):,.0f} B a card"


def _team_board_round(
    slugs: list[str],
    path: str,
    hello: Server,
    app: Server,
    settings: Settings,
    figures: dict[str, Figure],
    url: str,
    member: dict[str, str],
    hello_ms: float,
) -> None:
    """The team board's throughput figures for one round: polls, moves seen, submits."""
    hello_rate = throughput(hello.port, "/", settings.seconds)
    figures["Hello world throughput"].values.append(hello_rate)
    token = TOKEN.search(call(app.port, path)[1].decode())
    poll = f"{path}?since={token.group(1) if token else ''}"
    poll_rate = throughput(app.port, poll, settings.seconds, HTMX)
    figures["Unchanged board poll"].values.append(poll_rate)
    figures["Unchanged board poll"].ratios.append(poll_rate / hello_rate)
    if member:
        moved_ms, size = polls_after_moves(app.port, path, slugs[0], member, settings.samples)
        figures["Poll after one card moved (p50)"].values.append(moved_ms)
        figures["Poll after one card moved (p50)"].ratios.append(moved_ms / hello_ms)
        figures[
            "Poll after one card moved (p50)"
        ].note = f"{size:,} B answer: the moved card, column orders and headers"
    before = _observation_count(url)
    area = f"{slugs[0]}-cell-0"
    measured = wrk_submits(app.port, area, settings.seconds, CONNECTIONS)
    rate, acknowledged = measured or submit_throughput(app.port, area, settings.seconds)
    stored = _observation_count(url) - before
    submits = figures["Observation submits"]
    submits.values.append(rate)
    submits.ratios.append(rate / hello_rate)
    lost = max(acknowledged - stored, 0) + (int(submits.note.split()[0]) if submits.note else 0)
    submits.note = f"{lost} lost (stored rows = acknowledged submits)"


def _observation_count(url: str) -> int:
    """How many observations the database holds (read apart from the served app)."""
    engine = create_engine(make_url(url))
    with engine.connect() as connection:
        count = connection.scalar(select(func.count(Observation.id))) or 0
    engine.dispose()
    return count


def table(figures: list[Figure]) -> str:
    """The results as one Markdown table."""
    lines = [
        "| What | Median | Ratio to hello world (spread over rounds) | Notes |",
        "|---|---|---|---|",
        *(figure.row() for figure in figures),
    ]
    return "\n".join(lines)
