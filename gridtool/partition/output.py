"""Partition results into the project (layers ``grids``, ``subgrids``, ``special_grids``,
``corridors``, ``changes`` after a redraw, the households' ``grid``/``subgrid``) and the JSON report,
which gains the plan's household totals (``report["totals"]``, :mod:`gridtool.partition.totals`)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..atomic import write_json_atomic
from ..layers import Layer
from .engine import GridPartitioner
from .totals import household_totals

OUTPUT_LAYERS = ("grids", "subgrids", "special_grids", "corridors", "party_links")


def apply_to_project(project, gp: GridPartitioner, *, source: str = "gridtool partition") -> None:
    """Put a fitted partitioner's layers into ``project`` (replacing an earlier partition); ``gp``
    may be anything with the engine's result attributes (a batch, one district of it)."""
    crs_in = project.user_crs
    made = {"grids": gp.grids_, "subgrids": gp.subgrids_, "special_grids": gp.special_grids_,
            "corridors": gp.corridors_, "party_links": gp.links_,
            # a redraw's changes per village against the previous plan (none after a plain partition)
            "changes": getattr(gp, "changes_", None)}
    for role, gdf in made.items():
        if gdf is None:
            project.layers.pop(role, None)
            continue
        project.layers[role] = Layer(role=role, gdf=gdf.reset_index(drop=True), source=source,
                                     format="derived", crs_in=crs_in,
                                     sensitive={"member": "name"} if role == "party_links" else {})
    hh = project.layers["households"]
    hh.gdf = gp.households_
    # One total for every output: imported = base + special + exception grids + unassigned.
    gp.report_["totals"] = household_totals(project).as_dict()
    project.parameters["partition"] = {k: v for k, v in gp.report_.items() if k != "grids"}


def partition_project(project, *, progress: Callable[[float, str], None] | None = None,
                      cancelled: Callable[[], bool] | None = None, **params) -> GridPartitioner:
    """Fit a :class:`GridPartitioner` with ``params`` on ``project`` and store the result in it."""
    gp = GridPartitioner(**params).fit(project, progress=progress, cancelled=cancelled)
    apply_to_project(project, gp)
    return gp


def write_report(path: str | Path, report: dict) -> Path:
    """The partition report as UTF-8 JSON (atomic)."""
    return write_json_atomic(path, report)
