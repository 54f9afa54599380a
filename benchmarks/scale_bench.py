"""City-scale batch partition: wall time, peak memory and scaling with the number of workers.

    python benchmarks/scale_bench.py                       # 100k and 1M households, 1 and 2 workers
    python benchmarks/scale_bench.py --sizes 100000 --workers 1 2 4
    python benchmarks/scale_bench.py --with-10m            # adds 10M households (hours on 2 cores)

Each configuration runs in a fresh Python process (so that peak-memory figures are its own) on a
:class:`synthetic_city.SyntheticCity` (real OSM buildings, **synthetic households**, real Chongqing
names and codes) streamed township by township into
:class:`gridtool.partition.batch.BatchPartitioner` with ``keep=False``: chunk results go to a work
directory and are then assembled into one GeoPackage per district, as ``gridtool partition
--out-dir`` does. Workers: 1 is the in-process run, N > 1 a local Dask cluster of N processes with
one thread each; by default 1, 2 and the machine's core count when it has more.

Measured: wall time of the partition (cluster start included, planning the city not) and of the
district files; RSS of the client after planning (the four OSM samples loaded), its peak during the
partition and during the district files (one district assembled at a time), and of the Dask workers
(sampled every 0.2 s with psutil over the client's child processes, and ``resource.getrusage`` of
the children): the largest worker and all processes together. Printed: a table, the scaling curve (households per second against workers)
and the projected time for all of Chongqing (11,270 villages, about 10 million households, 1,031
townships): at the measured wall-clock rates, and from CPU time (``getrusage`` of the client and of
its reaped worker processes, which holds when other programs share the machine): households per
CPU second of the single-process run times the cores, capped by the client's CPU time per township
in the cluster runs (reading, cutting, hashing, scheduling; the workers write the chunk files): the
part that does not spread over workers.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHONGQING_VILLAGES = 11_270
CHONGQING_HOUSEHOLDS = 10_000_000
CHONGQING_TOWNSHIPS = 1_031


class _Sampler(threading.Thread):
    """Peak RSS of this process and of its children (Dask nannies and workers), every 0.2 s."""

    def __init__(self):
        super().__init__(daemon=True)
        import psutil
        self.proc = psutil.Process()
        self.stop = threading.Event()
        self.peak_total = 0
        self.peak_worker = 0
        self.peak_self = 0

    def run(self):
        import psutil
        while not self.stop.is_set():
            try:
                kids = self.proc.children(recursive=True)
                rss = []
                for k in kids:
                    try:
                        rss.append(k.memory_info().rss)
                    except psutil.Error:
                        pass
                own = self.proc.memory_info().rss
                self.peak_self = max(self.peak_self, own)
                self.peak_worker = max([self.peak_worker, *rss])
                self.peak_total = max(self.peak_total, own + sum(rss))
            except psutil.Error:
                pass
            self.stop.wait(0.2)


def _cpu() -> tuple[float, float]:
    """CPU seconds of this process and of its reaped children (Dask nannies and workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def run_one(households: int, workers: int, seed: int) -> dict:
    """One configuration, in this process: plan the city, partition it, write the districts."""
    sys.path.insert(0, str(HERE))
    from synthetic_city import SyntheticCity

    from gridtool.partition.batch import BatchPartitioner
    t0 = time.perf_counter()
    city = SyntheticCity(households, seed=seed)
    plan_s = time.perf_counter() - t0
    work = Path(tempfile.mkdtemp(prefix="gridtool-scale-"))
    planned_mb = _Sampler().proc.memory_info().rss / 2**20
    sampler, writer = _Sampler(), _Sampler()
    try:
        bp = BatchPartitioner(workers=workers)
        sampler.start()
        cpu0 = _cpu()
        t1 = time.perf_counter()
        bp.fit(city, work_dir=work / "parts", keep=False)
        fit_s = time.perf_counter() - t1
        cpu1 = _cpu()  # the local cluster is closed by now: its processes are reaped and counted
        sampler.stop.set()
        sampler.join()
        writer.start()
        t2 = time.perf_counter()
        files = bp.write_districts(work / "out")
        write_s = time.perf_counter() - t2
    finally:
        for s in (sampler, writer):
            s.stop.set()
            if s.is_alive():
                s.join()
        shutil.rmtree(work, ignore_errors=True)
    rep = bp.report_
    t = rep["timings"]
    return {"households_target": households, "households": rep["plan"]["households"],
            "villages": rep["batch"]["villages"], "townships": rep["batch"]["chunks"], "districts": len(files),
            "grids": rep["plan"]["grids"], "subgrids": rep["plan"].get("subgrids", 0),
            "failed": len(bp.failures_), "workers": workers, "plan_s": round(plan_s, 1),
            "fit_s": round(fit_s, 1), "write_s": round(write_s, 1), "cluster_start_s": t["cluster_start_s"],
            "client_s": t["client_s"], "client_cpu_s": round(cpu1[0] - cpu0[0], 1),
            "workers_cpu_s": round(cpu1[1] - cpu0[1], 1), "busy_s": round(sum(w["busy_s"] for w in t["per_worker"].values()), 1),
            "planned_mb": round(planned_mb), "fit_client_peak_mb": round(sampler.peak_self / 2**20),
            "worker_peak_mb": round(max(sampler.peak_worker,
                                        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024) / 2**20),
            "fit_total_peak_mb": round(sampler.peak_total / 2**20),
            "districts_peak_mb": round(writer.peak_self / 2**20),
            "client_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "slowest_chunk": (t["slowest_chunks"] or [{}])[0]}


def _fmt_h(s: float) -> str:
    return f"{s / 3600:.1f} h" if s >= 3600 else f"{s / 60:.1f} min"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--workers", type=int, nargs="+", default=None)
    ap.add_argument("--with-10m", action="store_true", help="also 10,000,000 households (hours on 2 cores)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="write the rows as JSON here")
    ap.add_argument("--_one", nargs=2, type=int, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a._one:
        print("RESULT " + json.dumps(run_one(a._one[0], a._one[1], a.seed)), flush=True)
        return 0
    cores = os.cpu_count() or 1
    workers = a.workers or sorted({1, 2, *([cores] if cores > 2 else [])})
    sizes = list(a.sizes) + ([10_000_000] if a.with_10m and 10_000_000 not in a.sizes else [])
    load = os.getloadavg()[0]
    print(f"machine: {cores} cores; load average {load:.2f}"
          + ("  (other processes are running: times will be slower than on an idle machine)" if load > 0.5 else ""))
    print(f"runs: sizes {sizes}, workers {workers}; each in a fresh process", flush=True)
    rows = []
    for n in sizes:
        for w in workers:
            t = time.perf_counter()
            p = subprocess.run([sys.executable, __file__, "--_one", str(n), str(w), "--seed", str(a.seed)],
                               capture_output=True, text=True)
            line = next((x for x in p.stdout.splitlines() if x.startswith("RESULT ")), None)
            if p.returncode or line is None:
                print(f"  {n:,} households, {w} workers: failed\n{p.stderr[-2000:]}")
                continue
            r = json.loads(line[7:])
            rows.append(r)
            print(f"  {r['households']:,} households ({r['villages']} villages, {r['townships']} townships), "
                  f"{w} worker(s): partition {r['fit_s']} s, districts {r['write_s']} s; client "
                  f"{r['planned_mb']} MB after planning, peak {r['fit_client_peak_mb']} MB in the partition, "
                  f"{r['districts_peak_mb']} MB writing districts; largest worker {r['worker_peak_mb']} MB; all "
                  f"processes {r['fit_total_peak_mb']} MB [{time.perf_counter() - t:.0f} s with planning]", flush=True)
    if not rows:
        return 1
    print("\n| households | villages | workers | partition s | households/s | speed-up | efficiency | CPU s "
          "client / workers | households per CPU s | client peak MB (partition / districts) | worker peak MB | "
          "all processes peak MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    base = {r["households_target"]: r["fit_s"] for r in rows if r["workers"] == 1}
    for r in rows:
        rate = r["households"] / r["fit_s"]
        b = base.get(r["households_target"])
        sp = f"{b / r['fit_s']:.2f}×" if b else ""
        eff = f"{100 * b / r['fit_s'] / r['workers']:.0f}%" if b else ""
        wpk = r["worker_peak_mb"] if r["workers"] > 1 else "—"
        cpu = r["client_cpu_s"] + r["workers_cpu_s"]
        print(f"| {r['households']:,} | {r['villages']:,} | {r['workers']} | {r['fit_s']} | {rate:,.0f} | {sp} | "
              f"{eff} | {r['client_cpu_s']} / {r['workers_cpu_s']} | {r['households'] / cpu:,.0f} | "
              f"{r['fit_client_peak_mb']} / {r['districts_peak_mb']} | {wpk} | {r['fit_total_peak_mb']} |")
    # Scaling curve and projection from the largest size measured.
    big = max(r["households_target"] for r in rows)
    at = sorted((r for r in rows if r["households_target"] == big), key=lambda r: r["workers"])
    print(f"\nscaling curve ({at[0]['households']:,} households): "
          + ", ".join(f"{r['workers']} → {r['households'] / r['fit_s']:,.0f} households/s" for r in at))
    # Worker CPU per household and client CPU per chunk hold on a busy machine; wall times do not.
    # The single-process run's CPU (engine and client work on one core) gives households per core;
    # the cluster runs give the client's CPU per township (scheduler included), which caps scaling.
    one = [r for r in at if r["workers"] == 1]
    multi = [r for r in at if r["workers"] > 1] or at
    per_cpu = (one[0]["households"] / max(one[0]["client_cpu_s"], 1e-9) if one else
               min(r["households"] / max(r["workers_cpu_s"], 1e-9) for r in at))
    client_chunk = min(r["client_cpu_s"] / max(r["townships"], 1) for r in multi)
    print(f"Chongqing ({CHONGQING_VILLAGES:,} villages, ~{CHONGQING_HOUSEHOLDS:,} households, "
          f"{CHONGQING_TOWNSHIPS:,} townships), projected:")
    for r in at:
        print(f"  at the measured wall-clock rate, {r['workers']} worker(s): "
              f"{_fmt_h(CHONGQING_HOUSEHOLDS / (r['households'] / r['fit_s']))}")
    floor = CHONGQING_TOWNSHIPS * client_chunk
    print(f"  from CPU time: {per_cpu:,.0f} households per CPU second, client {client_chunk:.2f} CPU s per "
          f"township (reading, cutting, hashing, scheduling; does not spread: floor {_fmt_h(floor)})")
    for w in (1, 2, 4, 8, 16, 32, 64):
        t = max(CHONGQING_HOUSEHOLDS / (w * per_cpu), floor)
        print(f"    {w:>2} dedicated cores for workers: {_fmt_h(t)}")
    if a.json:
        Path(a.json).write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
