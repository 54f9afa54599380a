"""The bad-input corpus (issue 16): ≥ 80 hostile files, each run as a user would through
``python -m gridtool`` import → validate → partition → export, with a timeout per stage.

Every case must end *clear* (exit 2, or validation's exit 1 then a refusal, with a Chinese and
English message naming the file and a fix) or *handled* (every stage done and the case's own
check of "right" met); zero internal errors, hangs, silent wrong results or unclear messages.
The table is printed. The heaviest cases (a 1 GiB zip bomb, a million-row roster, 100,000
villages) run with ``GRIDTOOL_CORPUS_HEAVY=1`` or in ``benchmarks/corpus_bench.py``.
"""

from __future__ import annotations

import os
from collections import Counter

from .corpus.cases import cases
from .corpus.runner import OUTCOMES, run_cases, table


def test_bad_input_corpus(tmp_path_factory, capsys):
    todo = cases(heavy=os.environ.get("GRIDTOOL_CORPUS_HEAVY") == "1")
    assert len(todo) >= 80
    families = Counter(c.family for c in todo)
    assert len(families) >= 10 and min(families.values()) >= 4
    runs = run_cases(todo, tmp_path_factory.mktemp("corpus"))
    text = table(runs)
    with capsys.disabled():
        print("\n" + text)
    counts = Counter(r.outcome for r in runs)
    assert set(counts) <= set(OUTCOMES)
    bad = [f"{r.case.family}/{r.case.name}: {r.outcome}: {r.detail}" for r in runs
           if r.outcome not in ("clear", "handled")]
    assert not bad, "\n".join(bad)
