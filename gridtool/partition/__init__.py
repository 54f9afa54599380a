"""The partition engine: villages into base grids (基础网格) of 300–500 households and sub-grids
(子网格) of about 30, following barriers (see the partition issue and ``docs/DESIGN.md``).

* :class:`GridPartitioner` — one fit, estimator-style: ``GridPartitioner(...).fit(project)`` sets
  ``grids_``, ``subgrids_``, ``special_grids_``, ``corridors_``, ``households_`` and ``report_``;
  redraws with minimal change and locked grids (``previous=``, ``locked=``).
* :class:`BatchPartitioner` — the same engine chunk by chunk over a city, in this process or on a
  Dask cluster, resumable.
* :func:`partition_project` / :func:`apply_to_project` — fit on a project and store the layers
  and the report in it; :func:`write_report` — the report as JSON; :func:`partition_markdown` —
  the report in words.
* :func:`feasible_grid_counts`, :func:`diagnose` — can a village's total be split within bounds?

The editing model (moves, merges, locks with undo) is :mod:`gridtool.partition.edit`.

>>> from gridtool.partition import feasible_grid_counts, diagnose
>>> list(feasible_grid_counts(650, 300, 500)), diagnose(550, 300, 500)
([2], 'gap')

The engine is imported on first use (PEP 562), so that ``import gridtool.partition`` stays light
for commands that only need the feasibility figures. The core never imports Qt.
"""

from ..lazy import lazy_exports

from .feasibility import diagnose, feasible_grid_counts

# What lives where; imported on first use.
_WHERE = {
    "GridPartitioner": "engine", "INFEASIBLE_POLICIES": "engine", "POCKET_POLICIES": "engine",
    "SPECIAL_CATEGORIES": "special",
    "BatchPartitioner": "batch",
    "apply_to_project": "output", "partition_project": "output", "write_report": "output",
    "partition_markdown": "report",
}

__all__ = sorted([*_WHERE, "diagnose", "feasible_grid_counts"])


__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())
