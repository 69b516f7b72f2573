"""The fault test: reports and card moves come through database restarts and killed workers
exactly once.

    .venv/bin/python tests/faults/run.py            # about a minute and a half; run as root

It creates a private PostgreSQL cluster on a spare port (`pg_createcluster`, trust auth; the
shared cluster on 5432 is never touched), migrates it, seeds a team with cards and members,
and starts two app servers (`kaizen serve`, two workers each) against it, as two hosts
behind a load balancer. Tablets stream reports (half as plain forms, half with htmx) and
members move cards (one plain, one htmx); each write carries its own key, and whatever gets
no acknowledgement (an error page, a dropped connection) is sent again with the same key,
to the other server, as a load balancer would. Meanwhile the cluster is restarted twice
(`-m fast`, then `-m immediate`) and a worker of each server is killed with SIGKILL.

Then it checks, against the database: every acknowledged report and move is stored, none
twice; every card's move log is consistent (each move leaves the column the last one
reached; the card's column, version and the columns' positions agree with it); no answer
was a bare server error page; and every write was acknowledged once the database was back.
The cluster is dropped at the end, whatever happened. Exit status 0 when all holds.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

VENV_BIN = Path(sys.executable).parent
PG_VERSION = sorted(os.listdir("/etc/postgresql"))[-1] if os.path.isdir("/etc/postgresql") else ""
CLUSTER = f"kaizen_faults_{os.getpid()}"
SECRET = "fault-test-secret-" + uuid.uuid4().hex
PASSWORD = "correct horse"
TEAM = "fault-team"
AREA = "fault-line"
COLUMNS = ["ideas", "plan", "do", "check"]
THANKS = "Thank you — every report helps us improve."
# The calm error page, or the entry form drawn again with what was typed during an outage.
FRIENDLY = ('id="error-message"', 'id="outage-message"')


def say(message: str) -> None:
    """Progress on standard output, with the time."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(*command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command, its output captured."""
    return subprocess.run(command, check=check, capture_output=True, text=True)


# -- the private cluster ----------------------------------------------------------------------


@contextmanager
def private_cluster() -> Iterator[int]:
    """A PostgreSQL cluster of our own on a spare port, dropped afterwards; yields the port."""
    port = free_port()
    run(
        "pg_createcluster", PG_VERSION, CLUSTER, "-p", str(port), "--start-conf=manual",
        # A crashed server recovers from its WAL; fsync only guards against the machine
        # losing power, which this test does not do, and costs the shared disk much.
        "-o", "fsync=off", "-o", "max_connections=60",
        "--", "--auth-local=trust", "--auth-host=trust",
    )  # fmt: skip
    try:
        pg_ctl("start")
        run("psql", "-q", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-c",
            "CREATE DATABASE kaizen")  # fmt: skip
        yield port
    finally:
        run("pg_dropcluster", "--stop", PG_VERSION, CLUSTER, check=False)
        say(f"Cluster {CLUSTER} dropped")


def pg_ctl(action: str, *options: str) -> None:
    """Start, stop or restart the private cluster."""
    run("pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, CLUSTER, action, *options)


# -- the app servers --------------------------------------------------------------------------


def seed(database_url: str, folder: Path, movers: int, cards_each: int) -> dict[str, list[int]]:
    """Migrate, then add a team, an area, the members and their cards; the card ids per member."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAIZEN_AUTO_MIGRATE": "0",
        "KAIZEN_INSTANCE_PATH": str(folder),
        "SECRET_KEY": SECRET,
    }
    subprocess.run([str(VENV_BIN / "kaizen"), "db", "upgrade"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    from kaizen import create_app
    from kaizen.extensions import db
    from tests.factories import make_area, make_improvement, make_team, make_user

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "AUTO_MIGRATE": False,
            "SECRET_KEY": SECRET,
            "INSTANCE_PATH": str(folder),
        }
    )
    cards: dict[str, list[int]] = {}
    with app.app_context():
        team = make_team(db.session, slug=TEAM, name="Fault team")
        make_area(db.session, slug=AREA, name="Fault line", team=team)
        for n in range(movers):
            user = make_user(db.session, username=f"mover{n}", display_name=f"Mover {n}")
            user.team = team
            cards[user.username] = [
                make_improvement(db.session, team=team, title=f"Card {n}-{c}").id
                for c in range(cards_each)
            ]
        db.session.commit()
        db.engine.dispose()
    return cards


@dataclass
class Server:
    """One `kaizen serve` (a gunicorn master and its workers)."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def workers(self) -> list[int]:
        """The worker processes' ids (children of the master)."""
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    found.append(int(entry))
        return sorted(found)


def start_server(database_url: str, folder: Path, workers: int) -> Server:
    """Start `kaizen serve` on a spare port and wait until it answers."""
    port = free_port()
    instance = folder / f"host-{port}"
    instance.mkdir()
    log = folder / f"host-{port}.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "KAIZEN_INSTANCE_PATH": str(instance),
        "KAIZEN_AUTO_MIGRATE": "0",
    }
    command = [str(VENV_BIN / "kaizen"), "serve", "--port", str(port), "--workers", str(workers)]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(port, process, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if request(port, "GET", "/healthz").status == 200 and len(server.workers()) == workers:
            return server
        time.sleep(0.2)
    raise RuntimeError(f"kaizen serve on {port} did not start:\n{log.read_text()[-3000:]}")


# -- a small HTTP client ----------------------------------------------------------------------


@dataclass
class Answer:
    """One HTTP answer; status 0 when none came (refused, reset, timed out)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    cookies: dict[str, str] = field(default_factory=dict)


def request(
    port: int,
    method: str,
    path: str,
    fields: dict[str, object] | None = None,
    headers: dict[str, str] | None = None,
    cookies: dict[str, str] | None = None,
) -> Answer:
    """Send one request on a fresh connection (so each may reach any worker)."""
    sent = dict(headers or {})
    if cookies:
        sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = None
    if fields is not None:
        body = urlencode(fields)
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        return Answer(0)
    finally:
        connection.close()
    set_cookies = {}
    for name, value in response.getheaders():
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            set_cookies[key] = rest.split(";", 1)[0]
    return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, text,
                  set_cookies)  # fmt: skip


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


# -- the clients --------------------------------------------------------------------------------


@dataclass
class Tally:
    """What all clients saw, shared between their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    acknowledged_reports: list[str] = field(default_factory=list)
    unacknowledged_reports: list[str] = field(default_factory=list)
    acknowledged_moves: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    unacknowledged_moves: dict[int, tuple[str, str]] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    retries: int = 0
    bare_errors: list[str] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)

    def saw(self, answer: Answer, what: str) -> None:
        """Count an answer; note a server error that is not the friendly page."""
        with self.lock:
            self.statuses[answer.status] += 1
            if answer.status >= 500 and not any(mark in answer.body for mark in FRIENDLY):
                self.bare_errors.append(f"{what}: {answer.status} {answer.body[:200]!r}")


class Client(threading.Thread):
    """A tablet or a member at the board, talking to both servers in turn."""

    def __init__(self, name: str, ports: list[int], tally: Tally, until: float, drain: float):
        super().__init__(name=name, daemon=True)
        self.ports = ports
        self.tally = tally
        self.until = until  # no new writes after this
        self.drain = drain  # give up retrying after this
        self.cookies: dict[str, str] = {}
        self.turn = 0

    def send(
        self, method: str, path: str, fields: dict[str, object] | None = None, htmx: bool = False
    ) -> Answer:
        """One request to the next server in turn, keeping cookies."""
        self.turn += 1
        port = self.ports[self.turn % len(self.ports)]
        headers = {"HX-Request": "true"} if htmx else {}
        answer = request(port, method, path, fields, headers, self.cookies)
        self.cookies.update(answer.cookies)
        self.tally.saw(answer, f"{self.name} {method} {path}")
        return answer

    def until_acknowledged(self, attempt: Callable[[], bool | None]) -> bool:
        """Send again (same key) until acknowledged; False if refused or out of time."""
        first = True
        while time.monotonic() < self.drain:
            if not first:
                with self.tally.lock:
                    self.tally.retries += 1
                time.sleep(0.2)
            first = False
            outcome = attempt()
            if outcome is not None:
                return outcome
        return False

    def csrf_token(self, path: str) -> str:
        """A form token from a page (fetched again until the page answers)."""
        while time.monotonic() < self.drain:
            answer = self.send("GET", path)
            found = CSRF.search(answer.body) if answer.status == 200 else None
            if found:
                return found.group(1) or found.group(2)
            time.sleep(0.2)
        raise RuntimeError(f"{self.name}: no form token from {path}")


class Reporter(Client):
    """A tablet at the line: one report after another, each with its own key."""

    def __init__(self, number: int, htmx: bool, *args: object) -> None:
        super().__init__(f"tablet-{number}", *args)  # type: ignore[arg-type]
        self.number = number
        self.htmx = htmx

    def run(self) -> None:
        """Report until the stream ends."""
        token = self.csrf_token(f"/observe?area={AREA}")
        count = 0
        while time.monotonic() < self.until:
            count += 1
            text = f"fault report {self.number}-{count}: parts waited for the forklift"
            fields: dict[str, object] = {
                "csrf_token": token,
                "waste": "waiting",
                "area": AREA,
                "description": text,
                "form_key": uuid.uuid4().hex,
            }

            done = self.until_acknowledged(partial(self.report_once, fields, text))
            with self.tally.lock:
                if done:
                    self.tally.acknowledged_reports.append(text)
                else:
                    self.tally.unacknowledged_reports.append(text)

    def report_once(self, fields: dict[str, object], text: str) -> bool | None:
        """Send the report: True when thanked, False when refused, None to send again."""
        answer = self.send("POST", f"/observe?area={AREA}", fields, htmx=self.htmx)
        if answer.status == 303 or (answer.status == 200 and THANKS in answer.body):
            return True
        if answer.status in (400, 422):
            self.tally.anomalies.append(f"{self.name}: {answer.status} on {text!r}")
            return False
        if answer.status == 503 and not self.htmx and text not in answer.body:
            self.tally.anomalies.append(f"{self.name}: 503 without the text typed, {text!r}")
        return None


class Mover(Client):
    """A member moving their own cards round the board, each move with its own key."""

    def __init__(self, username: str, cards: list[int], htmx: bool, *args: object) -> None:
        super().__init__(username, *args)  # type: ignore[arg-type]
        self.cards = cards
        self.htmx = htmx
        self.where = dict.fromkeys(cards, "ideas")
        self.version = dict.fromkeys(cards, 1)

    def sign_in(self) -> None:
        """Sign in through the form (again while the database is away)."""
        while time.monotonic() < self.drain:
            token = self.csrf_token("/login")
            fields = {"csrf_token": token, "username": self.name, "password": PASSWORD}
            if self.send("POST", "/login", fields).status == 302:
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} could not sign in")

    def run(self) -> None:
        """Move cards until the stream ends."""
        self.sign_in()
        token = self.csrf_token(f"/board/{TEAM}")
        count = 0
        while time.monotonic() < self.until:
            card = self.cards[count % len(self.cards)]
            count += 1
            here = self.where[card]
            there = COLUMNS[(COLUMNS.index(here) + 1) % len(COLUMNS)]
            fields: dict[str, object] = {
                "csrf_token": token,
                "to_column": there,
                "version": self.version[card],
                "board": TEAM,
                "key": uuid.uuid4().hex,
            }

            done = self.until_acknowledged(partial(self.move_once, fields, card, here, there))
            with self.tally.lock:
                if done:
                    self.tally.acknowledged_moves.setdefault(card, []).append((here, there))
                else:
                    self.tally.unacknowledged_moves[card] = (here, there)
            if not done:
                return  # the card's state is unknown now: stop moving it
            self.where[card] = there
            self.version[card] += 1

    def move_once(self, fields: dict[str, object], card: int, here: str, there: str) -> bool | None:
        """Send the move: True when moved, False when refused, None to send again."""
        answer = self.send("POST", f"/board/cards/{card}/move", fields, htmx=self.htmx)
        moved = "card-moved" in answer.headers.get("hx-trigger", "")
        if answer.status == 302 or (answer.status == 200 and moved):
            return True
        if answer.status in (200, 400, 409, 422):
            self.tally.anomalies.append(f"{self.name}: {answer.status} moving {card} to {there}")
            return False
        return None


class HealthWatch(threading.Thread):
    """Polls /healthz of one server every 0.1 s and keeps what it answered."""

    def __init__(self, port: int, stop: threading.Event) -> None:
        super().__init__(name="health", daemon=True)
        self.port = port
        self.stop = stop
        self.seen: list[tuple[float, int]] = []

    def run(self) -> None:
        """Poll until stopped."""
        while not self.stop.is_set():
            self.seen.append((time.monotonic(), request(self.port, "GET", "/healthz").status))
            time.sleep(0.1)

    def after(self, moment: float) -> str:
        """What /healthz answered from `moment` on: while it was not 200, and for how long."""
        after = [(t, s) for t, s in self.seen if t >= moment]
        down = next((t for t, s in after if s != 200), None)
        if down is None:
            return "always 200"
        up = next((t for t, s in after if t > down and s == 200), None)
        while_down = Counter(s for t, s in after if t >= down and (up is None or t < up))
        shown = ", ".join(f"{n} x {s or 'no answer'}" for s, n in sorted(while_down.items()))
        if up is None:
            return f"{shown}, never 200 again"
        return f"{shown}, then 200 again {up - moment:.1f} s after the restart began"


# -- the checks ---------------------------------------------------------------------------------


def check(database_url: str, tally: Tally, cards: dict[str, list[int]]) -> list[str]:
    """Compare what the clients were told with what the database holds; the failures."""
    from sqlalchemy import create_engine, text

    failures: list[str] = []
    engine = create_engine(database_url)
    with engine.connect() as connection:
        stored = Counter(
            connection.scalars(
                text("SELECT description FROM observation WHERE description LIKE 'fault report %'")
            )
        )
        keys = connection.scalar(text("SELECT count(*) FROM idempotency_key")) or 0
        log_rows = connection.execute(
            text("SELECT improvement_id, from_column, to_column FROM card_move ORDER BY id")
        ).all()
        card_rows = connection.execute(
            text("SELECT id, board_column, version, position FROM improvement")
        ).all()
    engine.dispose()

    twice = {d: n for d, n in stored.items() if n > 1}
    lost = [d for d in tally.acknowledged_reports if d not in stored]
    if twice:
        failures.append(f"{len(twice)} reports stored more than once: {list(twice)[:3]}")
    if lost:
        failures.append(f"{len(lost)} acknowledged reports not stored: {lost[:3]}")

    logs: dict[int, list[tuple[str | None, str]]] = {}
    for card_id, from_column, to_column in log_rows:
        logs.setdefault(card_id, []).append((from_column, to_column))
    moves_stored = 0
    for card_id, column, version, _position in card_rows:
        log = logs.get(card_id, [])
        moves = log[1:]  # the first entry is the card's creation
        moves_stored += len(moves)
        told = tally.acknowledged_moves.get(card_id, [])
        pending = tally.unacknowledged_moves.get(card_id)
        if moves != told and not (pending and moves == [*told, pending]):
            failures.append(f"card {card_id}: log {moves} but acknowledged {told}")
        for (_, reached), (left, _) in itertools.pairwise(log):
            if left != reached:
                failures.append(f"card {card_id}: a move left {left} though it was in {reached}")
        if log and column != log[-1][1]:
            failures.append(f"card {card_id}: in {column}, but its log ends in {log[-1][1]}")
        if version != 1 + len(moves):
            failures.append(f"card {card_id}: version {version} after {len(moves)} moves")
    by_column: dict[str, list[int]] = {}
    for _card_id, column, _version, position in card_rows:
        by_column.setdefault(column, []).append(position)
    for column, positions in by_column.items():
        if sorted(positions) != list(range(len(positions))):
            failures.append(f"positions in {column} are {sorted(positions)}")

    if keys != sum(stored.values()) + moves_stored:
        failures.append(f"{keys} keys for {sum(stored.values())} reports and {moves_stored} moves")
    if tally.bare_errors:
        failures.append(f"{len(tally.bare_errors)} bare error pages: {tally.bare_errors[:3]}")
    if tally.anomalies:
        failures.append(f"{len(tally.anomalies)} refusals: {tally.anomalies[:5]}")
    if tally.unacknowledged_reports or tally.unacknowledged_moves:
        failures.append(
            f"{len(tally.unacknowledged_reports)} reports and {len(tally.unacknowledged_moves)}"
            " moves were never acknowledged after the database came back"
        )
    if not tally.acknowledged_reports or not tally.acknowledged_moves:
        failures.append("the clients stored nothing: the test tested nothing")
    say(
        f"Stored {sum(stored.values())} reports ({len(tally.acknowledged_reports)} acknowledged)"
        f" and {moves_stored} moves ({sum(map(len, tally.acknowledged_moves.values()))}"
        f" acknowledged) on {len(card_rows)} cards; {keys} idempotency keys"
    )
    return failures


# -- the run ------------------------------------------------------------------------------------


def main() -> int:
    """Run the fault test; 0 when every check holds."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=40, help="how long writes stream")
    parser.add_argument("--tablets", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2, help="workers per server")
    args = parser.parse_args()
    if not PG_VERSION or shutil.which("pg_createcluster") is None:
        print("PostgreSQL's cluster tools (pg_createcluster) are needed.", file=sys.stderr)
        return 2
    # `timeout` sends SIGTERM: leave through the finally blocks, so the cluster is dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(124))

    folder = Path(tempfile.mkdtemp(prefix="kaizen-faults-"))
    servers: list[Server] = []
    started = time.monotonic()
    try:
        with private_cluster() as pg_port:
            url = f"postgresql+psycopg://postgres@127.0.0.1:{pg_port}/kaizen"
            say(f"Private cluster {PG_VERSION}/{CLUSTER} on port {pg_port}")
            cards = seed(url, folder, movers=2, cards_each=4)
            servers = [start_server(url, folder, args.workers) for _ in range(2)]
            ports = [s.port for s in servers]
            say(f"Two app servers on ports {ports}, {args.workers} workers each")

            tally = Tally()
            stop_watch = threading.Event()
            watch = HealthWatch(ports[0], stop_watch)
            watch.start()
            begin = time.monotonic()
            until, drain = begin + args.seconds, begin + args.seconds + 30
            clients: list[Client] = [
                Reporter(n, n % 2 == 1, ports, tally, until, drain) for n in range(args.tablets)
            ]
            clients += [
                Mover(name, ids, n % 2 == 1, ports, tally, until, drain)
                for n, (name, ids) in enumerate(cards.items())
            ]
            for client in clients:
                client.start()

            def at(fraction: float) -> None:
                time.sleep(max(0.0, begin + args.seconds * fraction - time.monotonic()))

            faults: list[tuple[str, float]] = []
            at(0.2)
            faults.append(("restart -m fast", time.monotonic()))
            pg_ctl("restart", "-m", "fast")
            say(f"Cluster restarted (-m fast) in {time.monotonic() - faults[-1][1]:.1f} s")
            at(0.45)
            victim = servers[0].workers()[0]
            os.kill(victim, signal.SIGKILL)
            say(f"Worker {victim} of the server on {ports[0]} killed")
            at(0.7)
            faults.append(("restart -m immediate", time.monotonic()))
            pg_ctl("restart", "-m", "immediate")
            say(f"Cluster restarted (-m immediate) in {time.monotonic() - faults[-1][1]:.1f} s")
            at(0.85)
            victim = servers[1].workers()[-1]
            os.kill(victim, signal.SIGKILL)
            say(f"Worker {victim} of the server on {ports[1]} killed")

            for client in clients:
                client.join(timeout=max(0.0, drain + 20 - time.monotonic()))
            stop_watch.set()
            watch.join()
            say(f"Writes stopped; answers seen: {dict(sorted(tally.statuses.items()))},"
                f" {tally.retries} sent again")  # fmt: skip
            for name, moment in faults:
                say(f"/healthz after {name}: {watch.after(moment)}")
            failures = check(url, tally, cards)
            logs = "".join(server.log.read_text(errors="replace") for server in servers)
            say(
                f"The servers ran {logs.count('trying again')} requests again after a lost"
                f" connection, closed {logs.count('Could not close the database session')}"
                f" sessions on a dead connection quietly, and logged"
                f" {logs.count('Unhandled error on')} errors (answered with the calm page)"
            )
    finally:
        for server in servers:
            server.process.terminate()
        for server in servers:
            try:
                server.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.process.kill()
    say(f"Took {time.monotonic() - started:.0f} s")
    if failures:
        for failure in failures:
            say(f"FAILED: {failure}")
        for server in servers:
            say(f"Last lines of {server.log.name}:\n{server.log.read_text()[-2000:]}")
        return 1
    shutil.rmtree(folder, ignore_errors=True)
    say("Exactly once through faults: every check holds.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
