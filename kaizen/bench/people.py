"""What `kaizen bench` does as people do: sign in, move cards while another screen polls,
open the plant board in Chromium, and report waste through the entry form under load.

Kept apart from the harness (kaizen/bench/run.py), which serves the apps and keeps the
figures; each function here takes a port on 127.0.0.1 and returns measurements.
"""

from __future__ import annotations

import re
import secrets
import shutil
import statistics
import subprocess
import tempfile
import time
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode

from kaizen.bench.data import BENCH_MEMBER

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')
TOKEN = re.compile(r'data-token="([0-9a-z.-]+)"')
# A card's "Move to" button: card id, the usual next column, version.
MOVE_BUTTON = re.compile(r'name="move" value="(\d+):([a-z_]+):(\d+)"')
HTMX = {"HX-Request": "true"}
FORM = "application/x-www-form-urlencoded"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def call(
    port: int,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    connection: HTTPConnection | None = None,
) -> tuple[int, bytes, dict[str, str]]:
    """One request; a POST when there is a body. Returns status, body and headers."""
    conn = connection or HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("POST" if body is not None else "GET", path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    if connection is None:
        conn.close()
    return response.status, data, dict(response.getheaders())


def _cookie(headers: dict[str, str]) -> str:
    return headers.get("Set-Cookie", "").split(";", 1)[0]


def sign_in(port: int) -> dict[str, str]:
    """Sign in as the bench member; the headers that carry the session."""
    status, page, headers = call(port, "/login")
    token = CSRF_FIELD.search(page.decode())
    if status != 200 or token is None:
        raise RuntimeError("the sign-in page did not load")
    username, password = BENCH_MEMBER
    body = urlencode({"csrf_token": token[1], "username": username, "password": password})
    status, _, answer = call(
        port, "/login", {"Content-Type": FORM, "Cookie": _cookie(headers)}, body.encode()
    )
    if status != 302 or not _cookie(answer):
        raise RuntimeError("the bench member could not sign in")
    return {"Cookie": _cookie(answer)}


def polls_after_moves(
    port: int, path: str, slug: str, member: dict[str, str], samples: int
) -> tuple[float, int]:
    """A member moves one card at a time; another screen's poll then fetches the change.

    Returns the median time of those polls (ms) and the median size of their answers. Each
    move sends an open card to the top of Ideas (no WIP limit there, nothing into Done).
    """
    page = call(port, path, member)[1].decode()
    csrf = CSRF_HEADER.search(page)
    token = TOKEN.search(page)
    if csrf is None or token is None:
        raise RuntimeError("the member's board did not load")
    cards = [m for m in MOVE_BUTTON.finditer(page) if m[2] in ("plan", "do", "check")]
    headers = {**member, **HTMX, "Content-Type": FORM, "X-CSRFToken": csrf[1]}
    seen, times, sizes = token[1], [], []
    conn = HTTPConnection("127.0.0.1", port, timeout=120)
    for card in cards[:samples]:
        body = urlencode({"to_column": "ideas", "position": 0, "version": card[3], "board": slug})
        status = call(port, f"/board/cards/{card[1]}/move", headers, body.encode())[0]
        if status != 200:
            raise RuntimeError(f"a bench move was refused ({status})")
        start = time.perf_counter()
        status, answer, _ = call(port, f"{path}?since={seen}", HTMX, connection=conn)
        times.append((time.perf_counter() - start) * 1000)
        sizes.append(len(answer))
        fresh = TOKEN.search(answer.decode())
        if status != 200 or fresh is None:
            raise RuntimeError(f"a poll after a move answered {status}")
        seen = fresh[1]
    conn.close()
    return statistics.median(times), int(statistics.median(sizes))


def chromium_usable_ms(
    port: int, path: str, member: dict[str, str], runs: int
) -> tuple[float, float] | None:
    """Open the board in Chromium as the member: median ms to first byte and to usable
    (every card drawn, every column ready to drag). None without Chromium or Playwright."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not CHROMIUM.exists():
        return None
    first_bytes, usable = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            for _ in range(runs):
                context = browser.new_context(
                    viewport={"width": 1920, "height": 1080}, extra_http_headers=member
                )
                page = context.new_page()
                page.goto(f"http://127.0.0.1:{port}{path}", wait_until="commit", timeout=120_000)
                page.wait_for_function(
                    "() => document.readyState === 'complete' && typeof Sortable !== 'undefined'"
                    " && [...document.querySelectorAll('ol.cards')].every(l => l.dataset.sortable)",
                    timeout=120_000,
                    polling=50,
                )
                usable.append(page.evaluate("performance.now()"))
                first_bytes.append(
                    page.evaluate("performance.getEntriesByType('navigation')[0].responseStart")
                )
                context.close()
        finally:
            browser.close()
    return statistics.median(first_bytes), statistics.median(usable)


# wrk sends the entry form with a fresh form key on every request: this run's own prefix,
# then the thread and a count (32 hex digits). A key sent again is a retry, answered with
# the first result and stored once, so no two requests of any run may share one.
_SUBMIT_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "{cookie}"
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
local sent = 0
function request()
  sent = sent + 1
  local key = "{prefix}" .. string.format("%02x%014x", id, sent)
  return wrk.format(nil, nil, nil, "{body}&form_key=" .. key)
end
"""


def wrk_submits(port: int, area: str, seconds: float, connections: int) -> tuple[float, int] | None:
    """Observation form posts per second through wrk, and the acknowledged (303) count.
    None when wrk is not installed."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    status, page, headers = call(port, f"/observe?area={area}")
    token = CSRF_FIELD.search(page.decode())
    if status != 200 or token is None:
        raise RuntimeError("the entry form did not load")
    body = urlencode(
        {
            "csrf_token": token[1],
            "waste": "waiting",
            "area": area,
            "description": "Bench report: parts waited for the forklift.",
        }
    )
    script = (
        _SUBMIT_SCRIPT.replace("{cookie}", _cookie(headers))
        .replace("{body}", body)
        .replace("{prefix}", secrets.token_hex(8))
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        out = subprocess.run(
            [
                wrk, "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s",
                "--timeout", "30s", "-s", handle.name, f"http://127.0.0.1:{port}/observe?area={area}",
            ],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    finally:
        Path(handle.name).unlink()
    total = re.search(r"(\d+) requests in", out)
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if total is None or rate is None:
        raise RuntimeError("wrk gave no figures")
    bad = int(failed[1]) if failed else 0
    acknowledged = int(total[1]) - bad
    return float(rate[1]) * acknowledged / max(int(total[1]), 1), acknowledged
