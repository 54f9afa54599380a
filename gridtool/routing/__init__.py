"""Patrol planning on road networks (see the routing issue and ``docs/ROUTING.md``).

* :func:`plan_tours` — the solver core on a plain travel-time matrix (PyVRP inside).
* :func:`build_graph` / :func:`graph_from_osm` — road graphs by travel mode, Chinese speed table,
  one-way streets, Tobler walking times on a DEM, disconnected pieces reported.
* :func:`plan_patrol` — team patrol routes through key places from stations.
* :func:`street_walk` — street-coverage walks (Chinese postman) of a grid, for k walkers.
* :func:`find_hotspots` — incident hot spots on the streets (network kernel density), patrol stops.
* :func:`service_circles`, :func:`household_coverage` — N-minute service circles and coverage.
* :func:`site_stations` — new station sites, exactly: the most demand with N sites (maximal
  covering) or the fewest covering all (set cover); :func:`make_demand` — households or places.
* :func:`seal_exits` — sealing exits: a post at every exit, all sealed soonest (each exit from the
  station that gets there first, or the exact bottleneck assignment when posts are limited).
* :func:`write_gpx`, :func:`write_kml`, :func:`write_stops_csv` — exports.

One team visits three stops from the station (index 0) on a travel-time matrix, minutes:

>>> from gridtool.routing import plan_tours
>>> minutes = [[0, 5, 9, 4], [5, 0, 4, 9], [9, 4, 0, 5], [4, 9, 5, 0]]
>>> plan = plan_tours(minutes, time_limit=1)
>>> plan.cost, sorted(plan.routes[0])
(18.0, [1, 2, 3])

Everything listed in ``__all__`` is imported on first use; the core never imports Qt.
"""

from ..lazy import lazy_exports

from .modes import MODE_ZH, MODES

# What lives where; imported on first use (PEP 562) so that ``import gridtool.routing`` and the
# command line stay fast (geopandas, scipy, networkx, PyVRP load only when needed).
_WHERE = {
    "Coverage": "circles", "household_coverage": "circles", "service_circles": "circles",
    "write_gpx": "export", "write_kml": "export", "write_stops_csv": "export",
    "SPEEDS_KMH": "graph", "RoadGraph": "graph", "UnreachableError": "graph", "build_graph": "graph",
    "graph_from_osm": "graph", "tobler_kmh": "graph",
    "PatrolPlan": "patrol", "plan_patrol": "patrol",
    "CoverageWalk": "postman", "street_walk": "postman",
    "Siting": "siting", "site_stations": "siting", "max_coverage": "siting", "min_cover": "siting",
    "Demand": "demand", "make_demand": "demand", "match_categories": "demand", "nearest_times": "demand",
    "SealPlan": "sealing", "SealingError": "sealing", "bottleneck_assignment": "sealing", "seal_exits": "sealing",
    "area_exits": "sealing", "fastest_assignment": "sealing", "CoverageResult": "coverage", "analyse_coverage": "coverage",
    "noding_stats": "graph",
    "snap": "snapping", "travel_matrix": "snapping",
    "InfeasibleError": "tours", "TourPlan": "tours", "plan_tours": "tours", "REASONS": "tours",
    "reason_text": "tours",
    "HotSpots": "hotspots", "find_hotspots": "hotspots", "incident_share_near": "hotspots",
    "write_walk_gpx": "export", "write_walk_kml": "export",
}

__all__ = sorted([*_WHERE, "MODES", "MODE_ZH"])


__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())
