"""Running corpus cases as a user would: ``python -m gridtool`` import → validate → partition →
export in a subprocess, each stage with a timeout, and judging the outcome.

Outcomes (one per case):

``clear``     the run stopped with exit 2 (or validation's exit 1 and then a refusal) and a
              Chinese *and* English message that names the file (and what the case requires:
              a row, a layer, a feature) and a fix — no traceback, no raw SQL.
``handled``   every stage finished (exit 0, or 1 from validate) and the case's own idea of
              "right" holds: the households counted, the problems reported, the files readable.
``internal``  exit 3 (or any other code, or a traceback on the console): a bug.
``hang``      a stage ran past its timeout.
``silent``    a wrong result without a word: the case's check failed (e.g. a roster pasted three
              times counted three times, a refusal where the data were fine).
``unclear``   a refusal whose message lacks a language, the file's name or a fix.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[2]
OUTCOMES = ("clear", "handled", "internal", "hang", "silent", "unclear")
STAGES = ("import", "validate", "partition", "export")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_SQL = re.compile(r"\b(INSERT INTO|CREATE TABLE|SELECT .* FROM|sqlite3\.|OGR_|GDAL error)\b", re.IGNORECASE)


@dataclass
class Case:
    """One hostile input and what "right" means for it.

    ``make(folder)`` writes the files and returns the import options: ``{"households": path,
    "villages": path, "roads": …, "dem": …, "args": [...], "bad": the file the message must name}``.

    ``expect``:
      ``"refuse"``       exit 2 by ``stage`` at the latest, naming ``bad`` and each of ``mentions``;
      ``"flag"``         validation reports each of ``codes`` (naming ``mentions``), then partition
                         refuses (``then="refuse"``), completes (``"run"``) or either (``"either"``);
      ``"complete"``     every stage succeeds (``codes``, if any, reported as warnings or errors);
      ``"refuse_or_flag"`` / ``"refuse_or_complete"``: either of the two is right.
    A completed run must also give ``total`` households in the partition report (None: skip),
    write an export that opens, and pass ``check(run)`` (a message when wrong, else None).
    """

    family: str
    name: str
    make: Callable[[Path], dict]
    expect: str = "refuse"
    stage: str = "import"
    codes: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    then: str = "either"
    total: int | None = None
    check: Callable[["Run"], str | None] | None = None
    heavy: bool = False
    timeout: float = 120.0
    partition_args: tuple[str, ...] = ("--min", "100", "--max", "250", "--sub-min", "10", "--sub-max", "40")


@dataclass
class Stage:
    name: str
    code: int | None  # None: timed out
    out: str
    err: str
    seconds: float


@dataclass
class Run:
    case: Case
    folder: Path
    spec: dict = field(default_factory=dict)
    stages: list[Stage] = field(default_factory=list)
    outcome: str = ""
    detail: str = ""

    @property
    def last(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def stage(self, name: str) -> Stage | None:
        return next((s for s in self.stages if s.name == name), None)

    @property
    def project(self) -> Path:
        return self.folder / "out" / "project.gpkg"

    @property
    def plan(self) -> Path:
        return self.folder / "out" / "plan.gpkg"

    @property
    def report(self) -> dict | None:
        p = self.folder / "out" / "report.json"
        return json.loads(p.read_text(encoding="utf-8")) if p.exists() else None

    def problems(self) -> list[dict]:
        st = self.stage("validate")
        if st is None or st.code not in (0, 1):
            return []
        try:
            return json.loads(st.out)
        except ValueError:
            return []


def _gridtool(*args: str) -> list[str]:
    return [sys.executable, "-m", "gridtool", "--lang", "both", *args]


def commands(case: Case, spec: dict, folder: Path) -> list[tuple[str, list[str]]]:
    out = folder / "out"
    imp = ["import"]
    for role in ("households", "villages", "roads", "rivers", "places"):
        if spec.get(role):
            imp += [f"--{role}", str(spec[role])]
    if spec.get("dem"):
        imp += ["--dem", str(spec["dem"])]
    imp += list(spec.get("args", [])) + ["--out", str(out / "project.gpkg")]
    return [
        ("import", _gridtool(*imp)),
        ("validate", _gridtool("validate", str(out / "project.gpkg"), "--json")),
        ("partition", _gridtool("partition", str(out / "project.gpkg"), "--out", str(out / "plan.gpkg"),
                                "--report", str(out / "report.json"), "--quiet", *case.partition_args)),
        ("export", _gridtool("export", str(out / "plan.gpkg"), "--gpkg", str(out / "export.gpkg"),
                             "--kml", str(out / "export.kml"), "--quiet")),
    ]


def _env(folder: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["XDG_CACHE_HOME"] = str(folder / "cache")  # internal-error logs land here, per case
    env.pop("GRIDTOOL_LANG", None)
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def _run_stage(name: str, cmd: list[str], folder: Path, timeout: float) -> Stage:
    t0 = time.perf_counter()
    with subprocess.Popen(cmd, cwd=REPO, env=_env(folder), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          start_new_session=True) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
            code = proc.returncode
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            out, err = proc.communicate()
            code = None
    return Stage(name, code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
                 time.perf_counter() - t0)


def message_problems(text: str, names: list[str]) -> list[str]:
    """What a refusal's message lacks (empty when it is clear)."""
    lacks = []
    if not _CJK.search(text):
        lacks.append("no Chinese")
    if "Fix:" not in text or "解决办法" not in text:
        lacks.append("no fix in both languages")
    if "Traceback" in text:
        lacks.append("a traceback")
    if _SQL.search(text):
        lacks.append("raw SQL/GDAL text")
    if len(text) > 8000:
        lacks.append(f"{len(text)} characters")
    for n in names:
        if n and n not in text:
            lacks.append(f"does not name {n!r}")
    return lacks


def _completed_checks(run: Run) -> list[str]:
    """Checks for a run that went through all four stages."""
    case, wrong = run.case, []
    rep = run.report
    if rep is None:
        return ["partition wrote no report"]
    total = rep["plan"].get("households")
    if case.total is not None and total != case.total:
        wrong.append(f"partition counted {total} households, right is {case.total}")
    import pyogrio
    try:
        layers = [str(n) for n, _ in pyogrio.list_layers(run.folder / "out" / "export.gpkg")]
        if "grids" not in layers:
            wrong.append("export.gpkg has no grids layer")
    except Exception as exc:
        wrong.append(f"export.gpkg does not open: {exc}")
    try:
        import xml.etree.ElementTree as ET
        ET.parse(run.folder / "out" / "export.kml")
    except Exception as exc:
        wrong.append(f"export.kml does not parse: {exc}")
    return wrong


def judge(run: Run) -> tuple[str, str]:
    case = run.case
    last = run.last
    for st in run.stages:
        if st.code is None:
            return "hang", f"{st.name} ran past {case.timeout:.0f} s"
        if st.code not in (0, 1, 2) or "Traceback (most recent call last)" in st.err + st.out:
            first = next((ln for ln in st.err.splitlines() if ln.strip()), "")
            return "internal", f"{st.name} exit {st.code}: {first[:160]}"
    if run.spec.get("leak_marker"):
        marker = run.spec["leak_marker"]
        for st in run.stages:
            if marker in st.out + st.err:
                return "silent", f"{st.name} printed the secret file's content"
        for f in (run.folder / "out").glob("*"):
            if f.is_file() and marker.encode() in f.read_bytes():
                return "silent", f"{f.name} holds the secret file's content"
    if run.spec.get("outside"):
        stray = [p for p in run.spec["outside"] if Path(p).exists()]
        if stray:
            return "silent", f"wrote outside its folder: {stray[0]}"
    reported = {p["code"] for p in run.problems()}
    problems_text = json.dumps(run.problems(), ensure_ascii=False)
    refused = last is not None and last.code == 2
    stage_idx = STAGES.index(last.name) if last else 0
    expect = case.expect
    # "a|b": either code will do (e.g. a coordinate of inf is "bad" or "unprojectable").
    flagged_ok = (all(any(alt in reported for alt in c.split("|")) for c in case.codes)
                  and all(m in problems_text for m in case.mentions))

    def clear_refusal(names: list[str]) -> tuple[str, str]:
        lacks = message_problems(last.err + last.out, names)
        if lacks:
            return "unclear", f"{last.name} exit 2 but " + "; ".join(lacks)
        return "clear", f"{last.name}: " + next((ln for ln in last.err.splitlines()
                                                 if ln.strip() and not ln.startswith("[")), "")[:120]

    bad = run.spec.get("bad")
    bad_names = [Path(bad).name] if bad else []
    if refused:
        if expect in ("refuse", "refuse_or_flag", "refuse_or_complete") and stage_idx <= STAGES.index(case.stage):
            return clear_refusal(bad_names + list(case.mentions))
        if expect in ("flag", "refuse_or_flag") and last.name == "partition" and case.then in ("refuse", "either"):
            if not flagged_ok:
                return "silent", f"partition refused but validation did not report {case.codes} {case.mentions}"
            return clear_refusal(bad_names)
        return "silent", f"refused at {last.name} although the case expects {expect}: " + \
            next((ln for ln in last.err.splitlines() if ln.strip()), "")[:160]
    # Every stage ran to the end.
    if expect == "refuse":
        return "silent", "accepted without refusing"
    if expect in ("flag", "refuse_or_flag"):
        if not flagged_ok:
            return "silent", f"validation reported {sorted(reported)[:6]}, not {list(case.codes)} {list(case.mentions)}"
        if case.then == "refuse":
            return "silent", "partition ran although validation found errors that make the counts wrong"
    if expect == "complete" and case.codes and not flagged_ok:
        return "silent", f"validation reported {sorted(reported)[:6]}, not {list(case.codes)}"
    wrong = _completed_checks(run)
    if case.check:
        msg = case.check(run)
        if msg:
            wrong.append(msg)
    if wrong:
        return "silent", "; ".join(wrong)
    return "handled", ", ".join(sorted(reported)[:4]) or "no problems"


def run_case(case: Case, root: Path) -> Run:
    folder = root / f"{case.family.replace(':', '-')}--{case.name}"
    (folder / "out").mkdir(parents=True, exist_ok=True)
    run = Run(case, folder)
    try:
        run.spec = case.make(folder) or {}
    except Exception as exc:
        run.outcome, run.detail = "internal", f"case builder failed: {type(exc).__name__}: {exc}"
        return run
    for name, cmd in commands(case, run.spec, folder):
        st = _run_stage(name, cmd, folder, case.timeout)
        run.stages.append(st)
        (folder / "out" / f"{name}.log").write_text(
            f"$ {' '.join(cmd)}\nexit {st.code} in {st.seconds:.1f} s\n--- stdout\n{st.out}\n--- stderr\n{st.err}",
            encoding="utf-8")
        if st.code not in (0, 1):
            break
    run.outcome, run.detail = judge(run)
    return run


def run_cases(cases: list[Case], root: Path, *, jobs: int | None = None,
              progress: Callable[[Run], None] | None = None) -> list[Run]:
    """Run ``cases`` in parallel (``jobs`` at a time; default: the CPUs, at most 4)."""
    jobs = jobs or max(1, min(4, os.cpu_count() or 1))
    runs: list[Run] = []
    # Heavy cases first, so that they overlap with the many short ones.
    order = sorted(cases, key=lambda c: not c.heavy)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for run in pool.map(lambda c: run_case(c, root), order):
            runs.append(run)
            if progress:
                progress(run)
    key = {(c.family, c.name): i for i, c in enumerate(cases)}
    return sorted(runs, key=lambda r: key[(r.case.family, r.case.name)])


def table(runs: list[Run], *, details: bool = True) -> str:
    """The per-case table and the per-family summary, as text."""
    lines = []
    if details:
        lines.append(f"{'family':<18} {'case':<34} {'stage':<9} {'exit':>4} {'s':>5}  {'outcome':<8} detail")
        for r in runs:
            st = r.last
            code = "-" if st is None else ("T/O" if st.code is None else str(st.code))
            secs = sum(s.seconds for s in r.stages)
            lines.append(f"{r.case.family:<18} {r.case.name:<34} {st.name if st else '-':<9} {code:>4} "
                         f"{secs:5.1f}  {r.outcome:<8} {r.detail[:110]}")
        lines.append("")
    fams: dict[str, dict[str, int]] = {}
    for r in runs:
        fams.setdefault(r.case.family, dict.fromkeys(OUTCOMES, 0))[r.outcome] += 1
    lines.append(f"{'family':<18} {'cases':>5} " + " ".join(f"{o:>8}" for o in OUTCOMES))
    for fam, counts in fams.items():
        lines.append(f"{fam:<18} {sum(counts.values()):>5} " + " ".join(f"{counts[o]:>8}" for o in OUTCOMES))
    tot = {o: sum(c[o] for c in fams.values()) for o in OUTCOMES}
    lines.append(f"{'total':<18} {len(runs):>5} " + " ".join(f"{tot[o]:>8}" for o in OUTCOMES))
    return "\n".join(lines)
