"""City-scale batch partition: chunks of villages fitted one by one or on a Dask cluster::

    bp = BatchPartitioner(workers=2, by="township", min_hh=300, max_hh=500)
    bp.fit(project, work_dir="out.parts", resume=True, progress=show)
    bp.grids_, bp.households_, bp.report_, bp.failures_

The municipality is cut into chunks (:mod:`.chunking`: one township each, villages joined by a
merge kept together); every chunk is an ordinary :class:`~.engine.GridPartitioner` fit
(:func:`run_chunk`), run in this process (``workers=1``), on a local Dask cluster of worker
processes (``workers=N``) or on an existing cluster (``scheduler="tcp://host:8786"``), see
:mod:`.cluster`. Results are combined in chunk order, so the plan is the same whichever way it
ran: same grids, codes and report figures (timings aside).

- Streaming: chunk inputs are read or cut one at a time, at most ``2 × workers`` are in flight,
  and with ``keep=False`` results go only to the work directory (:mod:`.parts`); per-district
  GeoPackages are assembled from there (:meth:`BatchPartitioner.write_districts`).
- A chunk that fails is partitioned again village by village (villages merged together stay
  together), so one broken village is reported by name with its error and the rest complete.
- ``cancelled()`` (or Ctrl-C) stops the run: futures cancelled, the cluster closed, nothing but
  complete chunk files left behind.

Hand-written because the engine's unit of independence (the village, with the exceptions
:mod:`.chunking` lists) and its report are gridtool's; the distribution is Dask's.
"""

from __future__ import annotations

import os
import time
import traceback
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..column_content import county_prefix
from ..errors import CancelledError, GridtoolError, OptionError, check_at_least
from ..ownership import owner
from ..values import household_counts
from . import parts as partfiles
from . import unread_context
from .batch_ridges import RIDGES_INPUT, batch_dem, chunk_ridges
from .batch_members import add_to_plan, members_left
from .chunking import (BATCH_COLUMNS, BY_CHOICES, OWNED_ROLES, ROW, VILLAGE, Chunk, ChunkSource, GeoPackageSource,
                       LayersSource, _UnionFind, VROW, cut, district_files, margin_for)
from .output import OUTPUT_LAYERS as PLAN_LAYERS
from ..plurals import count_en

_DISTRICT_SOURCE = "gridtool partition --out-dir"

Progress = Callable[[float, str], None]

#: Household columns the engine (re)writes; new columns it adds are carried as well.
HOUSEHOLD_OUTPUTS = ("grid", "subgrid", "grid_parts", "subgrid_parts")
_DEFAULTS = {"grid_parts": "", "subgrid_parts": ""}


# ---------------------------------------------------------------------------------------------
# The worker side: one chunk.
def run_chunk(chunk: Chunk, layers: dict[str, gpd.GeoDataFrame], params: dict, *,
              progress: Progress | None = None, cancelled: Callable[[], bool] | None = None,
              cancel_event: str | None = None, isolate: bool = True, work_dir: str | None = None,
              digest: str | None = None, parts: dict[str, str] | None = None) -> dict:
    """Partition one chunk; never raises for a failing village (except on cancellation).

    Returns a *piece*: ``layers`` (grids, subgrids, special_grids, corridors, party_links,
    households, villages), ``report`` (the engine's, villages tagged with ``code`` and ``chunk``),
    ``village_times`` (seconds each village's base grids took), ``failures`` (villages that could not
    be partitioned, by name, with the error) and ``run`` (worker, process, seconds).
    ``cancel_event`` names a ``distributed.Event`` polled while a task runs on a cluster.
    With ``work_dir`` and ``digest`` the task writes its chunk file itself (:mod:`.parts`) and
    returns only the attribute tables (``written`` is then True): the client neither receives the
    geometries nor writes them, which would otherwise be the part of the run that does not spread.
    ``parts`` are the digest's parts (:func:`.parts.digests`) as the client computed them with the
    digest; without them the task hashes the inputs again.
    """
    t0 = time.perf_counter()
    stop = cancelled or _event_poller(cancel_event)
    failures: list[dict] = []
    try:
        pieces = [_fit(chunk, layers, params, chunk.merge, progress, stop)]
        refitted = None
    except CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001 - any village failure is reported, never fatal
        pieces = []
        groups = _merge_groups(chunk) if isolate and len(chunk.rows) > 1 else []
        refitted = _failure(chunk, chunk.rows, exc)["error"] if groups else None
        if not groups:
            failures.append(_failure(chunk, chunk.rows, exc, layers))
            pieces.append(_unfitted(layers, chunk.rows))
        for rows in groups:
            if stop():
                raise CancelledError()
            inside = {chunk.names[chunk.rows.index(r)] for r in rows}
            merge = tuple((g, h) for g, h in chunk.merge if g in inside)
            sub = cut(layers, rows, margin=margin_for(params))
            if RIDGES_INPUT in layers:  # the engine keeps the lines of these villages
                sub[RIDGES_INPUT] = layers[RIDGES_INPUT]
            try:
                pieces.append(_fit(chunk, sub, params, merge, None, stop))
            except CancelledError:
                raise
            except Exception as exc2:  # noqa: BLE001
                failures.append(_failure(chunk, rows, exc2, sub))
                pieces.append(_unfitted(sub, rows))
    out = combine(pieces, params, crs=layers["villages"].crs)
    out["failures"] = failures
    # The whole chunk failed and its villages were fitted one group at a time: said in the report,
    # because villages of the chunk then did not see each other (merges across groups).
    out["refitted"] = refitted
    out["run"] = {"chunk": chunk.key, "worker": _worker_name(), "pid": os.getpid(),
                  "seconds": round(time.perf_counter() - t0, 3), "villages": len(chunk.rows),
                  "households": int(out["report"]["plan"].get("households") or 0)}
    out["written"] = False
    if work_dir is not None and digest is not None:
        # The parts of the digest let a later --resume say what changed.
        if parts is None:
            parts = partfiles.digests(chunk, layers, params)[1]
        tw = time.perf_counter()
        partfiles.write(work_dir, chunk.key, digest, out, parts)
        # Seconds writing the chunk file, for the run's timings (not in the file: it is written).
        out = {**out, "layers": tables(out["layers"]), "written": True,
               "run": {**out["run"], "write_s": round(time.perf_counter() - tw, 3)}}
    return out


def _fit(chunk: Chunk, layers, params, merge, progress, stop) -> dict:
    """One engine fit on ``layers``; the piece it gives."""
    from .engine import GridPartitioner
    marks: list[tuple[float, float, str]] = []

    def say(f: float, m: str) -> None:
        marks.append((time.perf_counter(), f, m))
        if progress is not None:
            progress(f, m)

    hs = layers["households"]
    if not len(hs):
        # The engine needs a household to run; a village without any is still reported (as
        # "empty") with its corridors and special places, so a stand-in of 0 households is used.
        v0 = layers["villages"].geometry.iloc[0]
        hs = gpd.GeoDataFrame({"hh": [0], ROW: [-1], VILLAGE: [-1]},
                              geometry=[shapely.point_on_surface(v0)], crs=layers["villages"].crs)
        layers = {**layers, "households": hs}
    v = layers["villages"]
    code_of = dict(zip(v["name"].astype(str), v["code"].astype(str)))
    name_of = {c: n for n, c in code_of.items()}
    # merge and relax may name villages by 12-digit code; the engine knows names.
    relax = {name_of.get(k, k): b for k, b in (params.get("relax") or {}).items()}
    p = {**params, "merge": dict(merge), "relax": relax}
    gp = GridPartitioner(**p).fit(layers, progress=say, cancelled=stop)
    households = gp.households_
    if ROW in households:
        households = households[households[ROW].to_numpy() >= 0]
    rep = gp.report_
    for r in rep["villages"]:
        r["code"] = code_of.get(str(r["village"]))
        r["chunk"] = chunk.key
    # Seconds per village (base grids), from the engine's own progress messages.
    names = set(code_of)
    times = []
    for (t, f, m), nxt in zip(marks, marks[1:]):
        if m in names and 0.05 <= f < 0.82:
            times.append({"village": m, "code": code_of[m], "chunk": chunk.key, "seconds": round(nxt[0] - t, 3)})
    return {"layers": {"grids": gp.grids_, "subgrids": gp.subgrids_, "special_grids": gp.special_grids_,
                       "corridors": gp.corridors_, "party_links": gp.links_, "households": households,
                       "villages": v, "ridges": gp.ridges_},
            "report": rep, "village_times": times}


def warm_up() -> None:
    """One tiny fit, so that the first real village of a process does not carry the lazy imports
    and first-call costs of the engine's libraries in its timing."""
    from shapely.geometry import LineString, box

    from .engine import GridPartitioner
    rng = np.random.default_rng(0)
    xy = rng.random((40, 2)) * 900 + 50
    layers = {"villages": gpd.GeoDataFrame({"name": ["warm"], "code": ["0"]}, geometry=[box(0, 0, 1000, 1000)],
                                           crs="EPSG:3857"),
              "households": gpd.GeoDataFrame({"hh": np.full(40, 20)}, geometry=shapely.points(xy), crs="EPSG:3857"),
              "roads": gpd.GeoDataFrame({"class": ["residential"]}, geometry=[LineString([(0, 500), (1000, 500)])],
                                        crs="EPSG:3857")}
    GridPartitioner(min_hh=300, max_hh=500).fit(layers)


def _merge_groups(chunk: Chunk) -> list[list[int]]:
    """Village rows of the chunk in groups that must stay together (merge pairs), in order."""
    pos = {n: i for i, n in enumerate(chunk.names)}
    uf = _UnionFind(list(range(len(chunk.rows))))
    for g, h in chunk.merge:
        uf.union(pos[g], pos[h])
    groups: dict[int, list[int]] = {}
    for i, r in enumerate(chunk.rows):
        groups.setdefault(uf.find(i), []).append(r)
    return list(groups.values())


def _unfitted(layers: dict, rows) -> dict:
    """Villages ``rows`` that could not be partitioned, as a piece: their households with no grid
    and their boundaries. Every output then counts those households as unassigned (未划入网格), so
    the city's total is still the input's, and the district file shows where they are."""
    want = np.asarray(list(rows), dtype=np.int64)
    v = layers["villages"]
    v = v[np.isin(v[VROW].to_numpy(), want)] if VROW in v else v
    hs = layers.get("households")
    if hs is not None and len(hs) and VILLAGE in hs:
        hs = hs[np.isin(hs[VILLAGE].to_numpy(), want)].copy()
        # A count the engine refused (text, negative …) is 0 in every total: written as such.
        hs["hh"] = household_counts(hs["hh"])
        for col in ("grid", "subgrid"):
            hs[col] = None
        # A building split by an earlier plan names that plan's grids: in none now.
        for col in ("grid_parts", "subgrid_parts"):
            if col in hs:
                hs[col] = ""
    else:
        hs = None
    empty = {"plan": {}, "villages": [], "grids": [], "timings": {}}
    return {"layers": {"households": hs, "villages": v}, "report": empty, "village_times": []}


def _failure(chunk: Chunk, rows, exc: BaseException, layers: dict | None = None) -> dict:
    """What the report and the console say about villages ``rows`` that failed: where, why (in
    both languages) and what to do; the traceback only in the report."""
    idx = [chunk.rows.index(r) for r in rows]
    names = [chunk.names[i] for i in idx]
    codes = [chunk.codes[i] for i in idx]
    if not isinstance(exc, GridtoolError):
        exc = _explain(exc, layers, rows, names, codes)
    tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return {"chunk": chunk.key, "villages": names, "codes": codes, "error": exc.format("en"),
            "error_zh": exc.format("zh"), "type": type(exc).__name__, "traceback": "".join(tb[-6:])}


def _explain(exc: BaseException, layers: dict | None, rows, names, codes) -> GridtoolError:
    """A library's error on a village as a user's error: an invalid boundary is named as such (it
    is what a GEOS ``TopologyException`` nearly always means), anything else with its own text."""
    v = layers.get("villages") if layers else None
    if v is not None and VROW in v and len(v):
        sel = v[np.isin(v[VROW].to_numpy(), np.asarray(list(rows), dtype=np.int64))]
        bad = sel[~shapely.is_valid(sel.geometry.values)]
        if len(bad):
            labels = [f"{n}（{c}）" for n, c in zip(bad["name"].astype(str), bad["code"].astype(str))]
            why = shapely.is_valid_reason(bad.geometry.values[0])
            err = GridtoolError(
                f"村界无效：{'、'.join(labels)}（{why}），无法划分", f"invalid village boundary: {', '.join(labels)} "
                f"({why}); it cannot be partitioned",
                fix_zh="在 QGIS 中对村界图层运行“修复几何图形”（或重画自相交处），保存后加 --resume 重新运行。",
                fix_en="run Fix Geometries on the villages layer in QGIS (or redraw the self-intersection), "
                       "save, and rerun with --resume.",
                layer="villages", feature=labels[0])
            err.__cause__ = exc
            return err
    label = "、".join(f"{n}（{c}）" for n, c in zip(names, codes))
    err = GridtoolError(
        f"{label} 划分时出错：{type(exc).__name__}: {exc}",
        f"{', '.join(f'{n} ({c})' for n, c in zip(names, codes))} failed: {type(exc).__name__}: {exc}",
        fix_zh="检查该村的村界和住户数据；报告（report.json）的 batch.failed 中有详细信息，可发给技术支持。",
        fix_en="check this village's boundary and households; batch.failed in the report (report.json) holds "
               "the details for support.", layer="villages", feature=label)
    err.__cause__ = exc
    return err


def _worker_name() -> str:
    try:
        from distributed import get_worker
        w = get_worker()
        return str(w.name)
    except Exception:  # noqa: BLE001 - not on a Dask worker
        return "local"


def _event_poller(name: str | None) -> Callable[[], bool]:
    """``cancelled()`` for a task on a cluster: the run's ``distributed.Event``, asked at most once
    a second (the engine asks often; a scheduler round trip each time would slow it down)."""
    if not name:
        return lambda: False
    state = {"t": 0.0, "set": False, "ev": None}

    def check() -> bool:
        now = time.monotonic()
        if not state["set"] and now - state["t"] >= 1.0:
            state["t"] = now
            try:
                if state["ev"] is None:
                    from distributed import Event
                    state["ev"] = Event(name)
                state["set"] = bool(state["ev"].is_set())
            except Exception:  # noqa: BLE001 - no scheduler reachable: keep working
                pass
        return state["set"]
    return check


# ---------------------------------------------------------------------------------------------
# Combining pieces (chunk order) into one plan and report.
def _concat(frames: list, crs) -> gpd.GeoDataFrame | None:
    frames = [f for f in frames if f is not None]
    if not frames:
        return None
    nonempty = [f for f in frames if len(f)] or frames[:1]
    out = pd.concat(nonempty, ignore_index=True)
    if isinstance(nonempty[0], gpd.GeoDataFrame):
        return gpd.GeoDataFrame(out, geometry=nonempty[0].geometry.name, crs=crs)
    return out


def combine_layers(pieces: list[dict], crs=None) -> dict[str, gpd.GeoDataFrame | None]:
    """The layers of pieces (in chunk order) concatenated. Corridors need nothing more: they are
    drawn per village and kind, so each comes whole from the one chunk that holds its village."""
    layers = {}
    for name in (*PLAN_LAYERS, "households", "villages"):
        layers[name] = _concat([p["layers"].get(name) for p in pieces], crs)
    for name in ("grids", "special_grids", "corridors", "households", "villages"):
        if layers[name] is None:
            layers[name] = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=crs))
    return layers


def combine(pieces: list[dict], params: dict, *, crs=None) -> dict:
    """Pieces (in chunk order) as one piece: layers by :func:`combine_layers`, the report
    recomputed by :func:`summarize`."""
    layers = combine_layers(pieces, crs)
    report = summarize([p["report"] for p in pieces], [tables(p["layers"]) for p in pieces], params)
    return {"layers": layers, "report": report,
            "village_times": [t for p in pieces for t in p.get("village_times", [])]}


#: Columns :func:`summarize` reads from sub-grids (the largest table: only these are kept).
_SUB_COLUMNS = ("hh", "kind", "polsby_popper")


def tables(layers: dict) -> dict[str, pd.DataFrame | None]:
    """The attribute tables the report is computed from (no geometry: cheap to keep for a city)."""
    out = {}
    for name in ("grids", "subgrids", "special_grids", "corridors"):
        g = layers.get(name)
        if g is None:
            out[name] = None
            continue
        t = pd.DataFrame(g.drop(columns=[c for c in g.columns if c == "geometry" or
                                          (isinstance(g, gpd.GeoDataFrame) and c == g.geometry.name)]))
        if name == "subgrids":
            t = t[[c for c in _SUB_COLUMNS if c in t]]
        out[name] = t
    return out


#: Counts of a chunk that do not add up over chunks: the batch reports the most any chunk had.
_MOST = frozenset({"subgrid_workers", "min_links"})


def _merge_values(values: list, most: bool = False):
    """Plan figures the batch does not recompute: numbers add up (the keys of :data:`_MOST`: the
    largest), lists join, dicts recurse."""
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    if all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in vals):
        return max(vals) if most else sum(vals)
    if all(isinstance(v, list) for v in vals):
        return [x for v in vals for x in v]
    if all(isinstance(v, dict) for v in vals):
        keys = list(dict.fromkeys(k for v in vals for k in v))
        return {k: _merge_values([v.get(k) for v in vals], most=k in _MOST) for k in keys}
    return vals[0]


def summarize(reports: list[dict], tabs: list[dict], params: dict) -> dict:
    """One report from the reports and attribute tables of pieces, figures recomputed as the
    engine computes them for one run (``pct_within_bounds`` over grids of villages whose own total
    fits, means over all grids …); figures it does not know are added up or joined."""
    from .engine import GridPartitioner
    from .metrics import plan_figures
    engine = GridPartitioner(**params)
    plan = _merge_values([r["plan"] for r in reports]) or {}
    villages = [v for r in reports for v in r["villages"]]
    g = _concat([t["grids"] for t in tabs], None)
    g = g if g is not None and len(g.columns) else pd.DataFrame({"hh": [], "village_code": [], "min_hh": [],
                                                                  "max_hh": [], "polsby_popper": [],
                                                                  "hard_crossings": [], "soft_crossings": []})
    # Sub-grid figures are recomputed only when there are sub-grids.
    for k in ("subgrids", "subgrids_pct_within_bounds", "subgrid_hh_min", "subgrid_hh_max",
              "apartment_subgrids", "subgrids_mean_polsby_popper"):
        plan.pop(k, None)
    # Villages by code (names may repeat across townships).
    ok = {v["code"] for v in villages if v["status"] == "ok"}
    plan.update(plan_figures(
        g, _concat([t["subgrids"] for t in tabs], None), _concat([t["special_grids"] for t in tabs], None),
        _concat([t["corridors"] for t in tabs], None), feasible=g["village_code"].astype(str).isin(ok),
        villages=int(sum(r["plan"].get("villages", 0) for r in reports)),
        infeasible=[x for r in reports for x in r["plan"].get("infeasible_villages", [])],
        village_reports=villages, sub_bounds=(engine.sub_min, engine.sub_max)))
    engine_t = _merge_values([r.get("timings", {}) for r in reports]) or {}
    return {"parameters": engine.get_params(), "plan": plan,
            "timings": {k: round(v, 3) if isinstance(v, float) else v for k, v in engine_t.items()},
            "villages": villages, "grids": [row for r in reports for row in r.get("grids", [])]}


# ---------------------------------------------------------------------------------------------
class BatchPartitioner:
    """Partition a municipality chunk by chunk, in this process or on a Dask cluster.

    Parameters
    ----------
    by : {"township", "village"}
        Chunk per township (a ``township`` column, else the township part of the division code
        whatever its length; default) or per village.
    workers : int
        1 (default): chunks in this process, one after another. N > 1: a local Dask cluster of N
        worker processes with one thread each.
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``); ``workers`` is then ignored.
        Its workers need the same gridtool version installed.
    max_in_flight : int, optional
        Chunks submitted but not finished (default 2 per worker): the bound on memory.
    isolate_failures : bool
        Partition a failed chunk again village by village so that the others complete (default).
    write_on_workers : bool, optional
        With ``keep=False``, workers write their chunk files into the work directory themselves
        (it must be on a disk they share with the client). Default: yes in this process and on a
        local cluster, no with ``scheduler`` (the client writes what it receives).
    **params
        :class:`~.engine.GridPartitioner` parameters (``min_hh``, ``max_hh``, ``merge`` by name or
        12-digit code …).

    Attributes
    ----------
    grids_, subgrids_, special_grids_, corridors_, links_, households_, ridges_
        As the engine's, for the whole run (None with ``keep=False``); ``ridges_`` the ridge lines
        of the project's DEM that the chunks followed (:mod:`.batch_ridges`).
    report_ : dict
        The engine's report for the whole run plus ``batch`` and per-worker ``timings``.
    failures_ : list
        Chunks (or villages) that failed, with their error.
    chunks_ : list
        The chunks, in the order their results were combined.

    Examples
    --------
    Two villages of two townships (by their 12-digit codes): two chunks, the plan of one fit.

    >>> import geopandas as gpd, shapely
    >>> from gridtool.partition import BatchPartitioner
    >>> villages = gpd.GeoDataFrame({"name": ["石门村", "新华村"], "code": ["500101001001", "500101002001"]},
    ...     geometry=[shapely.box(0, 0, 800, 400), shapely.box(800, 0, 1600, 400)], crs="EPSG:32648")
    >>> homes = gpd.GeoDataFrame({"hh": [40] * 40}, crs="EPSG:32648", geometry=gpd.points_from_xy(
    ...     [40 + 80 * (i % 20) for i in range(40)], [100 + 200 * (i // 20) for i in range(40)]))
    >>> bp = BatchPartitioner(by="township", min_hh=300, max_hh=500).fit({"villages": villages, "households": homes})
    >>> bp.report_["batch"]["chunks"], bp.grids_["hh"].tolist()
    (2, [400, 400, 400, 400])
    """

    def __init__(self, *, by: str = "township", workers: int = 1, scheduler: str | None = None,
                 max_in_flight: int | None = None, isolate_failures: bool = True,
                 write_on_workers: bool | None = None, **params):
        from .engine import GridPartitioner
        if by not in BY_CHOICES:
            raise OptionError(f"--by 只能是 {' 或 '.join(BY_CHOICES)}：{by}", f"by must be one of {BY_CHOICES}, got {by!r}",
                              fix_zh="例如 --by township。", fix_en="e.g. --by township.", field="by")
        check_at_least(int(workers), 1, name="workers", zh="工作进程数", flag="--workers", example=2)
        GridPartitioner(**params)  # the engine's own checks of the parameters, before any work
        self.by = by
        self.workers = int(workers)
        self.scheduler = scheduler
        self.max_in_flight = max_in_flight
        self.isolate_failures = bool(isolate_failures)
        self.write_on_workers = write_on_workers
        self.params = dict(params)

    def get_params(self) -> dict:
        return {"by": self.by, "workers": self.workers, "scheduler": self.scheduler, **self.params}

    # -----------------------------------------------------------------------------------------
    def source(self, data) -> ChunkSource:
        """The chunk source for ``data``: a project GeoPackage path (streamed), a Project or
        ``{role: GeoDataFrame}`` (cut in memory), or a :class:`~.chunking.ChunkSource`."""
        if isinstance(data, ChunkSource):
            return data
        if isinstance(data, (str, Path)):
            return GeoPackageSource(data, by=self.by, params=self.params)
        return LayersSource(data, by=self.by, params=self.params)

    def fit(self, data, *, work_dir: str | Path | None = None, resume: bool = False, keep: bool = True,
            progress: Progress | None = None, cancelled: Callable[[], bool] | None = None) -> "BatchPartitioner":
        """Partition every chunk of ``data`` (see :meth:`source`).

        Parameters
        ----------
        data : str, pathlib.Path, gridtool.project.Project, dict or ChunkSource
            A project GeoPackage path (streamed), a project or ``{role: GeoDataFrame}`` (cut in
            memory), or a chunk source.
        work_dir : str or pathlib.Path, optional
            Where each finished chunk is written (:mod:`.parts`); needed for ``resume`` and
            ``keep=False``.
        resume : bool
            Skip chunks whose result in ``work_dir`` was made from the same inputs and parameters.
        keep : bool
            Hold the combined layers in memory (``grids_`` …); ``False`` keeps only the report,
            for :meth:`write_districts` over a city.
        progress, cancelled : callable, optional
            The desktop app's callables: ``progress(fraction, message)`` with villages done /
            total and the time left; ``cancelled()`` stops the run.

        Returns
        -------
        BatchPartitioner
            ``self``, fitted.
        """
        from .cluster import make_executor
        if (resume or not keep) and work_dir is None:
            raise ValueError("resume and keep=False need a work_dir")
        t0 = time.perf_counter()
        say = progress or (lambda f, m: None)
        stop = cancelled or (lambda: False)
        self._dem = dem_label(data)
        # The DEM stays here: each chunk gets its villages' ridge lines (see .batch_ridges).
        dem = batch_dem(data) if self._dem and self.params.get("terrain", True) else None
        if dem is not None:  # named as one fit names it: the file it was imported from
            self._dem = str(getattr(dem, "source", "") or self._dem)
        self._ridges = {"km": 0.0, "lines": 0, "seconds": 0.0} if dem is not None else None
        src = self.source(data)
        self._source = src
        self._lost_chunks: list[dict] = []  # chunks some of whose households could not be read
        self._context_chunks: list[dict] = []  # chunks read without road (river …) features
        chunks = src.chunks()
        self.chunks_ = chunks
        self.work_dir = Path(work_dir) if work_dir is not None else None
        self._digests: dict[str, str | None] = {}
        parts_of: dict[str, dict[str, str]] = {}
        recomputed: list[dict] = []  # with resume: chunks computed again, and why
        n_villages = sum(len(c.rows) for c in chunks)
        results: dict[int, dict] = {}   # chunk index -> piece (or its tables when not kept)
        stats = {"resumed": 0, "villages_done": 0, "villages_computed": 0, "t_compute": None, "client_s": 0.0,
                 "villages_to_skip": 0}
        # Chunks --resume will most likely skip (a result on disk; its digest is known only when the
        # chunk is read): with several workers they come in any order, and the time left must not
        # count them as work still to do.
        expected_skip: set[str] = set()
        if resume:
            expected_skip = {c.key for c in chunks if partfiles.paths(self.work_dir, c.key)[1].exists()}
            stats["villages_to_skip"] = sum(len(c.rows) for c in chunks if c.key in expected_skip)
        say(0.0, f"{len(chunks)} 个分块，{n_villages} 个村（社区）/ {count_en(len(chunks), 'chunk')}, {count_en(n_villages, 'village')}")

        def finished(i: int, piece: dict, dig: str | None, resumed: bool) -> None:
            c = chunks[i]
            tc = time.perf_counter()
            if piece.get("written"):
                if partfiles.done(self.work_dir, c.key, dig) is None:
                    from .cluster import ClusterError
                    raise ClusterError(
                        f"工作节点写入的分块结果在本机找不到：{self.work_dir}",
                        f"chunk results written by the workers are not visible here: {self.work_dir}",
                        fix_zh="把输出目录放在各节点共享的磁盘上，或让本机写入（write_on_workers=False）。",
                        fix_en="put the output on a disk the workers share, or let the client write "
                               "(write_on_workers=False).")
            elif not resumed and self.work_dir is not None and dig is not None:
                partfiles.write(self.work_dir, c.key, dig, piece, parts_of.get(c.key))
            stats["client_s"] += time.perf_counter() - tc
            if not keep and not piece.get("written"):
                piece = {**piece, "layers": tables(piece["layers"])}
            results[i] = piece
            stats["villages_done"] += len(c.rows)
            if c.key in expected_skip:  # reached: skipped (done) or computed again (left to do until done)
                expected_skip.discard(c.key)
                stats["villages_to_skip"] -= len(c.rows)
            if resumed:
                stats["resumed"] += 1
                piece["run"] = {**piece.get("run", {}), "resumed": True}
            else:
                stats["villages_computed"] += len(c.rows)
            say(stats["villages_done"] / max(n_villages, 1), _progress_message(stats, n_villages, c, piece))

        def jobs() -> Iterable[tuple[int, Chunk, dict, str | None, dict | None]]:
            for i in order:
                c = chunks[i]
                if stop():
                    raise CancelledError()
                tc = time.perf_counter()
                try:
                    try:
                        lay = src.layers(c)
                    except Exception:  # noqa: BLE001 - damaged household features: read around them
                        lay = _around_damage(src, c)
                        if lay is None:
                            raise
                    if dem is not None:
                        lay[RIDGES_INPUT], secs = chunk_ridges(lay, dem, self._dem, self.params)
                        self._ridges["seconds"] += secs
                        self._ridges["lines"] += len(lay[RIDGES_INPUT])
                        self._ridges["km"] += float(shapely.length(lay[RIDGES_INPUT].geometry.values).sum()) / 1000
                    dig, part_of = partfiles.digests(c, lay, self.params) if self.work_dir is not None else (None, {})
                    skipped = src.unread_context(c)  # roads (rivers …) it is partitioned without
                    if skipped:
                        self._context_chunks.append({**_lost(c, False), "layers": skipped})
                        if dig is not None:
                            dig, part_of = partfiles.without_unread(dig, part_of, skipped)
                except Exception as exc:  # noqa: BLE001 - an unreadable township fails alone
                    # Its villages, households and party members are read alone (no roads …) so
                    # that they are counted and listed where they are, in no grid; its result is
                    # kept under a digest --resume never takes for finished.
                    dead = f"unread:{c.key}" if self.work_dir is not None else None
                    self._digests[c.key] = dead
                    owned = _owned(src, c)
                    lost = owned is None or src.lost_households(c)
                    if lost:  # households of this chunk that no file, list or district total holds
                        self._lost_chunks.append(_lost(c, owned is None, exc))
                    finished(i, _failed_piece(c, _unreadable(c, exc, lost), src.crs, owned), dead, False)
                    continue
                if src.lost_households(c):  # partitioned without household features that could not be read
                    self._lost_chunks.append(_lost(c, False))
                self._digests[c.key] = dig
                parts_of[c.key] = part_of
                if resume and dig is not None:
                    meta = partfiles.done(self.work_dir, c.key, dig)
                    piece = None
                    if meta is not None:
                        try:
                            piece = partfiles.read(self.work_dir, c.key, meta, geometry=keep,
                                                   layers=partfiles.RESULT_LAYERS if keep else
                                                   ("grids", "subgrids", "special_grids", "corridors"))
                        except Exception:  # noqa: BLE001 - a damaged result file: computed again
                            piece = None
                    if piece is not None:
                        _renumber(piece, lay)
                        stats["client_s"] += time.perf_counter() - tc
                        finished(i, piece, dig, True)
                        continue
                    if c.key in expected_skip:  # computed again after all: work left to do
                        expected_skip.discard(c.key)
                        stats["villages_to_skip"] -= len(c.rows)
                    why = ["damaged"] if meta is not None else partfiles.changed(self.work_dir, c.key, part_of)
                    recomputed.append({"chunk": c.key, "why": why})
                    if why != ["new"]:  # chunks not reached before are many and need no word
                        zh, en = why_words(why)
                        say(stats["villages_done"] / max(n_villages, 1),
                            f"分块 {c.label}重新计算：{zh} / chunk {c.key} computed again: {en}")
                stats["client_s"] += time.perf_counter() - tc
                if stats["t_compute"] is None:
                    stats["t_compute"] = time.perf_counter()
                yield i, c, lay, dig, part_of or None

        def task_died(i: int, exc: BaseException, dig: str | None) -> None:
            # The chunk's households are read again (they are in no result) so that they are
            # counted, in no grid; its result is kept under another digest: written into the
            # district files, never taken for finished by --resume.
            c = chunks[i]
            lay = _owned(src, c)
            if lay is None or src.lost_households(c):
                self._lost_chunks.append(_lost(c, lay is None, exc))
            dead = f"died:{dig}" if dig is not None else None
            self._digests[c.key] = dead
            finished(i, _failed_piece(c, exc, src.crs, lay), dead, False)

        # Several workers take the largest chunks first, so that the run does not end with one
        # worker on a large township while the others wait (results are kept by chunk index, so
        # the order changes nothing else). One worker goes in input order, as the progress reads.
        order = list(range(len(chunks)))
        if self.workers > 1 or self.scheduler is not None:
            order.sort(key=lambda i: (-(chunks[i].households or 0), -len(chunks[i].rows), i))
        executor = make_executor(task=run_chunk, warm_up=warm_up, workers=self.workers, scheduler=self.scheduler,
                                 max_in_flight=self.max_in_flight)
        on_workers = self.write_on_workers if self.write_on_workers is not None else self.scheduler is None
        stats["parts_written_by"] = "workers" if (on_workers and not keep and self.work_dir) else "client"
        t_start = time.perf_counter()
        executor.run(jobs(), params=self.params, isolate=self.isolate_failures,
                     work_dir=str(self.work_dir) if stats["parts_written_by"] == "workers" else None,
                     done=lambda i, piece, dig: finished(i, piece, dig, False),
                     failed=task_died,
                     progress=say, progress_span=lambda i: (stats["villages_done"] / max(n_villages, 1),
                                                            len(chunks[i].rows) / max(n_villages, 1)),
                     cancelled=stop)
        ordered = [results[i] for i in range(len(chunks))]
        self._finish(src, chunks, ordered, keep, executor, time.perf_counter() - t0,
                     time.perf_counter() - t_start, stats)
        if resume:
            self.report_["batch"]["recomputed"] = recomputed
        say(1.0, "完成 / done")
        return self

    def _finish(self, src, chunks, pieces, keep, executor, total_s, run_s, stats) -> None:
        crs = src.crs
        self.failures_ = [f for p in pieces for f in p["failures"]]
        report = summarize([p["report"] for p in pieces],
                           [tables(p["layers"]) if keep else p["layers"] for p in pieces], self.params)
        report["batch"] = {"by": self.by, "chunks": len(chunks), "villages": sum(len(c.rows) for c in chunks),
                           "failed": self.failures_,
                           "refitted_by_village": [{"chunk": c.key, "error": p["refitted"]}
                                                   for c, p in zip(chunks, pieces) if p.get("refitted")],
                           "townships_split": townships_split(chunks),
                           # Road (river …) features that could not be read: their townships partitioned without them.
                           "unread_context": unread_context.report(getattr(src, "path", "?"), src.unread_context(),
                                                                   self._context_chunks),
                           "mixed_districts": [{"chunk": c.key, "district": c.district, "counties": dict(c.districts)}
                                               for c in chunks if c.districts]}
        report["timings"] = _timings(pieces, report["timings"], executor, total_s, run_s, stats)
        # Roster rows no chunk's fit speaks for (a failed village's, in no village, skipped at import).
        members = src.party_members()
        self._members = members
        try:
            city = src.household_total()
            self._city_error = None
        except Exception as exc:  # noqa: BLE001 - the attribute table is damaged as well: said, not guessed
            city, self._city_error = None, f"{type(exc).__name__}: {exc}"
        self._city_total = city  # the district files' totals need it again: read once (a city's roster)
        add_to_plan(report["plan"], members_left(members, self._failed_rows(src), skipped_from=src.party_members_layer()),
                    city[0] if city is not None else None, self.params.get("link_min", 10))
        self.report_ = report
        self._add_neighbour_merges(report["plan"], src)
        if getattr(self, "_dem", None):
            from .ridgelines import RISE_M

            # The client traced every chunk's ridges (resumed ones too): its sums are the run's.
            r = self._ridges
            report.setdefault("plan", {})["terrain"] = {"used": False, "dem": self._dem} if r is None else {
                "used": True, "ridge_km": round(r["km"], 1), "ridge_lines": r["lines"], "dem": self._dem,
                "rise_m": RISE_M, "seconds": round(r["seconds"], 2)}
        self.grids_ = self.subgrids_ = self.special_grids_ = self.corridors_ = None
        self.links_ = self.households_ = self.villages_ = self.ridges_ = None
        if not keep:
            return
        lay = combine_layers(pieces, crs)
        self.grids_, self.subgrids_ = lay["grids"], lay["subgrids"]
        self.special_grids_, self.corridors_, self.links_ = lay["special_grids"], lay["corridors"], lay["party_links"]
        self.ridges_ = lay["ridges"]
        self.villages_ = _drop_batch(lay["villages"])
        full = src.households()
        self.households_ = _write_back(full, lay["households"]) if full is not None else _drop_batch(lay["households"])

    def _add_neighbour_merges(self, plan: dict, src) -> None:
        """Merge remedies of infeasible villages with their neighbours in other chunks (each
        chunk's fit saw only its own villages), from the whole villages layer."""
        from .batch_remedies import add_neighbour_merges
        from .engine import GridPartitioner
        if src is None or self.report_ is None:
            return
        e = GridPartitioner(**self.params)
        add_neighbour_merges(plan, src.villages(), self.report_.get("villages") or [], (e.min_hh, e.max_hh, e.target))

    def _failed_rows(self, src) -> set[int]:
        """Global rows of the villages that could not be partitioned (by their 12-digit codes)."""
        failed = {str(c) for f in (self.failures_ or []) for c in f.get("codes", [])}
        if not failed or src is None:
            return set()
        return set(np.flatnonzero(src.villages()["code"].astype(str).isin(failed)).tolist())

    # -----------------------------------------------------------------------------------------
    def write_districts(self, out_dir: str | Path, *, force: bool = False, include_personal: bool = False,
                        progress: Progress | None = None) -> dict[str, Path]:
        """One project GeoPackage per district (``<out_dir>/<district>.gpkg``, named by the
        villages' county column or the 6-digit district code: villages,
        households with their grid and sub-grid, grids, subgrids, special_grids, corridors,
        party_links, the party members of its villages (``party_members``, with a roster; personal
        columns marked as import found them) and the district's report in the metadata), assembled from the work
        directory one district at a time. Returns ``{district: path}``.

        The households in no grid — in no village, or in a village of a district file but in no
        grid — are written to ``<out_dir>/未划入网格住户.gpkg`` with why (:mod:`.unassigned`;
        personal columns masked unless ``include_personal``), and summed up in the report's
        ``batch.unassigned``."""
        from ..layers import Layer
        from ..project import Project
        from . import unassigned
        from .output import apply_to_project
        if self.work_dir is None:
            raise ValueError("write_districts needs the work_dir given to fit()")
        say = progress or (lambda f, m: None)
        src_all = getattr(self, "_source", None)
        by_district: dict[str, list[Chunk]] = {}
        for c in self.chunks_:
            by_district.setdefault(c.district, []).append(c)
        out = {}
        totals: list[dict] = []
        files: list[dict] = []
        no_grid: list[gpd.GeoDataFrame] = []  # households of the district files in no grid
        failed_rows = self._failed_rows(src_all)  # the same for every district
        # Personal columns as import found them: every export from a district file masks them.
        sensitive = {role: src_all.sensitive(role) if src_all is not None else {}
                     for role in ("villages", "households", "party_members")}
        names = district_files(self.chunks_)  # two districts never share one file
        for n, (district, chunks) in enumerate(by_district.items()):
            pieces = []
            for c in chunks:
                meta = partfiles.done(self.work_dir, c.key, self._digests.get(c.key))
                if meta is not None:
                    pieces.append(partfiles.read(self.work_dir, c.key, meta))
            if not pieces:
                continue
            crs = next((g.crs for p in pieces for g in p["layers"].values() if g is not None and g.crs), None)
            if crs is None and src_all is not None:  # only chunks that could not be read: nothing carries it
                crs = src_all.crs
            merged = combine(pieces, self.params, crs=crs)
            rep = merged["report"]
            mine = {r for c in chunks for r in c.rows}
            members = getattr(self, "_members", None)
            if members is not None:
                members = members[np.isin(members[VILLAGE].to_numpy(), list(mine))]
            add_to_plan(rep["plan"], members_left(members, failed_rows & mine, outside=False),
                        None, self.params.get("link_min", 10))
            self._add_neighbour_merges(rep["plan"], src_all)  # neighbours in other districts too
            rep["batch"] = {"district": district, "chunks": [c.key for c in chunks],
                            "failed": [f for p in pieces for f in p["failures"]]}
            hs = merged["layers"]["households"]
            if hs is not None and len(hs) and VILLAGE in hs:
                codes = {str(c) for role in ("grids", "special_grids") if merged["layers"][role] is not None
                         and "code" in merged["layers"][role] for c in merged["layers"][role]["code"]}
                no_grid.append(hs[unassigned.no_grid(hs, codes)])
                no_grid.append(unassigned.split_rest(hs, codes))
            lay = {role: _drop_batch(g) for role, g in merged["layers"].items()}
            proj = Project(name=district, crs=crs)
            for role in ("villages", "households"):
                proj.layers[role] = Layer(role=role, gdf=lay[role], source=_DISTRICT_SOURCE, format="derived",
                                          sensitive=sensitive[role])
            if members is not None:  # the district's roster rows, as one run's project keeps the roster
                proj.layers["party_members"] = Layer(
                    role="party_members", gdf=_drop_batch(members).reset_index(drop=True), source=_DISTRICT_SOURCE,
                    format="derived", sensitive=sensitive["party_members"])
            apply_to_project(proj, SimpleNamespace(
                grids_=lay["grids"], subgrids_=lay["subgrids"], special_grids_=lay["special_grids"],
                corridors_=lay["corridors"], links_=lay["party_links"], households_=lay["households"],
                ridges_=lay["ridges"], report_=rep), source=_DISTRICT_SOURCE)
            path = Path(out_dir) / names[district]
            proj.save(path, force=force)
            out[district] = path
            totals.append(rep["totals"])
            # Which villages went where, as guessed: by a county column or the codes' first 6 digits.
            by_code = all(county_prefix(c.codes[0]) == district for c in chunks)
            files.append({"district": district, "file": path.name, "from": "code" if by_code else "county",
                          "chunks": len(chunks), "villages": sum(len(c.rows) for c in chunks),
                          "totals": rep["totals"],
                          # Chunks of the district whose households could not all be read: not in its totals.
                          "unread": [e for e in getattr(self, "_lost_chunks", []) if e["district"] == district],
                          # Chunks of the district partitioned without road (river …) features that could not be read.
                          "unread_context": [{k: e[k] for k in ("chunk", "villages", "layers")}
                                             for e in getattr(self, "_context_chunks", []) if e["district"] == district]})
            say((n + 1) / len(by_district), f"区县 {district} / district {district}: {path}")
        if self.report_ is not None:
            self.report_["batch"]["districts"] = files
        src = getattr(self, "_source", None)
        layer = None
        if src is not None:
            failed = {str(c) for f in (self.failures_ or []) for c in f.get("codes", [])}
            layer = unassigned.unassigned_households(src.outside_villages(), no_grid, src.villages(), failed)
            path = Path(out_dir) / unassigned.FILE_NAME
            if len(layer):
                unassigned.write(path, layer, include_personal=include_personal)
            elif owner(path) == "export":  # an earlier run's list, no longer true
                path.unlink()
                path.with_name(path.name + ".aux.xml").unlink(missing_ok=True)  # GDAL's note on it, if read
            if self.report_ is not None:
                self.report_["batch"]["unassigned"] = {"file": path.name if len(layer) else None,
                                                       **unassigned.summary(layer)}
        if totals and self.report_ is not None:  # the city's totals: the districts' added up
            keys = ("imported", "base", "special", "exception", "unassigned", "features", "unassigned_features",
                    "base_grids", "exception_grids", "special_grids")
            self.report_["totals"] = {k: sum(int(t.get(k, 0)) for t in totals) for k in keys}
            self.report_["totals"].update(partitioned=True, stale=[c for t in totals for c in t.get("stale", [])])
            # Households in no village are in no district's file; the city's total still holds
            # them, as unassigned, and says how many (``outside_villages``).
            city = getattr(self, "_city_total", None)
            t = self.report_["totals"]
            if city is not None:
                hh, n = city[0] - t["imported"], city[1] - t["features"]
                t.update(imported=city[0], features=city[1], unassigned=t["unassigned"] + hh,
                         unassigned_features=t["unassigned_features"] + n)
                # What is in no district's file: households read and found in no village, and
                # household features that could not be read at all (never taken for the former).
                out_hh, out_n = _outside_counts(layer)
                if src is None or layer is None:
                    out_hh, out_n = hh, n
                t.update(outside_villages=out_hh, outside_village_features=out_n)
                if (hh - out_hh, n - out_n) != (0, 0):
                    t.update(unread=hh - out_hh, unread_features=n - out_n)
        if self.report_ is not None:
            unread = self._unread_report(src)
            if unread is not None:
                self.report_["batch"]["unread_households"] = unread
        return out

    def _unread_report(self, src) -> dict | None:
        """``batch.unread_households``: the household features of the input that could not be read,
        where (file, layer, feature numbers), why, how many (from the attribute table, or the
        city's total less what was read) and the chunks that lost them; None when all were read."""
        lost = list(getattr(self, "_lost_chunks", []))
        info = src.unread_households() if src is not None else None
        city_error = getattr(self, "_city_error", None)
        if info is None and not lost and city_error is None:
            return None
        t = (self.report_ or {}).get("totals") or {}
        info = dict(info or {"file": getattr(src, "path", None), "layer": "households", "households": None,
                             "features": None, "fids": [], "error": None})
        if "unread" in t:  # the city total less what was read: exact whenever the counts could be read
            info["households"], info["features"] = t["unread"], t["unread_features"]
        if not info.get("error") and lost:  # no feature was named: the error of the reads that failed
            info["error"] = next((e["error"] for e in lost if e["error"]), None)
        info.update(chunks=lost, city_total_error=city_error, fix_zh=UNREAD_FIX[0], fix_en=UNREAD_FIX[1])
        return info


# ---------------------------------------------------------------------------------------------
def dem_label(data) -> str | None:
    """The elevation model of a batch's input, by its source (None without one): a Project's
    ``dem``, or the ``dem`` raster of a project GeoPackage, or of a chunk source reading one
    (named as it was imported)."""
    dem = getattr(data, "dem", None)
    if dem is not None:
        return str(getattr(dem, "source", "") or "dem")
    if isinstance(data, GeoPackageSource):
        data = data.path
    if not isinstance(data, (str, Path)) or Path(data).suffix.lower() != ".gpkg" or not Path(data).is_file():
        return None
    import json

    from ..project import META_TABLE, _has_raster
    try:
        if not _has_raster(Path(data), "dem"):
            return None
        import pyogrio
        meta = pyogrio.read_dataframe(data, layer=META_TABLE, read_geometry=False)
        params = {k: v for k, v in zip(meta["key"], meta["value"])}.get("parameters")
        src = (json.loads(params) if params else {}).get("dem_source")
    except Exception:  # noqa: BLE001 - a file the chunk source will refuse with a plain message
        return None
    return str(src or f"{Path(data).name}:dem")


# ---------------------------------------------------------------------------------------------
def townships_split(chunks: list[Chunk]) -> list[dict]:
    """Townships whose villages carry several counties and were cut by county (in chunk order):
    ``{"township", "counties": {county: villages}, "chunks": [keys]}``."""
    out: dict[str, dict] = {}
    for c in chunks:
        for town in filter(None, c.split_from.split("、")):
            e = out.setdefault(town, {"township": town, "counties": {}, "chunks": []})
            e["counties"][c.district] = e["counties"].get(c.district, 0) + len(c.rows)
            e["chunks"].append(c.key)
    return list(out.values())


def _renumber(piece: dict, layers: dict) -> None:
    """A resumed chunk's households are the same features in the same order as the current
    inputs (same digest); their row numbers in the current files may have moved, so take them
    from the inputs."""
    hs = piece["layers"].get("households")
    cur = layers["households"]
    if hs is not None and ROW in hs and len(hs) == len(cur):
        hs[ROW] = cur[ROW].to_numpy()
        hs[VILLAGE] = cur[VILLAGE].to_numpy()


def _failed_piece(chunk: Chunk, exc: BaseException, crs, layers: dict | None = None) -> dict:
    """A chunk whose task died (a worker killed, data that could not be sent) or whose inputs could
    not be read: all its villages are reported failed; with its ``layers`` its households are kept,
    in no grid, so that they are counted where they are."""
    empty = {name: None for name in (*PLAN_LAYERS, "households", "villages")}
    if layers is not None:
        empty.update(_unfitted(layers, chunk.rows)["layers"])
    if not isinstance(exc, GridtoolError):  # not the data's fault, as far as anyone can tell
        exc = _died(chunk, exc)
    rep = {"plan": {"villages": 0}, "villages": [], "grids": [], "timings": {}}
    return {"layers": empty, "report": rep, "village_times": [], "failures": [_failure(chunk, chunk.rows, exc)],
            "refitted": None,
            "run": {"chunk": chunk.key, "worker": "?", "pid": None, "seconds": 0.0, "villages": len(chunk.rows),
                    "households": 0}}


def _around_damage(src: ChunkSource, chunk: Chunk) -> dict | None:
    """The inputs of ``chunk`` read around damaged household features: the context layers as
    usual, the households and party members in slices that skip and name the features that cannot
    be read (:meth:`GeoPackageSource.owned`), so that a few damaged points leave their township
    partitioned without them rather than not at all. None when the failure was not that (a layer
    unreadable as a whole): the chunk then fails as before. (A damaged road, river … feature is read
    around by :meth:`GeoPackageSource.layers` itself, see :mod:`.unread_context`.) A damaged party member
    is read around as a household is (before, one cost its township its grids); the roster lists
    it as unreadable (:func:`.batch_members.members_left`)."""
    context = tuple(r for r in getattr(src, "roles", ()) if r not in OWNED_ROLES and r != "villages")
    try:
        lay = src.layers(chunk, roles=context)
        owned = src.owned(chunk)
    except Exception:  # noqa: BLE001 - not only the households: the chunk fails, its people counted
        return None
    if not (src.lost_households(chunk) or src.lost_members(chunk)):
        return None
    return {**lay, **owned}


def _owned(src: ChunkSource, chunk: Chunk) -> dict | None:
    """The villages of ``chunk`` and the households and party members in them (None when even
    these cannot be read: the chunk's households are then in no district file, and the city's
    total, read from the counts alone, names them as households that could not be read)."""
    try:
        return src.owned(chunk)
    except Exception:  # noqa: BLE001 - the households layer itself is unreadable
        return None


def _lost(chunk: Chunk, whole: bool, exc: BaseException | None = None) -> dict:
    """A chunk some (``whole``: all) of whose households could not be read, for the report;
    ``exc`` the error of its read (None: read, with damaged features left out)."""
    return {"chunk": chunk.key, "district": chunk.district, "villages": list(chunk.names),
            "codes": list(chunk.codes), "all": bool(whole),
            "error": f"{type(exc).__name__}: {exc}" if exc is not None else None}


def _unreadable(chunk: Chunk, exc: BaseException, lost: bool = False) -> GridtoolError:
    """The inputs of ``chunk`` could not be read (a damaged feature or file, a disk error);
    ``lost``: some of its households could not be read at all (counted apart, see the totals)."""
    if isinstance(exc, GridtoolError):
        why_zh, why_en = exc.format("zh").splitlines()[0], exc.format("en").splitlines()[0]
    else:
        why_zh = why_en = f"{type(exc).__name__}: {exc}"
    kept_zh = ("能读出的住户计入未划入网格，住户图层中无法读出的住户点不在任何区县文件中（户数见合计）" if lost
               else "住户计入未划入网格")
    kept_en = ("the households that could be read are counted as unassigned; the household features that could "
               "not be read are in no district's file (their number is in the totals)" if lost
               else "their households are counted as unassigned")
    err = GridtoolError(
        f"分块 {chunk.label}的输入无法读取（{why_zh}），其村（社区）未划分，{kept_zh}",
        f"the inputs of chunk {chunk.key} could not be read ({why_en}); its villages are not partitioned "
        f"and {kept_en}",
        fix_zh="用 gridtool validate 检查项目文件（或在 QGIS 中打开该乡镇一带的图层），修正或重新导入后，"
               "同一命令加 --resume 重新运行，只计算这些分块；磁盘或网络盘一时读不出时，直接加 --resume 重试即可。",
        fix_en="check the project with gridtool validate (or open the layers around this township in QGIS), fix "
               "or import again, and rerun the same command with --resume to compute only these chunks; if the "
               "disk or network drive failed for a moment, just rerun with --resume.")
    err.__cause__ = exc
    return err


def _died(chunk: Chunk, exc: BaseException) -> GridtoolError:
    """The task of ``chunk`` died (not its data's fault, as far as anyone can tell)."""
    err = GridtoolError(
        f"分块 {chunk.label}的计算进程意外退出或结果丢失（{type(exc).__name__}: {exc}），其村（社区）未划分",
        f"the process computing chunk {chunk.key} died or lost its data ({type(exc).__name__}: {exc}); its "
        "villages are not partitioned",
        fix_zh="同一命令加 --resume 重新运行，只计算这些分块；反复出现时多为内存不足：减少 --workers 或改用 --by village。",
        fix_en="rerun the same command with --resume to compute only these chunks; if it recurs (mostly memory), "
               "use fewer --workers or --by village.")
    err.__cause__ = exc
    return err


#: What to do about household features that could not be read (the console and the report).
UNREAD_FIX = ("用 QGIS 打开该文件的住户图层，检查报错的要素（见 fid），或从原始名册重新 gridtool import 生成项目；"
              "然后同一命令加 --resume 重新运行，只计算这些分块。",
              "open the households layer of that file in QGIS and check the features that fail (see fid), or "
              "import the roster again with gridtool import; then rerun the same command with --resume to compute "
              "only these chunks.")


def _outside_counts(layer) -> tuple[int, int]:
    """Households and features of the list of households in no grid that lie in no village."""
    if layer is None or not len(layer):
        return 0, 0
    sel = layer["reason"].to_numpy() == "outside"
    return int(layer["hh"].to_numpy()[sel].sum()), int(sel.sum())


def _drop_batch(g):
    if g is None:
        return None
    return g.drop(columns=[c for c in BATCH_COLUMNS if c in g])


def _write_back(full: gpd.GeoDataFrame, parts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The whole households layer with the engine's output columns from the chunks (households
    outside every village keep no grid, as in one run)."""
    hs = full.copy()
    cols = [c for c in parts.columns if c not in full.columns and c not in BATCH_COLUMNS
            and c != parts.geometry.name] if len(parts.columns) else []
    cols = list(dict.fromkeys([c for c in HOUSEHOLD_OUTPUTS if c in parts] + cols))
    rows = parts[ROW].to_numpy(dtype=np.int64) if ROW in parts else np.zeros(0, dtype=np.int64)
    for c in cols:
        col = np.full(len(hs), _DEFAULTS.get(c), dtype=object)
        vals = parts[c].to_numpy(dtype=object).copy()
        # Concatenation may turn a chunk's None into NaN (pandas string columns): one run has None.
        vals[pd.isna(vals)] = _DEFAULTS.get(c)
        col[rows] = vals
        hs[c] = pd.Series(col, index=hs.index, dtype=object)  # not inferred as str: None stays None
    return _drop_batch(hs)


#: Why a chunk is computed again on --resume (:func:`gridtool.partition.parts.changed`).
_WHY = {"new": ("上次未算完", "not finished before"), "missing": ("结果文件缺失", "its result file is missing"),
        "version": ("gridtool 版本不同", "another gridtool version"),
        "parameters": ("参数已改变", "the parameters changed"),
        "chunk": ("分块的村（社区）或合并已改变", "its villages or merges changed"),
        "unknown": ("输入或参数已改变", "its inputs or parameters changed"),
        "died": ("上次计算进程意外退出", "its process died last time"),
        "unread": ("上次输入无法读取", "its inputs could not be read last time"),
        "damaged": ("上次的结果文件已损坏", "its result file was damaged"),
        RIDGES_INPUT: ("高程模型中的山脊线已改变", "the ridge lines of the elevation model changed")}


def why_words(why: list[str]) -> tuple[str, str]:
    """The reasons of :func:`gridtool.partition.parts.changed` in Chinese and English."""
    from ..roles import ROLES
    zh, en = [], []
    for w in why:
        if w in _WHY:
            zh.append(_WHY[w][0])
            en.append(_WHY[w][1])
        else:
            zh.append(f"{ROLES[w].zh if w in ROLES else w}图层已改变")
            en.append(f"the {w} layer changed")
    return "、".join(zh), ", ".join(en)


def _fmt_duration(s: float) -> tuple[str, str]:
    s = max(0, int(round(s)))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    if h:
        return f"{h} 小时 {m} 分", f"{h} h {m} min"
    if m:
        return f"{m} 分 {sec} 秒", f"{m} min {sec} s"
    return f"{sec} 秒", f"{sec} s"


def time_left(stats: dict, n_villages: int, now: float) -> float | None:
    """Seconds the run still needs, at the pace of the villages computed in this run (None before
    the first): villages not yet done and not in a chunk --resume is expected to skip, over the
    villages computed per second since the first chunk was started (``now`` from
    ``time.perf_counter``). Skipped chunks count neither as work done nor as work left."""
    t, computed = stats["t_compute"], stats["villages_computed"]
    if t is None or not computed:
        return None
    to_compute = max(n_villages - stats["villages_done"] - stats.get("villages_to_skip", 0), 0)
    return to_compute * max(now - t, 1e-9) / computed


def _progress_message(stats: dict, n_villages: int, chunk: Chunk, piece: dict) -> str:
    done = stats["villages_done"]
    msg_zh = f"村（社区）{done}/{n_villages}"
    msg_en = f"villages {done}/{n_villages}"
    left = time_left(stats, n_villages, time.perf_counter())
    if left is not None:
        zh, en = _fmt_duration(left)
        msg_zh += f"，剩余约 {zh}"
        msg_en += f", about {en} left"
    bad = len(piece.get("failures", []))
    if bad:  # each language whole on its side of " / " (the console and the app show one side)
        msg_zh += f"；{chunk.key} 失败 {bad} 处"
        msg_en += f"; {chunk.key}: {bad} failed"
    return f"{msg_zh} / {msg_en}"


def _timings(pieces, engine, executor, total_s, run_s, stats) -> dict:
    """Per-worker busy time, the slowest chunks and villages, and how the run went."""
    runs = [p.get("run", {}) for p in pieces]
    workers: dict[str, dict] = {}
    for r in runs:
        if not r or r.get("resumed"):
            continue
        w = workers.setdefault(str(r.get("worker")), {"chunks": 0, "villages": 0, "households": 0, "busy_s": 0.0})
        w["chunks"] += 1
        w["villages"] += int(r.get("villages", 0))
        w["households"] += int(r.get("households", 0))
        w["busy_s"] = round(w["busy_s"] + float(r.get("seconds", 0.0)), 3)
    slow_chunks = sorted((r for r in runs if r), key=lambda r: -float(r.get("seconds", 0.0)))[:10]
    slow_villages = sorted((t for p in pieces for t in p.get("village_times", [])),
                           key=lambda t: -t["seconds"])[:10]
    return {"total_s": round(total_s, 3), "run_s": round(run_s, 3), "mode": executor.mode,
            "workers": executor.n_workers, "cluster_start_s": getattr(executor, "start_s", 0.0),
            "client_s": round(stats["client_s"], 3), "parts_written_by": stats["parts_written_by"],
            # Chunk files the tasks wrote (the client's own writes are in client_s).
            "parts_write_s": round(sum(float(r.get("write_s", 0.0)) for r in runs if r and not r.get("resumed")), 3),
            "resumed_chunks": stats["resumed"], "engine": engine,
            "per_worker": workers, "slowest_chunks": slow_chunks, "slowest_villages": slow_villages}
