"""A small planned township for the export tests, built directly (no partition run): two villages
(one named with a script tag), four grids, eight sub-grids (one a geometry collection, as overlays
leave them), a special grid, a corridor, key places as points and polygons, two patrol teams with
their stops, service circles and 60 households with names, phone and ID-card numbers;
:func:`add_incidents` adds incident records and hot spots on them."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
from shapely.geometry import GeometryCollection, LineString, Point, box

GK108 = "EPSG:4545"  # CGCS2000 / 3-degree Gauss-Kruger CM 108E (Chongqing)
X0, Y0 = 480_000.0, 3_265_000.0
XSS = "<script>alert(1)</script>"
XSS_IMG = '<img src=x onerror="window.__xss=1">'
NAMES = ["张三丰", "欧阳娜娜", "李四", "王五"]
PHONE = "13812341234"
ID_NUMBER = "11010519491231002X"  # a valid check digit (GB 11643)


def _gdf(rows, **kw):
    return gpd.GeoDataFrame(rows, crs=GK108, **kw)


def make_project(*, user_crs: str = "EPSG:4490"):
    from gridtool.layers import Layer
    from gridtool.project import Project

    villages = _gdf([{"name": "东方广场社区", "code": "500101001001", "geometry": box(X0, Y0, X0 + 1000, Y0 + 1000)},
                     {"name": XSS, "code": "500101001002", "geometry": box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000)}])
    grids, subgrids = [], []
    for v in range(2):
        for k in range(2):
            x = X0 + 1000 * v + 500 * k
            code = f"50010100100{v + 1}-{k + 1:02d}"
            grids.append({"village": villages["name"][v], "village_code": villages["code"][v], "hh": 350 + 10 * k,
                          "status": "ok" if k == 0 else "exception", "note": "" if k == 0 else "too_small",
                          "code": code, "worker": "赵六" if k == 0 else "", "worker_phone": PHONE,
                          "locked": bool(k), "polsby_popper": 0.5, "place_names": "学校、" * 120,
                          "geometry": box(x, Y0, x + 500, Y0 + 1000)})
            for j in range(2):
                geom = box(x, Y0 + 500 * j, x + 500, Y0 + 500 * (j + 1))
                if v == 1 and k == 1 and j == 1:
                    geom = GeometryCollection([geom, LineString([(x, Y0), (x + 1, Y0 + 1)])])
                subgrids.append({"grid": code, "village": villages["name"][v], "hh": 30 + j, "kind": "area",
                                 "code": f"{code}-{j + 1:02d}", "geometry": geom})
    rng = np.random.default_rng(3)
    xy = np.column_stack([X0 + 20 + rng.random(60) * 1960, Y0 + 20 + rng.random(60) * 960])
    households = _gdf({"hh": rng.integers(1, 6, 60), "户主姓名": [NAMES[i % 4] for i in range(60)],
                       "联系电话": [PHONE] * 60, "身份证号": [ID_NUMBER] * 60,
                       "grid": [f"50010100100{int((x - X0) // 1000) + 1}-{int((x - X0) % 1000 // 500) + 1:02d}"
                                for x in xy[:, 0]], "subgrid": "", "village": "",
                       "src_id": [f"row {i + 2}" for i in range(60)]},
                      geometry=[Point(x, y) for x, y in xy])
    places = _gdf([{"category": "school", "name": "实验小学", "priority": 1, "geometry": box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 180)},
                   {"category": "hospital", "name": XSS_IMG, "priority": 2, "geometry": Point(X0 + 700, Y0 + 300)},
                   {"category": "police", "name": "城南派出所", "priority": 1, "geometry": Point(X0 + 1200, Y0 + 500)},
                   {"category": "camera", "name": "雪亮工程 12 号", "priority": 3, "geometry": Point(X0 + 1600, Y0 + 800)}])
    special = _gdf([{"village": "东方广场社区", "category": "school", "name": "实验小学", "hh": 0,
                     "code": "500101001001-Z01", "kind": "special", "geometry": box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 180)}])
    corridors = _gdf([{"code": "ZX-河流", "kind": "river", "name": "河流专项网格", "width_m": 50.0,
                       "geometry": LineString([(X0 + 980, Y0), (X0 + 1020, Y0 + 1000)]).buffer(25)}])
    routes = _gdf([{"team": 1, "station": "城南派出所", "stops": 3, "length_km": 2.4, "minutes": 60, "start": "14:00",
                    "end": "15:00", "mode": "walk", "geometry": LineString([(X0 + 1200, Y0 + 500), (X0 + 700, Y0 + 300),
                                                                          (X0 + 150, Y0 + 140), (X0 + 1200, Y0 + 500)])},
                   {"team": 2, "station": "城南派出所", "stops": 2, "length_km": 1.1, "minutes": 30, "start": "14:00",
                    "end": "14:30", "mode": "walk", "geometry": LineString([(X0 + 1200, Y0 + 500), (X0 + 1600, Y0 + 800),
                                                                          (X0 + 1200, Y0 + 500)])}])
    stops = _gdf([{"team": t, "seq": s, "place": p, "arrive": a, "depart": d, "dwell_min": 5, "window": w,
                   "geometry": Point(x, y)}
                  for t, s, p, a, d, w, x, y in [
                      (1, 1, XSS_IMG, "14:10", "14:15", "", X0 + 700, Y0 + 300),
                      (1, 2, "实验小学", "14:30", "14:35", "16:30-17:30", X0 + 150, Y0 + 140),
                      (1, 3, "城南派出所", "14:55", "15:00", "", X0 + 1200, Y0 + 500),
                      (2, 1, "雪亮工程 12 号", "14:10", "14:15", "", X0 + 1600, Y0 + 800),
                      (2, 2, "城南派出所", "14:25", "14:30", "", X0 + 1200, Y0 + 500)]])
    circles = _gdf([{"station": "城南派出所", "minutes": m, "mode": "walk", "geometry": Point(X0 + 1200, Y0 + 500).buffer(r)}
                    for m, r in ((15, 700), (10, 450))])
    project = Project(name="测试镇 test township", crs=pyproj.CRS(GK108), user_crs=user_crs)
    sens = {"户主姓名": "name", "联系电话": "phone", "身份证号": "id_number"}
    for role, gdf in [("households", households), ("villages", villages), ("places", places),
                      ("grids", _gdf(grids)), ("subgrids", _gdf(subgrids)), ("special_grids", special),
                      ("corridors", corridors), ("routes", routes), ("route_stops", stops), ("circles", circles)]:
        project.layers[role] = Layer(role=role, gdf=gdf, source="", crs_in=user_crs,
                                     sensitive=sens if role == "households" else {})
    return project


def add_incidents(project, n: int = 3000, seed: int = 1):
    """Put ``n`` incident records (three dense clusters over an even background, an escaped-text
    type, the caller's name and phone) and three hot spots on them into ``project``."""
    from gridtool.incidents import normalise_incident_columns
    from gridtool.layers import Layer

    rng = np.random.default_rng(seed)
    centres = np.array([[X0 + 400, Y0 + 300], [X0 + 1500, Y0 + 700], [X0 + 900, Y0 + 800]])
    which = rng.integers(0, 4, n)
    xy = np.column_stack([X0 + rng.random(n) * 2000, Y0 + rng.random(n) * 1000])
    for c in range(3):
        xy[which == c] = centres[c] + rng.normal(0, 40, ((which == c).sum(), 2))
    records = _gdf({"报警时间": [f"2024/03/{1 + i % 28:02d} {i % 24:02d}:15" for i in range(n)],
                    "警情类别": [XSS if i % 3 == 0 else "盗窃" for i in range(n)],
                    "报警人": [NAMES[i % 4] for i in range(n)], "联系电话": [PHONE] * n},
                   geometry=[Point(x, y) for x, y in xy])
    used: dict = {}
    records = normalise_incident_columns(records, {}, used)
    project.layers["incidents"] = Layer(role="incidents", gdf=records, columns_used=used)
    held = [int((which == c).sum()) for c in range(3)]
    spots = _gdf({"rank": [1, 2, 3], "name": ["热点1", "热点2", "热点3"], "incidents": held,
                  "share": [h / n for h in held], "peak_hours": ["20:00-22:00", "", ""], "peak_incidents": [90, 0, 0],
                  "types": [f"盗窃 9、{XSS} 3", "", ""], "street": ["东方路", XSS, ""], "team": [1, 0, 2],
                  "arrive": ["14:20", "", "15:00"], "window": ["", "", ""]},
                 geometry=[Point(*c) for c in centres])
    project.layers["hotspots"] = Layer(role="hotspots", gdf=spots)
    project.parameters["hotspots"] = {"total": n, "on_network": n, "max_snap": 100.0, "bandwidth": 150.0,
                                      "radius": 75.0}
    return project


def make_crowded_villages(nx: int = 6, ny: int = 4, size: float = 300.0, *, rotate: float = 0.0):
    """``nx`` × ``ny`` small villages (``size`` metres square), each split into two grids whose
    labels fill the village's middle: the village names have to find other room. ``rotate``
    turns the whole township (degrees) about its corner, e.g. 90 to make a wide one tall."""
    from gridtool.layers import Layer
    from gridtool.project import Project

    villages, grids = [], []
    for j in range(ny):
        for i in range(nx):
            k = j * nx + i
            x, y = X0 + i * size, Y0 + j * size
            code = f"500101001{k + 1:03d}"
            name = f"{'东南西北上下前后'[k % 8]}{'山水田林湾坝沟岭'[k // 8 % 8]}{k + 1}村"
            villages.append({"name": name, "code": code, "geometry": box(x, y, x + size, y + size)})
            for h in range(2):
                grids.append({"village": name, "village_code": code, "code": f"{code}-{h + 1:02d}", "hh": 350 + h,
                              "status": "ok", "geometry": box(x + h * size / 2, y, x + (h + 1) * size / 2, y + size)})
    project = Project(name="拥挤测试", crs=pyproj.CRS(GK108), user_crs="EPSG:4490")
    for role, rows in (("villages", villages), ("grids", grids)):
        gdf = _gdf(rows)
        if rotate:
            gdf = gdf.set_geometry(gdf.geometry.rotate(rotate, origin=(X0, Y0)))
        project.layers[role] = Layer(role=role, gdf=gdf, source="", crs_in="EPSG:4490")
    return project
