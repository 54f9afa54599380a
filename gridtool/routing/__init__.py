"""Patrol planning on road networks (see the routing issue and ``docs/ROUTING.md``).

* :func:`plan_tours` — the solver core on a plain travel-time matrix (PyVRP inside).
* :func:`build_graph` / :func:`graph_from_osm` — road graphs by travel mode, Chinese speed table,
  one-way streets, Tobler walking times on a DEM, disconnected pieces reported.
* :func:`plan_patrol` — team patrol routes through key places from stations.
* :func:`street_walk` — street-coverage walks (Chinese postman) of a grid, for k walkers.
* :func:`service_circles`, :func:`household_coverage` — N-minute service circles and coverage.
* :func:`site_stations` — choose p station sites covering the most households (MCLP).
* :func:`write_gpx`, :func:`write_kml`, :func:`write_stops_csv` — exports.

The core never imports Qt.
"""

from .circles import Coverage, household_coverage, service_circles
from .export import write_gpx, write_kml, write_stops_csv
from .graph import MODES, SPEEDS_KMH, RoadGraph, UnreachableError, build_graph, graph_from_osm, tobler_kmh
from .patrol import PatrolPlan, plan_patrol
from .postman import CoverageWalk, street_walk
from .siting import Siting, site_stations
from .snap import snap, travel_matrix
from .tours import InfeasibleError, TourPlan, plan_tours

__all__ = [
    "Coverage", "CoverageWalk", "InfeasibleError", "MODES", "PatrolPlan", "RoadGraph", "SPEEDS_KMH",
    "Siting", "TourPlan", "UnreachableError", "build_graph", "graph_from_osm", "household_coverage",
    "plan_patrol", "plan_tours", "service_circles", "site_stations", "snap", "street_walk",
    "tobler_kmh", "travel_matrix", "write_gpx", "write_kml", "write_stops_csv",
]
