"""The desktop app under a random user, for as long as you like: ``--actions N --seed S``.

    pip install -e ".[gui,test]"
    QT_QPA_PLATFORM=offscreen python benchmarks/monkey_bench.py --actions 5000 --seed 7
    python benchmarks/monkey_bench.py --seeds 1-20 --actions 1000       # many seeds, one after another

Drives the main window with :class:`monkey.Monkey` (see ``benchmarks/monkey.py`` for the actions and
the invariants checked after each) on a bundled sample (``--sample``; Nanjing Xuanwu by default), raw
and partitioned. Prints, per
seed, the actions run, actions per second, jobs done / failed / cancelled, windows opened and
recoveries; exits 1 at the first failure, printing the seed and the action number to replay it
(``--verbose`` prints every action). The CI test ``tests/test_ui_monkey.py`` runs a short version.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))  # this checkout's gridtool, not another install


def _seeds(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b) + 1)) if b else [int(a)]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--actions", type=int, default=1000, help="random actions per seed (default 1000)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the action sequence (default 0)")
    ap.add_argument("--seeds", help="several seeds, e.g. 1-10 or 3,5,8 (overrides --seed)")
    ap.add_argument("--lenient-redraw-locks", action="store_true",
                    help="list redraws that change a locked grid instead of failing")
    ap.add_argument("--sample", default="nanjing-xuanwu", choices=("nanjing-xuanwu", "liechtenstein"),
                    help="bundled sample to work on (default nanjing-xuanwu; liechtenstein: 11,776 buildings)")
    ap.add_argument("--verbose", action="store_true", help="print every action")
    ap.add_argument("--keep", metavar="DIR", help="work in DIR (saves, exports, recovery copies) and keep it")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="gridtool-monkey-") as tmp:
        root = Path(args.keep or tmp)
        os.environ["GRIDTOOL_DATA_DIR"] = str(root / "data")  # settings, log and recovery: not the user's
        from PyQt6.QtCore import QSettings
        for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
            QSettings.setPath(fmt, QSettings.Scope.UserScope, str(root / "data" / "settings"))
        from gridtool.ui.app import make_app
        app = make_app(offscreen=True)
        from monkey import Monkey, MonkeyFailure, make_sample_projects
        projects = make_sample_projects(root / "sample", args.sample)
        total = 0
        for seed in _seeds(args.seeds) if args.seeds else [args.seed]:
            m = Monkey(projects, root / f"seed-{seed}", seed=seed, verbose=args.verbose,
                       strict_redraw_locks=not args.lenient_redraw_locks)
            try:
                res = m.run(args.actions)
            except MonkeyFailure as exc:
                print(f"FAILED: {exc}", flush=True)
                return 1
            finally:
                m.close()
            total += res.actions
            print(res.summary(), flush=True)
            for msg in res.redraw_lock_changes[:5]:
                print(f"  {msg}")
        app.processEvents()
        print(f"all seeds passed: {total} actions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
