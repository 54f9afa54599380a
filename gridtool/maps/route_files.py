"""Files of routing results: the patrol's GeoPackage, GPX, KML, stop list and route-card JSON, and
the styled GeoPackages of coverage, sealing and street walks.

The exports side of the routing engine (which plans, but writes no styled files itself): these
files carry QGIS styles (:mod:`.qgis`) and mask personal data (:mod:`.privacy`) as every other
export does.
"""

from __future__ import annotations

import json
from pathlib import Path


def write_layers_gpkg(path: Path, layers: dict) -> Path:
    """The non-empty layers into one GeoPackage (1.2, as projects are), atomically."""
    import pyogrio

    from ..atomic import GPKG_OPTIONS, atomic_gpkg
    from .qgis import write_layer_styles  # QGIS opens routes, circles … styled
    todo = {name: gdf for name, gdf in layers.items() if len(gdf)}
    if todo:
        with atomic_gpkg(path) as tmp:
            for name, gdf in todo.items():
                pyogrio.write_dataframe(gdf, tmp, layer=name, driver="GPKG", dataset_options=GPKG_OPTIONS)
            write_layer_styles(tmp, todo)
    return path


def write_patrol_outputs(project, plan, out: Path, *, name: str = "patrol", hotspots=None,
                         include_personal: bool = False) -> dict:
    """GeoPackage (project CRS), GPX/KML (WGS84), CSV stop list and route-card JSON; with
    ``hotspots`` (a :class:`HotSpots`) also the ``hotspots`` and ``hotspot_streets`` layers.

    Phone and ID numbers in place names ("李四代销点 13912345678") are masked unless ``include_personal``.
    """
    from dataclasses import replace

    from ..routing.export import write_gpx, write_kml, write_stops_csv
    from .privacy import mask_frame
    if not include_personal:
        plan = replace(plan, stops=mask_frame(plan.stops), routes=mask_frame(plan.routes),
                       unserved=mask_frame(plan.unserved))
    out.mkdir(parents=True, exist_ok=True)
    layers = {"routes": plan.routes, "route_stops": plan.stops}
    if plan.hotspots is not None:
        layers["hotspots"] = plan.hotspots
    if hotspots is not None:
        layers["hotspot_streets"] = hotspots.streets
    files = {
        "gpkg": write_layers_gpkg(out / f"{name}.gpkg", layers),
        "gpx": write_gpx(out / f"{name}.gpx", plan.stops, plan.routes, name=f"{project.name} 巡逻路线"),
        "kml": write_kml(out / f"{name}.kml", plan.stops, plan.routes, name=f"{project.name} 巡逻路线"),
        "csv": write_stops_csv(out / f"{name}-stops.csv", plan.stops),
    }
    cards = out / f"{name}-cards.json"
    cards.write_text(json.dumps({"project": project.name, "start": plan.start, "shift_minutes": plan.shift_minutes,
                                 "cards": plan.route_cards(),
                                 "unserved": plan.unserved.to_dict(orient="records")},
                                ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    files["cards"] = cards
    return {k: str(v) for k, v in files.items()}


__all__ = ["write_layers_gpkg", "write_patrol_outputs"]
