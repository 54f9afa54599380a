"""Run the whole bad-input corpus (heavy cases included) and print the table.

    python benchmarks/corpus_bench.py [--light] [--jobs N] [--only SUBSTRING] [--keep DIR]

Each case goes through ``python -m gridtool`` import → validate → partition → export in a
subprocess with a timeout (see ``tests/corpus/runner.py``); the table gives, per case, the stage
where it ended, the exit code, the seconds and the outcome, then the counts per family:
clear / handled / internal / hang / silent / unclear. The test suite runs the light cases
(``tests/test_corpus.py``); this script adds the heavy ones (a 1 GiB zip bomb, a million-row
roster, 100,000 villages).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.corpus.cases import cases
from tests.corpus.runner import run_cases, table


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--light", action="store_true", help="only the cases CI runs")
    ap.add_argument("--jobs", type=int, default=None, help="cases at a time (default: CPUs, at most 4)")
    ap.add_argument("--only", action="append", default=[], help="cases whose family/name contains this")
    ap.add_argument("--keep", metavar="DIR", help="build and keep the cases in DIR")
    args = ap.parse_args()
    todo = [c for c in cases(heavy=not args.light)
            if not args.only or any(o in f"{c.family}/{c.name}" for o in args.only)]
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="gridtool-corpus-"))
    root.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()

    def show(run) -> None:
        print(f"  {run.outcome:<8} {run.case.family}/{run.case.name}  {run.detail[:100]}", file=sys.stderr, flush=True)

    runs = run_cases(todo, root, jobs=args.jobs, progress=show)
    print(table(runs))
    print(f"\n{len(runs)} cases in {time.perf_counter() - t0:.0f} s; files in {root}")
    bad = [r for r in runs if r.outcome not in ("clear", "handled")]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
