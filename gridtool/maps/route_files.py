"""Files of routing results: the patrol's GeoPackage, GPX, KML, stop list and route-card JSON, and
the styled GeoPackages of coverage, sealing and street walks.

The exports side of the routing engine (which plans, but writes no styled files itself): these
files carry QGIS styles (:mod:`.qgis`) and mask personal data (:mod:`.privacy`) as every other
export does.
"""

from __future__ import annotations

import json
from pathlib import Path


def _one_set(write):
    """``write`` puts its files in place together (:func:`gridtool.atomic.publish_together`): the
    stop list open in Excel leaves the whole folder as it was, not new routes beside old stops."""
    import functools

    @functools.wraps(write)
    def together(*args, **kwargs):
        from ..atomic import publish_together
        with publish_together():
            return write(*args, **kwargs)
    return together


def write_layers_gpkg(path: Path, layers: dict, *, project=None, split: bool = True) -> Path:
    """The non-empty layers into one GeoPackage (1.2, as projects are), atomically, marked as
    gridtool's (dataset metadata ``generator = gridtool …``: a later run may replace it, a user's
    GeoPackage of the same name is refused by :func:`gridtool.ownership.check_replace`). A layer of
    mixed geometry types becomes a table per type unless ``split`` is False (a list that scripts
    read by its one table name, such as the batch's households in no grid)."""
    import pyogrio

    from ..atomic import GPKG_OPTIONS, atomic_gpkg
    from ..ownership import export_marker
    from ..geomtypes import split_by_family
    from .qgis import write_layer_styles  # QGIS opens routes, circles … styled
    # Households outside the circles as points and buildings: a table (and a style) per geometry type.
    parts = [(name, role, part) for role, gdf in layers.items() if len(gdf)
             for name, part in (split_by_family(role, gdf) if split else [(role, gdf)])]
    todo = {name: gdf for name, _, gdf in parts}
    if todo:
        with atomic_gpkg(path) as tmp:
            for i, (name, gdf) in enumerate(todo.items()):
                pyogrio.write_dataframe(gdf, tmp, layer=name, driver="GPKG", dataset_options=GPKG_OPTIONS,
                                        **({"dataset_metadata": export_marker(project)} if i == 0 else {}))
            write_layer_styles(tmp, todo, roles={name: role for name, role, _ in parts})
    return path


def patrol_output_paths(out: Path, name: str = "patrol") -> dict[str, Path]:
    """The files :func:`write_patrol_outputs` writes into ``out`` (checked before anything is planned)."""
    return {"gpkg": out / f"{name}.gpkg", "gpx": out / f"{name}.gpx", "kml": out / f"{name}.kml",
            "csv": out / f"{name}-stops.csv", "cards": out / f"{name}-cards.json"}


def route_title(project, what: str = "巡逻路线", *, area=None) -> str:
    """The name routes carry in GPX/KML and on their cards: the township of the data
    (``玄武门街道巡逻路线``), else the stations or villages of the routes, or for a street walk
    (``area``: the grid) its villages (:func:`gridtool.maps.titles.route_place`); never a file name
    such as ``demo_project``, which says nothing to the officer holding the phone."""
    from .titles import route_place
    place = route_place(project, area=area).label
    return f"{place}{what}" if place else what


@_one_set
def write_patrol_outputs(project, plan, out: Path, *, name: str = "patrol", hotspots=None,
                         include_personal: bool = False, lang: str = "zh") -> dict:
    """GeoPackage (project CRS), GPX/KML (WGS84), CSV stop list and route-card JSON; with
    ``hotspots`` (a :class:`HotSpots`) also the ``hotspots`` and ``hotspot_streets`` layers.
    The stop list's headers and categories follow ``lang`` (:mod:`gridtool.routing.table_words`).

    Personal data in every layer and file (phone and ID numbers in place names, "李四代销点
    13912345678"; a contact's name or phone column) is masked unless ``include_personal``.
    """
    from dataclasses import replace

    from ..routing.export import write_gpx, write_kml, write_stops_csv
    from .privacy import mask_output
    if not include_personal:
        plan = replace(plan, stops=mask_output(plan.stops), routes=mask_output(plan.routes),
                       unserved=mask_output(plan.unserved), hotspots=mask_output(plan.hotspots))
    out.mkdir(parents=True, exist_ok=True)
    layers = patrol_layers(plan, hotspots)
    if not include_personal and "hotspot_streets" in layers:  # the plan's own tables are masked above
        layers["hotspot_streets"] = mask_output(layers["hotspot_streets"])
    title = route_title(project)
    files = {
        "gpkg": write_layers_gpkg(out / f"{name}.gpkg", layers),
        "gpx": write_gpx(out / f"{name}.gpx", plan.stops, plan.routes, name=title),
        "kml": write_kml(out / f"{name}.kml", plan.stops, plan.routes, name=title),
        "csv": write_stops_csv(out / f"{name}-stops.csv", plan.stops, lang=lang),
    }
    cards = out / f"{name}-cards.json"
    from ..atomic import write_bytes_atomic
    write_bytes_atomic(cards, json.dumps({"generator": "gridtool", "project": project.name, "title": title, "start": plan.start, "shift_minutes": plan.shift_minutes,
                                 "cards": plan.route_cards(),
                                 "unserved": plan.unserved.to_dict(orient="records")},
                                ensure_ascii=False, indent=2, default=str).encode("utf-8"))
    files["cards"] = cards
    return {k: str(v) for k, v in files.items()}


def patrol_layers(plan, hotspots=None) -> dict:
    """The layers of ``patrol.gpkg``: ``routes``, ``route_stops``, and the hot spots when planned."""
    layers = {"routes": plan.routes, "route_stops": plan.stops}
    if plan.hotspots is not None:
        layers["hotspots"] = plan.hotspots
    if hotspots is not None:
        layers["hotspot_streets"] = hotspots.streets
    return layers


def coverage_output_paths(out: Path, minutes) -> list[Path]:
    """The files :func:`write_coverage_outputs` may write into ``out`` (checked before planning)."""
    return [out / "coverage.gpkg"] + [out / f"coverage-{float(m):g}min-villages.csv" for m in minutes]


def coverage_outputs(result, out: Path) -> list[tuple[Path, dict]]:
    """What :func:`write_coverage_outputs` writes: ``(path, {layer: table})``, the GeoPackage first."""
    files = [(out / "coverage.gpkg", result.layers())]
    files += [(out / f"coverage-{c.minutes:g}min-villages.csv", {"villages_table": c.villages})
              for c in result.per_minute if c.villages is not None]
    return files


@_one_set
def write_coverage_outputs(result, out: Path, *, include_personal: bool = False, lang: str = "zh") -> list[Path]:
    """``coverage.gpkg`` (circles, sites, uncovered features per time) and, for households,
    ``coverage-{N}min-villages.csv`` per time (headers in ``lang``, households whole), from a :class:`gridtool.routing.coverage.CoverageResult`.
    Personal data (a candidate site's 负责人 and 联系电话) is masked unless ``include_personal``. The
    uncovered households are labelled by village and source row (``gridtool.routing.demand._household_names``
    never takes a roster's names), so their labels are written as the console prints them, not masked
    as if they were householders' names. Returns the paths written, the GeoPackage first."""
    from ..routing.export import write_table_csv
    from .privacy import mask_output
    out.mkdir(parents=True, exist_ok=True)

    def masked(layers):
        return {k: mask_output(v, include_personal) for k, v in layers.items()}
    files = coverage_outputs(result, out)
    tables = [write_table_csv(path, _village_table(masked(layers)["villages_table"]), lang=lang)
              for path, layers in files[1:]]
    return [write_layers_gpkg(files[0][0], masked(files[0][1])), *tables]


def _village_table(villages):
    """Households counted whole (weights are household counts) and the share rounded, as printed."""
    t = villages.copy()
    for col in ("hh", "covered_hh", "uncovered_hh"):
        if col in t:
            t[col] = t[col].fillna(0).round().astype("int64")
    if "share" in t:
        t["share"] = t["share"].round(3)
    return t


def seal_output_paths(out: Path) -> list[Path]:
    """The files :func:`write_seal_outputs` writes into ``out``."""
    return [out / "seal.csv", out / "seal.gpkg"]


def seal_outputs(plan, stations, out: Path) -> list[tuple[Path, dict]]:
    """What :func:`write_seal_outputs` writes: ``(path, {layer: table})`` for ``seal.csv`` and
    ``seal.gpkg``."""
    table = plan.table[["exit", "station", "minutes", "km"]].copy()
    table["minutes"] = table["minutes"].round(2)
    table["km"] = table["km"].round(3)
    return [(out / "seal.csv", {"seal": table}),
            (out / "seal.gpkg", {"seal_paths": plan.paths.drop(columns=["exit_no"]), "exits": plan.exits,
                                 "stations": stations})]


@_one_set
def write_seal_outputs(plan, stations, out: Path, *, include_personal: bool = False, lang: str = "zh",
                       flagged=None) -> list[Path]:
    """``seal.csv`` (exit, station, minutes, km per post; headers in ``lang``) and ``seal.gpkg`` (``seal_paths``,
    ``exits``, ``stations``) of a :class:`gridtool.routing.sealing.SealPlan`; personal data (the
    exits' or stations' contacts and phones) masked unless ``include_personal``."""
    from ..routing.export import write_table_csv
    from .privacy import mask_output
    out.mkdir(parents=True, exist_ok=True)
    (csv_path, table), (gpkg_path, layers) = seal_outputs(plan, stations, out)
    csv = write_table_csv(csv_path, mask_output(table["seal"], include_personal), lang=lang)
    gpkg = write_layers_gpkg(gpkg_path, {k: mask_output(v, include_personal, flagged=flagged)
                                         for k, v in layers.items()})
    return [csv, gpkg]



def walk_stem(code: str) -> str:
    """``walk-<code>``: the name of a grid's walk files (characters a file name cannot hold as ``_``)."""
    import re
    return "walk-" + re.sub(r"[^\w.-]+", "_", str(code))


def walk_output_paths(out: Path, codes) -> list[Path]:
    """The files :func:`write_walk_outputs` writes into ``out`` for the grids ``codes`` (checked
    before anything is planned or written)."""
    return [Path(out) / (walk_stem(c) + sfx) for c in codes
            for sfx in (".gpkg", ".gpx", ".kml", "-streets.csv", "-card.pdf")]


def _street_note(st: dict) -> str:
    """The card's note on a stretch: its length (to follow an unnamed road, 无名道路 3（向东）,
    the worker needs how far), and how much of it is walked again."""
    note = f"{st['length_m']:.0f} 米"
    return note + (f"，含重复 {st['repeat_m']:.0f} 米" if 0 < st["repeat_m"] < st["length_m"] else "")


@_one_set
def write_walk_outputs(project, out: Path, code: str, area, steps, *, start, start_name: str,
                       start_minutes: float = 8 * 60, lang: str = "zh", mode: str = "walk",
                       cancelled=None) -> list[Path]:
    """The files of one grid's street walk, as ``gridtool walk`` writes them and the app exports
    them: ``walk-<code>.gpkg`` (layers ``walk`` and ``walk_steps``), ``.gpx`` (the start as a
    waypoint, a track per walker), ``.kml``, ``-streets.csv`` (headers in ``lang``) and
    ``-card.pdf`` (one card per walker, times from ``start_minutes`` after midnight).

    ``steps`` are the walk's steps (:attr:`gridtool.routing.postman.CoverageWalk.steps`, or
    :func:`gridtool.routing.walks.grid_steps` of the project's ``walk_steps`` layer).
    """
    import pandas as pd

    from ..routing.export import write_table_csv, write_walk_gpx, write_walk_kml
    from ..routing.modes import MODE_ZH
    from ..routing.patrol import clock
    from ..routing.postman import street_list, walk_lines
    from .cards import write_route_cards
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = float(start_minutes)
    lines = walk_lines(steps)
    stem = walk_stem(code)
    title = route_title(project, f"网格 {code} 街巷巡查路线", area=area)  # the township, else the grid's villages
    files = [write_layers_gpkg(out / f"{stem}.gpkg", {"walk": lines, "walk_steps": steps}),
             write_walk_gpx(out / f"{stem}.gpx", lines, name=title, start=start, start_name=start_name),
             write_walk_kml(out / f"{stem}.kml", lines, name=title)]
    cards, rows = [], []
    for r in lines.itertuples():
        streets = street_list(steps, int(r.walker), start_minutes=t0)
        rows += [{"walker": int(r.walker), **{k: v for k, v in st.items() if k not in ("xy", "must", "window",
                                                                                     "category", "dwell_min")}}
                 for st in streets]
        cards.append({"team": int(r.walker), "heading": f"街巷巡查路线卡 · 巡查人 {int(r.walker)}",
                      "station": start_name, "mode": mode, "mode_zh": MODE_ZH.get(mode, MODE_ZH["walk"]),
                      "start": clock(t0), "end": clock(t0 + r.minutes), "minutes": round(float(r.minutes), 1),
                      "length_km": round(float(r.length_km), 2),
                      "stops": [{**st, "category_zh": "重复/连接" if st["repeat"] else "街巷",
                                 "note": _street_note(st)} for st in streets],
                      "geometry": r.geometry})
    files.append(write_table_csv(out / f"{stem}-streets.csv", pd.DataFrame(rows), lang=lang))
    files.append(write_route_cards(project, out / f"{stem}-card.pdf", cards=cards, title=f"{title}卡",
                                   from_project=False, cancelled=cancelled))
    return files


def stored_walk_start(project) -> str:
    """The start time (``HH:MM``) of the walks kept in the project, as the app's dialog planned
    them; 08:00 when none was kept. The app's 导出 → 街巷巡查路线文件 shows it and ``gridtool export
    --walks`` prints the cards from it unless ``--walk-start`` is given.

    Parameters
    ----------
    project : gridtool.project.Project
        The project.

    Returns
    -------
    str
        ``HH:MM``.
    """
    return str((project.parameters.get("walk") or {}).get("start") or "08:00")


def write_project_walks(project, out: Path, *, start_minutes: float | None = None, lang: str = "zh",
                        force: bool = False, progress=None, cancelled=None) -> list[Path]:
    """The files of every grid's walk kept in the project (layers ``walk`` and ``walk_steps``, as
    the app's 网格街巷巡查路线 puts them there), each as :func:`write_walk_outputs` writes them:
    the same files ``gridtool walk`` writes for those grids. ``start_minutes`` (after midnight):
    the cards' start, by default the walks' own (:func:`stored_walk_start`). Refuses to replace a
    file in ``out`` that gridtool did not write (:func:`gridtool.ownership.check_replace`) unless
    ``force``."""
    from ..errors import CancelledError
    from ..ownership import check_replace
    from ..routing import export  # noqa: F401  (registers the headers of gridtool's routing CSVs)
    from ..routing.shift_windows import parse_clock
    from ..routing.walks import grid_steps
    from shapely.geometry import Point
    from .needs import need_walks
    need_walks(project)
    if start_minutes is None:
        start_minutes = parse_clock(stored_walk_start(project))
    walk = project.layers["walk"].gdf
    steps = project.layers["walk_steps"].gdf
    codes = list(dict.fromkeys(walk["grid"].astype(str)))
    mode = str((project.parameters.get("walk") or {}).get("mode") or "walk")  # as the app's dialog planned it
    check_replace(walk_output_paths(out, codes), force=force)
    grids = {}
    for role in ("grids", "subgrids", "special_grids"):
        lyr = project.layers.get(role)
        if lyr is not None and "code" in lyr.gdf:
            for c, g in zip(lyr.gdf["code"].astype(str), lyr.gdf.geometry):
                grids.setdefault(c, g)
    files: list[Path] = []
    for i, code in enumerate(codes):
        if cancelled is not None and cancelled():
            raise CancelledError()
        if progress is not None:
            progress(i / len(codes), f"网格 {code} / grid {code}")
        first = walk[walk["grid"].astype(str) == code].iloc[0]
        files += write_walk_outputs(project, out, code, grids.get(code), grid_steps(steps, code),
                                    start=Point(float(first["start_x"]), float(first["start_y"])),
                                    start_name=str(first["start_name"]), start_minutes=start_minutes, lang=lang,
                                    mode=mode, cancelled=cancelled)
    return files


__all__ = ["coverage_output_paths", "coverage_outputs", "patrol_layers",
           "patrol_output_paths", "route_title", "seal_output_paths", "seal_outputs", "write_coverage_outputs",
           "stored_walk_start", "walk_output_paths", "walk_stem", "write_layers_gpkg", "write_patrol_outputs", "write_project_walks",
           "write_seal_outputs", "write_walk_outputs"]
