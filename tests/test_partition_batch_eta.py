"""The time left that a city's batch run shows, after ``--resume``: computed on the chunks this run
actually computes, never on those it skips (a fake clock: no timed assertions)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from test_partition_batch import _city  # noqa: E402

from gridtool.partition import batch  # noqa: E402
from gridtool.partition import parts as partfiles  # noqa: E402
from gridtool.partition.batch import BatchPartitioner, time_left  # noqa: E402


def test_time_left_counts_only_the_villages_still_to_compute():
    # 22 chunks of one village; --resume skipped 9, this run computed 3 in 30 s: 10 left, 100 s.
    stats = {"t_compute": 100.0, "villages_computed": 3, "villages_done": 12, "villages_to_skip": 0}
    assert time_left(stats, 22, now=130.0) == 100.0
    # The same, with 4 of the skipped chunks not reached yet (several workers take them in any order).
    stats = {"t_compute": 100.0, "villages_computed": 3, "villages_done": 8, "villages_to_skip": 4}
    assert time_left(stats, 22, now=130.0) == 100.0
    # Nothing computed yet (only skipped chunks so far): no estimate rather than a wrong one.
    assert time_left({"t_compute": None, "villages_computed": 0, "villages_done": 9}, 22, now=5.0) is None


def test_a_resumed_run_estimates_on_the_chunks_it_computes(tmp_path, monkeypatch):
    """Three townships of two villages; the first and the last are computed again, the middle one is
    skipped. When the first is done, two villages are left to compute (not four): at 10 s for the
    first two, 10 s left."""
    city = _city()
    work = tmp_path / "parts"
    bp = BatchPartitioner(workers=1)
    bp.fit(city, work_dir=work)
    keys = [c.key for c in bp.chunks_]
    for key in (keys[0], keys[2]):
        for p in partfiles.paths(work, key):
            p.unlink(missing_ok=True)
    seen = []
    real = batch.time_left

    def spy(stats, n_villages, now):
        seen.append((dict(stats), n_villages))
        return real(stats, n_villages, now)

    monkeypatch.setattr(batch, "time_left", spy)
    again = BatchPartitioner(workers=1).fit(city, work_dir=work, resume=True)
    assert again.report_["timings"]["resumed_chunks"] == 1
    first, n = seen[0]  # after the first township: 2 villages computed
    assert (first["villages_done"], first["villages_computed"], n) == (2, 2, 6)
    assert real(first, n, now=first["t_compute"] + 10.0) == 10.0
    # Every chunk reached: nothing is expected to be skipped any more, and nothing is left.
    last, _ = seen[-1]
    assert last["villages_to_skip"] == 0 and real(last, n, now=last["t_compute"] + 10.0) == 0.0


def test_a_failed_chunk_is_said_in_both_languages_of_the_progress_line():
    """The progress line is ``中文 / English`` and the console and the app show one side: the
    failed count was appended after the English side, so the Chinese line never said it."""
    from gridtool.partition.batch import _progress_message
    from gridtool.partition.chunking import Chunk
    from gridtool.progress import one_side
    chunk = Chunk(key="500102003", rows=[0], names=["龙宝村"], codes=["500102003001"], district="500102")
    stats = {"villages_done": 3, "villages_computed": 3, "t_compute": None}
    msg = _progress_message(stats, 27, chunk, {"failures": [{}, {}]})
    assert "500102003 失败 2 处" in one_side(msg, "zh") and "failed" not in one_side(msg, "zh")
    assert "500102003: 2 failed" in one_side(msg, "en") and "失败" not in one_side(msg, "en")
