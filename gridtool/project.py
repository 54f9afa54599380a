"""The project: all layers by role in one local metric CRS, with metadata, kept in one GeoPackage.

A GeoPackage opens in QGIS as it is, so the county GIS office can read a project without gridtool.
Saving is atomic: everything is written to a temporary file beside the target, flushed to disk,
and only then renamed over it, so a crash or a full disk mid-save leaves the previous file intact.
A project written by a newer gridtool (higher ``FORMAT_VERSION``) is refused, not half-read.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from . import __version__
from .atomic import GPKG_OPTIONS, WriteError, atomic_gpkg, write_failure
from .crs import metric_crs_for
from .errors import (CancelledError, CRSError, GridtoolError, MissingColumnError, OverwriteInputError,
                     NotAProjectError, ProjectError, ProjectVersionError, UnknownRoleError)
from .writelock import check_unchanged, stamp, write_lock
from .io.files import check_not_in_use
from .layers import ONE_PER_ROW, Layer, load_layer
from .plurals import count_en, plural_en
from .problems import Problem
from .roles import ROLES, VECTOR_ROLES

FORMAT_VERSION = 1
META_TABLE = "gridtool_meta"

Progress = Callable[[float, str], None]


class ProjectWriteError(ProjectError, WriteError):
    """The project could not be written: a full disk, a size limit, a read-only folder."""


def _per_role(value: str | dict[str, str] | None) -> dict[str, str]:
    """``"gcj02"`` -> ``{"*": "gcj02"}``; a dict is already per role (``"*"`` for the rest)."""
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        bad = [k for k in value if k != "*" and k not in ROLES]
        if bad:
            raise UnknownRoleError(f"未知的图层角色：{'、'.join(map(str, bad))}", f"unknown {plural_en(len(bad), 'role')} {bad}",
                                   fix_zh="可用角色：" + "、".join(ROLES) + "；例如 --crs-in households=gcj02。",
                                   fix_en="roles: " + ", ".join(ROLES) + "; e.g. --crs-in households=gcj02.")
        return dict(value)
    return {"*": value}


def _same_file(a: str | Path, b: str | Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


@dataclass
class Project:
    """Layers by role in one metric CRS, plus the DEM, parameters and the problems found.

    Build one with :meth:`from_sources` (files by role) or :meth:`open` (a saved project), then
    :meth:`save`. Layers are GeoDataFrames in ``crs``; ``user_crs`` is what the inputs were in.
    """

    name: str = "gridtool project"
    crs: pyproj.CRS | None = None
    user_crs: str = ""
    layers: dict[str, Layer] = field(default_factory=dict)
    dem: object | None = None  # gridtool.io.dem.Dem
    parameters: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    path: str | None = None
    # The identity of each file this project was opened from or saved to (see gridtool.writelock):
    # a save refuses when the file changed on disk meanwhile. Shared by copies made with
    # dataclasses.replace (the app saves such snapshots), so they all know the latest save.
    _stamps: dict = field(default_factory=dict, repr=False, compare=False)

    # -- building ---------------------------------------------------------------------------
    def add_layer(self, layer: Layer) -> Layer:
        """Add (or replace) a layer, reprojected into the project CRS (chosen from the first layer)."""
        gdf = layer.gdf
        if self.crs is None:
            lon, lat = _lonlat_centre(gdf)
            self.crs = metric_crs_for(lon, lat)
        if gdf.crs is not None and not gdf.crs.equals(self.crs):
            gdf = gdf.to_crs(self.crs)
            xy, owner = shapely.get_coordinates(gdf.geometry.values, return_index=True)
            xy_ok = np.ones(len(gdf), dtype=bool)
            xy_ok[np.unique(owner[~np.isfinite(xy).all(axis=1)])] = False
            if not xy_ok.all():
                # Far outside the projection's zone (a 0,0 row): no valid position in metres.
                layer.problems.append(Problem(
                    "error", "unprojectable_coordinates",
                    f"{int((~xy_ok).sum())} 个要素的坐标远离项目区域，无法换算，已移除",
                    f"{count_en(int((~xy_ok).sum()), 'feature')} {plural_en(int((~xy_ok).sum()), 'lies', 'lie')} so far from the project area that their "
                    "coordinates cannot be converted; removed",
                    fix_zh="检查这些行的坐标：是否为 0、经纬度是否写反。",
                    fix_en="check these rows' coordinates: zeros, swapped latitude/longitude.",
                    role=layer.role, file=layer.source, layer=layer.source_layer,
                    features=gdf.loc[~xy_ok, "src_id"].tolist() if "src_id" in gdf else []))
                gdf = gdf[xy_ok].reset_index(drop=True)
            layer.gdf = gdf
        # Exports go back to what the households came in, else to what the first layer came in.
        if layer.role == "households" or not self.layers:
            self.user_crs = layer.crs_in
        self.layers[layer.role] = layer
        return layer

    @classmethod
    def from_sources(cls, sources: dict[str, str], *, crs_in: str | dict[str, str] | None = None,
                     encoding: str | dict[str, str] | None = None,
                     fields: dict[str, str] | None = None, dem: str | None = None,
                     name: str | None = None, seed: int = 0, progress: Progress | None = None,
                     cancelled: Callable[[], bool] | None = None, line_classes=None) -> "Project":
        """Load every layer given by role (``{"households": "a.xlsx", "roads": "r.shp"}``).

        Parameters
        ----------
        crs_in
            A CRS for every layer whose file has none (``"gcj02"``), or per role
            (``{"households": "gcj02", "*": "EPSG:4547"}``: a role's entry overrides its file's own
            CRS; ``"*"`` is for files without one).
        encoding
            Likewise: one encoding for shapefiles without .cpg and text files, or per role.
        fields
            ``{"hh": "户数"}`` applies to every layer that has such a column;
            ``{"households.hh": "户数"}`` to one layer, where the column must exist.
        line_classes
            A ``--line-classes`` CSV (``layer,column,value,class``) classing roads, watercourses,
            railways and land parcels by column value (:mod:`gridtool.lineclasses`).

        Households and villages are loaded first so that they set the project CRS.
        """
        proj = cls(name=name or Path(next(iter(sources.values()), "project")).stem)
        proj._load_sources(sources, crs_in=crs_in, encoding=encoding, fields=fields, dem=dem, seed=seed,
                           progress=progress, cancelled=cancelled, line_classes=line_classes)
        if progress:
            progress(1.0, "完成 / done")
        return proj

    def _load_sources(self, sources: dict[str, str], *, crs_in=None, encoding=None, fields=None, dem=None,
                      seed: int = 0, progress: Progress | None = None, cancelled=None, line_classes=None) -> None:
        """Read the layers by role (and the DEM) into this project, as :meth:`from_sources` describes;
        the loading both a new project and :meth:`add_sources` do, so that a layer added to a saved
        project is read, checked and told exactly as in a fresh import."""
        proj = self
        crs_by_role = _per_role(crs_in)
        enc_by_role = _per_role(encoding)
        loose = {k: v for k, v in (fields or {}).items() if "." not in k}
        strict: dict[str, dict[str, str]] = {}
        for key, col in (fields or {}).items():
            if "." in key:
                role, k = key.split(".", 1)
                if role not in ROLES:
                    raise UnknownRoleError(
                        f"--field {key}={col} 中的图层角色 {role} 未知", f"unknown role {role!r} in --field {key}={col}",
                        fix_zh="写成 --field 角色.键=列名，角色为：" + "、".join(ROLES) + "；例如 --field households.hh=户数。",
                        fix_en="write --field ROLE.KEY=COLUMN with ROLE one of " + ", ".join(ROLES)
                               + "; e.g. --field households.hh=hh.", field=key)
                strict.setdefault(role, {})[k] = col
        order = sorted(sources, key=lambda r: VECTOR_ROLES.index(r) if r in VECTOR_ROLES else 99)
        if isinstance(line_classes, (str, Path)):
            from .lineclasses import read_mapping
            line_classes = read_mapping(line_classes)
        steps = len(order) + (1 if dem else 0)
        for i, role in enumerate(order):
            if cancelled and cancelled():
                raise CancelledError()
            if progress:
                progress(i / max(steps, 1), f"{ROLES[role].zh} / {role}")
            proj.add_layer(load_layer(
                role, sources[role], crs_in=crs_by_role.get(role), crs_default=crs_by_role.get("*"),
                encoding=enc_by_role.get(role), encoding_default=enc_by_role.get("*"),
                fields=strict.get(role), fields_default=loose, seed=seed, context=proj._context(),
                line_classes=line_classes))
        if "incidents" in sources:  # calls without coordinates, placed by their address
            from .address_match import place_by_address
            from .incidents_dupes import merge_placed_by_address
            if place_by_address(proj.layers["incidents"], proj.layers.get("households"), proj.layers.get("places")):
                merge_placed_by_address(proj.layers["incidents"])  # a call placed at its twin's door counts once
        unused = [f"{k}={v}" for k, v in loose.items()
                  if not any(v in proj.layers[r].columns_used.values() for r in order if r in proj.layers)
                  and not (k == "hh" and v == ONE_PER_ROW and "households" in proj.layers)]
        if unused:
            raise MissingColumnError(
                f"没有任何图层含有指定的列：{', '.join(unused)}",
                f"no layer has the {plural_en(len(unused), 'column')} named: {', '.join(unused)}",
                fix_zh="检查列名拼写；只对一个图层指定时写成 --field households.hh=户数。",
                fix_en="check the spelling; for one layer write --field households.hh=COLUMN.")
        if dem:
            from .io.dem import read_dem
            if progress:
                progress(len(order) / max(steps, 1), "高程 / dem")
            proj.dem = read_dem(dem)
            proj.parameters["dem_source"] = str(dem)  # a DEM added to a project replaces the one before

    def add_sources(self, sources: dict[str, str], *, crs_in: str | dict[str, str] | None = None,
                    encoding: str | dict[str, str] | None = None, fields: dict[str, str] | None = None,
                    dem: str | None = None, seed: int = 0, progress: Progress | None = None,
                    cancelled: Callable[[], bool] | None = None, line_classes=None,
                    save_as: str | Path | None = None) -> list[Problem]:
        """Add or replace the layers given by role in this (opened) project: this month's incidents,
        a new party roster, corrected roads. Read with the same loader and options as
        :meth:`from_sources` (into the project's CRS); every other layer — grids, sub-grids, locks,
        edits, routes, parameters — is kept as it is. All or nothing: if one file cannot be read,
        the project is left unchanged.

        Returns what the change leaves out of date (:func:`gridtool.layer_deps.out_of_date`:
        grids drawn from the households replaced, hot spots of last month's incidents …), as
        warnings naming what to re-run; ``parameters["layers_replaced"]`` records which layer was
        replaced from which file, and when. ``save_as``: the file the project will be saved to when
        not its own (the warnings' commands name it).
        """
        from dataclasses import replace as dc_replace

        from .layer_deps import mark_plan_stale, out_of_date, record_out_of_date
        before = dict(self.layers)
        had_dem = self.dem is not None
        scratch = dc_replace(self, layers=dict(self.layers), parameters=dict(self.parameters), problems=list(self.problems))
        scratch._load_sources(sources, crs_in=crs_in, encoding=encoding, fields=fields, dem=dem, seed=seed,
                              progress=progress, cancelled=cancelled, line_classes=line_classes)
        self.crs, self.user_crs, self.dem = scratch.crs, scratch.user_crs, scratch.dem
        self.layers, self.parameters = scratch.layers, scratch.parameters
        if "households" in sources and "households" in before:
            self._carry_plan(before["households"])
        when = datetime.now(timezone.utc).isoformat(timespec="seconds")
        log = list(self.parameters.get("layers_replaced") or [])
        for role in sources:
            log.append({"role": role, "source": self.layers[role].source if role in self.layers else sources[role],
                        "replaced": role in before, "when": when})
        if dem:
            log.append({"role": "dem", "source": str(dem), "replaced": had_dem, "when": when})
        self.parameters["layers_replaced"] = log[-50:]  # a year of monthly sheets and then some
        # A first DEM: the grids were drawn without the terrain; another: along the old one.
        dem_role = ("dem" if had_dem else "dem_added") if dem else None
        record_out_of_date(self, [r for r in sources if r in before] + ([dem_role] if dem_role else []))
        mark_plan_stale(self, [r for r in sources if r in before])
        if progress:
            progress(1.0, "完成 / done")
        return out_of_date(self, {r: before[r] for r in sources if r in before}, dem_replaced=dem_role == "dem",
                           dem_added=dem_role == "dem_added", path=save_as)

    def _carry_plan(self, old: Layer) -> None:
        """A new roster of a partitioned project's households: each household takes the grid and
        sub-grid its building had (:func:`gridtool.partition.previous.carry_plan`, by position),
        so that ``partition --redraw`` keeps the unchanged ones where they were, a building the
        plan divided between grids too. Only when the new file has no plan columns of its own (a
        gridtool export keeps them) and the project has grids; ``plan_carried`` counts them."""
        from .partition.previous import GONE, PLAN_COLUMNS, add_gone, carry_plan, households_gone
        new = self.layers["households"]
        if "grid" not in old.gdf or "grids" not in self.layers:
            return

        from .values import household_counts

        def counts(gdf):
            return household_counts(gdf["hh"]) if "hh" in gdf else np.ones(len(gdf), dtype=np.int64)
        hh = counts(new.gdf)
        if not any(c in new.gdf for c in PLAN_COLUMNS):
            cols, n = carry_plan(old.gdf, new.gdf, hh)
            if n:
                gdf = new.gdf.copy()
                for c in PLAN_COLUMNS:
                    gdf[c] = cols[c]
                new.gdf = gdf
            new.plan_carried = n
        # Households that left the roster, per grid: the redraw's grid match sees only those still
        # here, so it is told which grids lost how many (kept until the next partition).
        gone = households_gone(old.gdf, counts(old.gdf), new.gdf, hh)
        self.parameters[GONE] = add_gone(self.parameters.get(GONE), gone)
        new.households_gone = gone

    def _context(self):
        """(CRS, bounds) of the layers loaded so far, for reading a file without a CRS of its own."""
        boxes = [lyr.gdf.total_bounds for lyr in self.layers.values() if lyr.gdf is not None and len(lyr.gdf)]
        boxes = [b for b in boxes if np.isfinite(b).all()]
        if self.crs is None or not boxes:
            return None
        b = np.array(boxes)
        return self.crs, (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max()))

    def inputs(self) -> list[str]:
        """The files the layers were read from (never to be written)."""
        out = [lyr.source.split("!")[0] for lyr in self.layers.values() if lyr.source]
        if self.parameters.get("dem_source"):
            out.append(self.parameters["dem_source"])
        return out

    # -- saving -----------------------------------------------------------------------------
    def metadata(self) -> dict:
        return {
            "format_version": FORMAT_VERSION,
            "gridtool_version": __version__,
            "name": self.name,
            "crs": self.crs.to_wkt() if self.crs is not None else "",
            "crs_epsg": (self.crs.to_epsg() or "") if self.crs is not None else "",
            "user_crs": self.user_crs,
            "created": self.created,
            "saved": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "layers": {role: lyr.meta() for role, lyr in self.layers.items()},
            "parameters": self.parameters,
            "problems": [p.to_dict() for p in self.problems],
        }

    def save(self, path: str | Path, *, force: bool = False, _write_layer=None) -> Path:
        """Write the project to ``path`` atomically.

        Refuses to overwrite an input file, and any existing file that is not a gridtool project
        unless ``force`` (a GeoPackage from QGIS can hold work that exists nowhere else). Holds
        ``PATH.lock`` while writing (a second writer waits, then refuses), refuses when the file
        changed on disk since this project was opened or last saved there (another import or
        partition wrote it), and removes temporary files that killed saves left beside it.
        A full disk or a read-only folder raises :class:`ProjectWriteError` with a plain message.
        """
        path = Path(path)
        for src in self.inputs():
            if _same_file(src, path):
                raise OverwriteInputError(
                    f"输出文件就是输入文件 {src}，gridtool 不会覆盖输入数据",
                    f"the output is the input file {src}; gridtool never overwrites inputs",
                    fix_zh="换一个输出文件名。", fix_en="choose another output file name.", file=str(path))
        if path.suffix.lower() != ".gpkg":
            raise ProjectError("项目文件必须是 .gpkg", "a project file must end in .gpkg",
                               fix_zh="把输出文件名改为 *.gpkg。", fix_en="name the output *.gpkg.",
                               file=str(path))
        write_layer = _write_layer or _write_gdf
        key = _stamp_key(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with write_lock(path):
                if path.is_file():
                    check_not_in_use(path, writing=True)
                if path.exists() and not force and not _is_project(path):
                    from .ownership import NotOwnFileError
                    raise NotOwnFileError(
                        f"{path} 已存在且不是 gridtool 项目，不会覆盖", f"{path} exists and is not a gridtool "
                        "project; it is not overwritten",
                        fix_zh="换一个输出文件名，或确认无用后加 --force 覆盖。",
                        fix_en="choose another output name, or add --force if the file may be replaced.",
                        file=str(path))
                check_unchanged(path, self._stamps.get(key))
                with atomic_gpkg(path, sweep_all=True) as tmp:
                    for role, lyr in self.layers.items():
                        gdf = lyr.gdf
                        if getattr(gdf, "crs", 0) is None and self.crs is not None and not len(gdf):
                            gdf = gdf.set_crs(self.crs)  # an empty layer made without one: the project's
                        write_layer(gdf, tmp, role)
                    meta = self.metadata()
                    rows = pd.DataFrame({"key": list(meta), "value": [json.dumps(v, ensure_ascii=False)
                                                                      for v in meta.values()]})
                    pyogrio.write_dataframe(rows, tmp, layer=META_TABLE, driver="GPKG",
                                            dataset_options=GPKG_OPTIONS)
                    from .maps.qgis import write_layer_styles  # QGIS opens the project looking like the wall map
                    write_layer_styles(tmp, {role: lyr.gdf for role, lyr in self.layers.items()})
                    if self.dem is not None:
                        from .io.dem import write_dem_gpkg
                        write_dem_gpkg(self.dem, tmp, table="dem")
                self._stamps[key] = stamp(path)
        except BaseException as exc:
            if not isinstance(exc, Exception):
                raise
            if isinstance(exc, WriteError) and not isinstance(exc, ProjectWriteError):  # told by atomic_gpkg
                raise ProjectWriteError(exc.zh, exc.en, fix_zh=exc.fix_zh, fix_en=exc.fix_en,
                                        file=str(path)) from exc
            # Our own messages stand, except a write failure of the DEM writer (raised as a
            # ProjectError around the driver's text), which is told plainly like any other.
            if isinstance(exc, GridtoolError) and not (isinstance(exc, ProjectError) and exc.__cause__ is not None
                                                       and not isinstance(exc.__cause__, GridtoolError)):
                raise
            plain = write_failure(exc.__cause__ if isinstance(exc, GridtoolError) else exc, path)
            if plain is not None:
                raise ProjectWriteError(plain.zh, plain.en, fix_zh=plain.fix_zh, fix_en=plain.fix_en,
                                        file=str(path)) from exc
            raise
        self.path = str(path)
        return path

    # -- opening ----------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path) -> "Project":
        """Open a saved project; refuses files from a newer gridtool and files that are not projects."""
        path = Path(path)
        if not path.exists():
            raise ProjectError(f"找不到项目文件 {path}", f"project file not found: {path}",
                               fix_zh="检查路径。", fix_en="check the path.", file=str(path))
        opened = stamp(path)
        check_not_in_use(path)  # before GDAL, which waits for the lock and then says nothing useful
        try:
            names = [str(n) for n, _ in pyogrio.list_layers(path)]
        except Exception as exc:
            raise ProjectError("不是有效的 GeoPackage 文件", "not a valid GeoPackage file",
                               fix_zh="确认文件完整；可在 QGIS 中打开检查。",
                               fix_en="check that the file is complete; try opening it in QGIS.",
                               file=str(path)) from exc
        if META_TABLE not in names:
            raise NotAProjectError(
                "这个 GeoPackage 不是 gridtool 项目（缺少 gridtool_meta 表）",
                "this GeoPackage is not a gridtool project (no gridtool_meta table)",
                fix_zh="用 gridtool import --households 文件.gpkg:图层 … --out 项目.gpkg 先导入。",
                fix_en="import it first: gridtool import --households FILE.gpkg:LAYER … --out project.gpkg.",
                file=str(path))
        from .incidents_dupes import from_meta as merged_from_meta
        from .incidents_unplaced import from_meta
        rows = pyogrio.read_dataframe(path, layer=META_TABLE)
        meta = {k: json.loads(v) for k, v in zip(rows["key"], rows["value"])}
        version = int(meta.get("format_version", 0))
        if version > FORMAT_VERSION:
            raise ProjectVersionError(
                f"项目由更新版本的 gridtool（{meta.get('gridtool_version')}，格式 {version}）保存，"
                f"本版本（{__version__}）只能打开格式 {FORMAT_VERSION}",
                f"the project was saved by a newer gridtool ({meta.get('gridtool_version')}, format "
                f"{version}); this version ({__version__}) opens format {FORMAT_VERSION} at most",
                fix_zh="升级 gridtool：pip install -U gridtool。", fix_en="upgrade: pip install -U gridtool.",
                file=str(path))
        crs = pyproj.CRS.from_wkt(meta["crs"]) if meta.get("crs") else None
        proj = cls(name=meta.get("name", path.stem), crs=crs, user_crs=meta.get("user_crs", ""),
                   parameters=meta.get("parameters", {}),
                   problems=[Problem.from_dict(p) for p in meta.get("problems", [])],
                   created=meta.get("created", ""), path=str(path))
        proj._stamps[_stamp_key(path)] = opened
        for role, lm in meta.get("layers", {}).items():
            if role not in names:
                raise ProjectError(f"项目缺少图层 {role}", f"the project lacks its {role} layer",
                                   fix_zh="文件可能被其他程序改动过；重新导入。",
                                   fix_en="another program may have changed the file; import again.",
                                   file=str(path), layer=role)
            gdf = pyogrio.read_dataframe(path, layer=role)
            proj.layers[role] = Layer(
                role=role, gdf=gdf, source=lm.get("source", ""), source_layer=lm.get("source_layer"),
                format=lm.get("format", ""), crs_in=lm.get("crs_in", ""), encoding=lm.get("encoding"),
                encoding_source=lm.get("encoding_source", ""),
                columns_used=lm.get("columns_used", {}), sensitive=lm.get("sensitive", {}),
                sensitive_how=lm.get("sensitive_how", {}),
                problems=[Problem.from_dict(p) for p in lm.get("problems", [])],
                columns_detail=lm.get("columns_detail", {}), class_summary=lm.get("class_summary", {}),
                unlocated=from_meta(lm.get("unplaced")), merged=merged_from_meta(lm.get("merged")))
        if _has_raster(path, "dem"):
            from .io.dem import read_dem_gpkg
            proj.dem = read_dem_gpkg(path, table="dem")
        return proj

    def to_user_crs(self, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """A layer in the CRS the user's inputs were in (GCJ-02/BD-09 offsets re-applied), for exports."""
        from .crs import to_user_crs
        return to_user_crs(gdf, self.user_crs)

    # -- reading ----------------------------------------------------------------------------
    def summary(self) -> dict:
        """Counts per layer, households per village, CRS: what ``gridtool info`` prints."""
        out = {"name": self.name, "crs": _crs_label(self.crs), "user_crs": self.user_crs,
               "layers": {}}
        for role, lyr in self.layers.items():
            entry = {"features": int(len(lyr.gdf)), "source": lyr.source, "crs_in": lyr.crs_in,
                     "columns": dict(lyr.columns_used)}
            if lyr.columns_detail:
                entry["columns_detail"] = dict(lyr.columns_detail)
            if lyr.class_summary:
                entry["class_summary"] = dict(lyr.class_summary)
            if lyr.total_households is not None:
                entry["households"] = lyr.total_households
            if role == "incidents":  # the sheet's rows = placed + not placed, with why
                from .incidents_unplaced import equation
                from .routing.hotspots import unplaced_counts
                eq = equation(int(len(lyr.gdf)), lyr.problems)
                if eq is not None:
                    from .incidents_dupes import merged_count
                    entry["placement"] = {"placed": int(len(lyr.gdf)), "not_placed": unplaced_counts(lyr.problems),
                                          "merged": merged_count(lyr.problems), "zh": eq[0], "en": eq[1]}
            if lyr.sensitive:
                entry["sensitive"] = sorted(lyr.sensitive)
                entry["sensitive_how"] = {c: {**lyr.sensitive_how.get(c, {}), "kind": k}
                                          for c, k in sorted(lyr.sensitive.items())}
            if lyr.encoding:
                entry["encoding"] = f"{lyr.encoding} ({lyr.encoding_source})"
                entry["encoding_sample"] = list(lyr.encoding_sample)
            out["layers"][role] = entry
        if self.dem is not None:
            out["dem"] = self.dem.summary()
        errors = sum(p.severity == "error" for p in self.problems)
        out["problems"] = {"errors": errors, "warnings": len(self.problems) - errors}
        return out


def _stamp_key(path: str | Path) -> str:
    try:
        return str(Path(path).resolve())
    except OSError:
        return str(path)


def _is_project(path: Path) -> bool:
    try:
        return META_TABLE in [str(n) for n, _ in pyogrio.list_layers(path)]
    except Exception:
        return False


def _write_gdf(gdf: gpd.GeoDataFrame, path: Path, layer: str, *, spatial_index: bool = True) -> None:
    """Write one layer into a GeoPackage. ``spatial_index=False`` leaves the R-tree out: for files
    only gridtool reads back whole (a batch run's chunk results), where building it cost ~40 % of
    the write (1.6 → 0.9 CPU s for 300k points). The plan's polygon layers are written all
    MultiPolygon, and any polygon layer of mixed types too (:func:`gridtool.geomtypes.one_polygon_type`):
    one type per layer, whatever edits made of its rows."""
    from .geomtypes import PLAN_LAYERS, empty_layer_type, one_polygon_type
    gdf = one_polygon_type(gdf, always=layer in PLAN_LAYERS).copy()
    declared = empty_layer_type(gdf, layer)  # an empty layer keeps its type (QGIS: a map layer, not a table)
    for col in gdf.columns:
        if col != "geometry" and gdf[col].dtype == object:
            # Mixed Python objects (numbers and text in one column) do not fit a GPKG field.
            gdf[col] = gdf[col].map(lambda v: None if v is None or (isinstance(v, float) and v != v)
                                    else (v if isinstance(v, str) else str(v)))
    pyogrio.write_dataframe(gdf, path, layer=layer, driver="GPKG", dataset_options=GPKG_OPTIONS,
                            layer_options=None if spatial_index else {"SPATIAL_INDEX": "NO"},
                            **({"geometry_type": declared} if declared else {}))


def _has_raster(path: Path, table: str) -> bool:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        row = con.execute("SELECT 1 FROM gpkg_contents WHERE table_name=? AND data_type IN "
                          "('tiles','2d-gridded-coverage')", (table,)).fetchone()
    return row is not None


def _lonlat_centre(gdf: gpd.GeoDataFrame) -> tuple[float, float]:
    """The median position of the layer in lon/lat: one stray row at (0,0) does not move it."""
    pts = gdf.geometry.iloc[:: max(1, len(gdf) // 5000)]
    pts = pts.representative_point() if (pts.geom_type != "Point").any() else pts
    ll = pts.to_crs(4326)
    x, y = ll.x.to_numpy(), ll.y.to_numpy()
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        raise CRSError("坐标无法换算为经纬度", "the coordinates cannot be converted to longitude/latitude",
                       fix_zh="检查坐标系声明和坐标列。", fix_en="check the declared CRS and the coordinate columns.")
    return float(np.median(x[ok])), float(np.median(y[ok]))


def _crs_label(crs: pyproj.CRS | None) -> str:
    if crs is None:
        return ""
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else crs.name
