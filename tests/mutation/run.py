"""Mutation testing of Kaizen's rule modules: `make mutation` (full run) and the CI smoke run.

Each module listed in tests/mutation/modules.toml is mutated by mutmut in a work folder of
its own (.mutation/<module>/), against only the test files listed for it, so its mutants run
against its own fast tests. mutmut further runs each mutant against just the tests that call
the mutated function. Then this script:

- counts, per module, killed / (total - equivalent), where the equivalent mutants are the
  ones listed in modules.toml with a reason (matched by function, original and mutated line,
  so they survive renumbering);
- applies the hand-written mutants of modules.toml (constants, properties and decorated code
  that mutmut does not mutate) one at a time to a copy of the tree and runs the module's
  tests against each;
- prints the survivors with file:line and exits non-zero when a module is under the bar.

Usage:
    python tests/mutation/run.py                 # every module (make mutation)
    python tests/mutation/run.py --module moves  # one module (while writing tests)
    python tests/mutation/run.py --report-only   # the last run's figures again, run nothing
    python tests/mutation/run.py --smoke         # a handful of mutants, for CI
"""

from __future__ import annotations

import argparse
import ast
import difflib
import fnmatch
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("modules.toml")
WORK = ROOT / ".mutation"
# What a mutated copy of the project needs besides the package: the app reads its templates,
# static files and migrations from beside the package; the tests are copied by mutmut.
LINKED = ["kaizen", "tests", "templates", "static", "migrations"]

KILLED = {"killed", "timeout", "caught by type check", "segfault"}
STATUS_BY_EXIT_CODE = {
    1: "killed",
    3: "killed",
    0: "survived",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    36: "timeout",
    37: "caught by type check",
    -24: "timeout",
    24: "timeout",
    152: "timeout",
    255: "timeout",
    -11: "segfault",
    -9: "segfault",
}


@dataclass
class Mutant:
    """One mutant and what became of it."""

    name: str
    function: str
    line: int
    original: str
    mutated: str
    status: str
    equivalent_reason: str | None = None


@dataclass
class ModuleResult:
    """The figures of one module."""

    name: str
    file: str
    mutants: list[Mutant] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def counted(self) -> list[Mutant]:
        """Mutants that count: all but the skipped and the listed equivalents."""
        return [m for m in self.mutants if m.status != "skipped" and m.equivalent_reason is None]

    @property
    def killed(self) -> int:
        """How many counted mutants the tests killed."""
        return sum(1 for m in self.counted if m.status in KILLED)

    @property
    def percent(self) -> float:
        """Killed as a share of the counted mutants (100 when there are none)."""
        return 100.0 * self.killed / len(self.counted) if self.counted else 100.0

    @property
    def survivors(self) -> list[Mutant]:
        """Counted mutants that no test killed."""
        return [m for m in self.counted if m.status not in KILLED]


def load_config() -> dict:
    """modules.toml as a dict."""
    return tomllib.loads(CONFIG.read_text("utf-8"))


def function_of(mangled: str) -> str:
    """'x__move' -> '_move'; 'xǁMoveResultǁfinished' -> 'MoveResult.finished'."""
    if mangled.startswith("xǁ"):
        return ".".join(mangled[2:].split("ǁ"))
    return mangled[2:]


def def_lines(path: Path) -> dict[str, int]:
    """Line of each function's `def` in the original file, by (Class.)name."""
    tree = ast.parse(path.read_text("utf-8"))
    lines: dict[str, int] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines[node.name] = node.lineno
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    lines[f"{node.name}.{item.name}"] = item.lineno
    return lines


def _def_index(lines: list[str], name: str) -> int:
    """Index of the line that defines `name` (mutmut's copy of one function)."""
    return next(i for i, line in enumerate(lines) if line.lstrip().startswith(f"def {name}"))


def describe(mutated_file: Path, spans: dict[str, list[int]], name: str) -> tuple[int, str, str]:
    """(line offset in its function, original line, mutated line) of one mutmut mutant."""
    text = mutated_file.read_text("utf-8").splitlines()
    local = name.rsplit(".", 1)[-1]
    prefix = local.rsplit("__mutmut_", 1)[0]
    original = text[spans[f"{prefix}__mutmut_orig"][0] - 1 : spans[f"{prefix}__mutmut_orig"][1]]
    mutated = text[spans[local][0] - 1 : spans[local][1]]
    # Each copy starts with its leading comments; from its `def` line on, only the mutation
    # and the copy's name differ.
    original = original[_def_index(original, f"{prefix}__mutmut_orig(") :]
    mutated = mutated[_def_index(mutated, f"{local}(") :]
    original[0] = original[0].replace(f"{prefix}__mutmut_orig(", "(", 1)
    mutated[0] = mutated[0].replace(f"{local}(", "(", 1)
    matcher = difflib.SequenceMatcher(a=original, b=mutated, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag != "equal":
            before = " ".join(line.strip() for line in original[a1:a2]) or "(nothing)"
            after = " ".join(line.strip() for line in mutated[b1:b2]) or "(line removed)"
            return a1, before, after
    return 0, "", ""


def equivalent_reason(config: dict, module: str, mutant: Mutant) -> str | None:
    """The reason a listed equivalent mutant is equivalent, or None when it is not listed."""
    for entry in config.get("equivalent", []):
        if (
            entry["module"] == module
            and entry["function"] == mutant.function
            and entry["original"].strip() == mutant.original
            and entry["mutated"].strip() == mutant.mutated
        ):
            return entry["reason"]
    return None


def prepare_work_dir(name: str, file: str, tests: list[str], deselect: list[str]) -> Path:
    """A fresh work folder for one module: links to the project and mutmut's settings."""
    work = WORK / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for entry in LINKED:
        (work / entry).symlink_to(ROOT / entry)
    # The project's own pytest settings, with mutmut's for this module appended.
    settings = (ROOT / "pyproject.toml").read_text("utf-8")
    settings += "\n[tool.mutmut]\n" + "\n".join(
        [
            'source_paths = ["kaizen"]',
            'also_copy = ["templates", "static", "migrations"]',
            f"only_mutate = {json.dumps([file])}",
            f"pytest_add_cli_args_test_selection = {json.dumps(tests)}",
            # Reproducible: property tests run their fixed examples, nothing kept between runs.
            "pytest_add_cli_args = "
            + json.dumps(["-p", "no:cacheprovider", *[f"--deselect={test}" for test in deselect]]),
        ]
    )
    (work / "pyproject.toml").write_text(settings + "\n", "utf-8")
    return work


def mutmut_env() -> dict[str, str]:
    """The environment mutmut and its tests run in: SQLite, the fast hypothesis profile."""
    env = {k: v for k, v in os.environ.items() if k != "KAIZEN_TEST_POSTGRES_URL"}
    env["KAIZEN_HYPOTHESIS_PROFILE"] = "mutation"
    return env


def run_mutmut(work: Path, name: str, module: dict, patterns: list[str]) -> None:
    """mutmut over one module's functions, in a fresh work folder."""
    prepare_work_dir(name, module["file"], module["tests"], module.get("deselect", []))
    command = [str(Path(sys.executable).with_name("mutmut")), "run", *patterns]
    log = work / "mutmut.log"
    with log.open("w") as out:
        # A session of its own, so that an interrupted run takes mutmut's workers with it.
        process = subprocess.Popen(
            command, cwd=work, env=mutmut_env(), stdout=out, stderr=out, start_new_session=True
        )
        try:
            process.wait()
        except BaseException:
            os.killpg(process.pid, signal.SIGTERM)
            raise
    if process.returncode != 0:
        tail = log.read_text("utf-8", errors="replace")[-3000:]
        raise SystemExit(f"mutmut failed for {name} (exit {process.returncode}):\n{tail}")


def patterns_of(module: dict) -> list[str]:
    """mutmut's name patterns for the functions of a module that count."""
    dotted = module["file"].removesuffix(".py").replace("/", ".")
    return [
        f"{dotted}.x{sep}{glob.replace('.', 'ǁ')}__mutmut_*"
        for glob in module.get("functions", ["*"])
        for sep in (("ǁ",) if "." in glob else ("_", "ǁ"))
    ]


def run_module(config: dict, name: str, quiet: bool, report_only: bool = False) -> ModuleResult:
    """Run mutmut over one module (unless report_only) and collect what became of each mutant."""
    module = config["modules"][name]
    file, tests = module["file"], module["tests"]
    started = time.monotonic()
    work = WORK / name
    patterns = patterns_of(module)
    if not report_only:
        run_mutmut(work, name, module, patterns)
    result = ModuleResult(name=name, file=file)
    mutated_file = work / "mutants" / file
    meta = json.loads(Path(f"{mutated_file}.meta").read_text("utf-8"))
    spans = json.loads(Path(f"{mutated_file}.spans").read_text("utf-8"))["spans"]
    lines = def_lines(ROOT / file)
    dotted = file.removesuffix(".py").replace("/", ".")
    wanted = [p.replace(f"{dotted}.", "", 1) for p in patterns]
    for mutant_name, exit_code in sorted(meta["exit_code_by_key"].items()):
        local = mutant_name.rsplit(".", 1)[-1]
        if not any(fnmatch.fnmatchcase(local, p) for p in wanted):
            continue
        function = function_of(local.rsplit("__mutmut_", 1)[0])
        offset, original, mutated = describe(mutated_file, spans, mutant_name)
        mutant = Mutant(
            name=mutant_name,
            function=function,
            line=lines.get(function, 0) + offset,
            original=original,
            mutated=mutated,
            status=STATUS_BY_EXIT_CODE.get(
                exit_code, "not checked" if exit_code is None else "suspicious"
            ),
        )
        mutant.equivalent_reason = equivalent_reason(config, name, mutant)
        result.mutants.append(mutant)
    if not report_only:
        result.mutants.extend(run_hand_mutants(config, name, tests, quiet))
    result.seconds = time.monotonic() - started
    return result


def run_hand_mutants(config: dict, name: str, tests: list[str], quiet: bool) -> list[Mutant]:
    """Apply each hand-written mutant of the module to a copy of the tree and run its tests."""
    mutants: list[Mutant] = []
    entries = [e for e in config.get("hand_mutant", []) if e["module"] == name]
    if not entries:
        return mutants
    with tempfile.TemporaryDirectory(prefix="kaizen-hand-mutant-") as scratch:
        copy = Path(scratch)
        for entry in LINKED:
            shutil.copytree(
                ROOT / entry,
                copy / entry,
                ignore=shutil.ignore_patterns("__pycache__", "screenshots"),
            )
        shutil.copy2(ROOT / "pyproject.toml", copy / "pyproject.toml")
        for index, entry in enumerate(entries, start=1):
            target = copy / entry["file"]
            source = target.read_text("utf-8")
            if source.count(entry["original"]) != 1:
                raise SystemExit(
                    f"hand mutant {name}#{index}: {entry['original']!r} must occur exactly once "
                    f"in {entry['file']}; update tests/mutation/modules.toml"
                )
            line = source[: source.index(entry["original"])].count("\n") + 1
            target.write_text(source.replace(entry["original"], entry["mutated"]), "utf-8")
            try:
                env = mutmut_env()
                env["PYTHONPATH"] = str(copy)
                completed = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "pytest",
                        "-x",
                        "-q",
                        "-p",
                        "no:cacheprovider",
                        *entry.get("tests", tests),
                    ],
                    cwd=copy,
                    env=env,
                    capture_output=True,
                    text=True,
                )
            finally:
                target.write_text(source, "utf-8")
            status = {0: "survived", 1: "killed"}.get(completed.returncode, "suspicious")
            if status == "suspicious" and not quiet:
                print(completed.stdout[-2000:], completed.stderr[-2000:])
            mutants.append(
                Mutant(
                    name=f"hand mutant {name}#{index}",
                    function=entry.get("function", "(module)"),
                    line=line,
                    original=entry["original"].strip(),
                    mutated=entry["mutated"].strip(),
                    status=status,
                )
            )
    return mutants


def report(results: list[ModuleResult], threshold: float) -> bool:
    """Print the per-module figures and the survivors; True when every module passes."""
    print()
    print(f"{'module':<14}{'file':<36}{'killed/total':>14}{'%':>8}{'equivalent':>12}{'time':>8}")
    passed = True
    for r in results:
        equivalent = sum(1 for m in r.mutants if m.equivalent_reason is not None)
        ok = r.percent >= threshold
        passed &= ok
        print(
            f"{r.name:<14}{r.file:<36}{f'{r.killed}/{len(r.counted)}':>14}"
            f"{r.percent:>7.1f}%{equivalent:>12}{r.seconds:>7.0f}s"
            + ("" if ok else f"   below {threshold:.0f} %")
        )
    print()
    for r in results:
        if r.survivors:
            print(f"Survivors in {r.file}:")
            for m in sorted(r.survivors, key=lambda m: m.line):
                print(
                    f"  {r.file}:{m.line} [{m.function}] {m.status}: "
                    f"`{m.original}` -> `{m.mutated}`  ({m.name})"
                )
    return passed


def main() -> int:
    """Parse the command line, run the modules, report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", action="append", help="only this module (repeatable)")
    parser.add_argument("--smoke", action="store_true", help="the bounded CI smoke run")
    parser.add_argument(
        "--report-only", action="store_true", help="report the last run's results, run nothing"
    )
    args = parser.parse_args()
    config = load_config()
    started = time.monotonic()
    if args.smoke:
        smoke = config["smoke"]
        config["modules"] = {"smoke": {**config["modules"][smoke["module"]], **smoke}}
        result = run_module(config, "smoke", quiet=False)
        report([result], threshold=0)
        print(
            f"\nSmoke run: {len(result.mutants)} mutants, {result.killed} killed, "
            f"{time.monotonic() - started:.0f}s"
        )
        if len(result.mutants) < smoke["min_mutants"] or result.killed < smoke["min_killed"]:
            print("The mutation set-up is broken: too few mutants generated or killed.")
            return 1
        return 0
    names = args.module or list(config["modules"])
    results = [run_module(config, name, False, args.report_only) for name in names]
    passed = report(results, config["threshold"])
    print(f"\nmake mutation: {time.monotonic() - started:.0f}s on {os.cpu_count()} cores")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
