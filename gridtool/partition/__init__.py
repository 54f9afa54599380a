"""The partition engine: villages into base grids and sub-grids (see the partition issue)."""

from .feasibility import diagnose, feasible_grid_counts

__all__ = ["diagnose", "feasible_grid_counts"]
