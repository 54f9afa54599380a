"""What the legend calls a road class: highway words (县道、乡道、村道) for rural data, street words
(主干路、支路、街巷) for towns.

A road's ``class`` is an OSM ``highway`` value (:mod:`gridtool.lineclasses`), which says how
important the road is, not which network it belongs to: ``secondary`` is a 县道 in a county's
highway data and a 次干路 in a city's street data. Each road is put in one of two systems from what
its source says — the class column's own word (县道 or 次干路), a route number (X012 is a 县道), a
name (…乡道), a 三调 land-use code (1003 公路用地 / 1004 城镇村道路用地) or a GB/T 13923 medium class
(42/44 highway and rural road, 43 urban road). Roads whose source says neither take the system most
of the layer's roads say; when none says anything (OSM tags), the mix of classes decides: more
tracks and village roads than residential streets is rural.
"""

from __future__ import annotations

import re
from typing import Iterable

import numpy as np
import pandas as pd

from ..lineclasses import ROAD_CLASSES, _feature_code, _REF, dlbm_parse, find

RURAL, URBAN = "rural", "urban"

#: Legend names by system. Classes named alike in both systems are in both tables.
CLASS_NAMES: dict[str, dict[str, str]] = {
    RURAL: {"motorway": "高速公路", "trunk": "国道", "primary": "省道", "secondary": "县道", "tertiary": "乡道",
            "unclassified": "村道", "residential": "街巷", "living_street": "街巷", "service": "内部道路",
            "track": "机耕路", "road": "其他道路", "pedestrian": "步行街", "footway": "步行道", "path": "小路",
            "steps": "台阶", "cycleway": "自行车道", "bridleway": "小路"},
    URBAN: {"motorway": "高速公路", "trunk": "快速路", "primary": "主干路", "secondary": "次干路", "tertiary": "支路",
            "unclassified": "街巷", "residential": "街巷", "living_street": "街巷", "service": "内部道路",
            "track": "机耕路", "road": "其他道路", "pedestrian": "步行街", "footway": "步行道", "path": "小路",
            "steps": "台阶", "cycleway": "自行车道", "bridleway": "小路"},
}
#: At most this many class names in one legend row; more end in "等".
MAX_NAMES = 3

_RURAL_WORDS = re.compile(r"国道|省道|县道|乡道|村道|公路|通村|村级|乡镇道路|机耕|农村道路|等外|^[一二三四]级")
_URBAN_WORDS = re.compile(r"快速路|主干|次干|支路|街巷|巷道|小区道路|城市道路|城镇道路|城镇村道路|高架")
# Classes only one system has many of (service and paths are everywhere).
_RURAL_CLASSES = ("track", "unclassified")
_URBAN_CLASSES = ("residential", "living_street", "pedestrian")
_OURS = ("class", "class_src", "geometry", "src_id", "osm_id")


def _word_system(value) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    s = str(value)
    if _URBAN_WORDS.search(s):  # 城镇村道路 says 村 but is the street land of towns and villages
        return URBAN
    return RURAL if _RURAL_WORDS.search(s) else None


def _ref_system(value) -> str | None:
    if not isinstance(value, str):
        return None
    m = _REF.search(value.upper())
    # X/Y/C (county, township, village) and three-digit G/S (国道/省道) are highway route numbers.
    return RURAL if m and (m.group(1) in "XYC" or (m.group(1) in "GS" and len(m.group(2)) == 3)) else None


def _code_system(value) -> str | None:
    f = _feature_code(value)
    if f is None or f[0] != "road":
        return None
    return {"highway": RURAL, "rural": RURAL, "urban": URBAN}.get(f[1])


def _dlbm_system(value) -> str | None:
    f = dlbm_parse(value) if value is not None else None
    if f is None or f[0] != "road":
        return None
    return {"highway": RURAL, "track": RURAL, "residential": URBAN}.get(f[1])


def road_systems(roads: pd.DataFrame) -> np.ndarray:
    """``"rural"`` or ``"urban"`` for every road of ``roads`` (a roads layer as imported).

    Parameters
    ----------
    roads
        The layer with its ``class`` column and the source columns kept beside it.

    Returns
    -------
    numpy.ndarray
        One system per row, in the layer's order.
    """
    n = len(roads)
    out = np.full(n, None, dtype=object)
    cols = [c for c in roads.columns if c not in _OURS]
    readers = (("tag", _word_system), ("name", _word_system), ("dlmc", _word_system), ("ref", _ref_system),
               ("code", _code_system), ("dlbm", _dlbm_system))
    for what, read in readers:
        col = find(cols, what)
        if col is None:
            continue
        todo = pd.isna(out)
        if not todo.any():
            break
        vals = roads[col].to_numpy()
        out[todo] = [read(v) for v in vals[todo]]
    if "class_src" in roads:  # a class read from a route number is a highway's, whatever the column
        out[pd.isna(out) & (roads["class_src"].astype(str).to_numpy() == "ref")] = RURAL
    said = out[~pd.isna(out)]
    if len(said):
        default = RURAL if (said == RURAL).sum() >= (said == URBAN).sum() else URBAN
    else:
        default = _system_from_classes(roads)
    out[pd.isna(out)] = default
    return out


def _system_from_classes(roads: pd.DataFrame) -> str:
    """The system the class mix suggests, weighted by length (no road says its own)."""
    if "class" not in roads or not len(roads):
        return RURAL
    cls = roads["class"].astype(str).str.removesuffix("_link")
    length = roads.geometry.length.to_numpy() if hasattr(roads, "geometry") else np.ones(len(roads))
    rural = float(length[cls.isin(_RURAL_CLASSES).to_numpy()].sum())
    urban = float(length[cls.isin(_URBAN_CLASSES).to_numpy()].sum())
    return URBAN if urban > rural else RURAL


def class_name(cls: str, system: str) -> str:
    """The legend name of one OSM class in one system (``("secondary", "rural")`` → ``"县道"``)."""
    c = str(cls).removesuffix("_link")
    return CLASS_NAMES[system].get(c, CLASS_NAMES[system]["road"])


def legend_label(classes: Iterable[str], systems: Iterable[str]) -> str:
    """One legend row for the roads drawn with one symbol: the names of the classes present, most
    important first (``"省道、县道"``), at most :data:`MAX_NAMES` and then "等"."""
    order = {c: i for i, c in enumerate(ROAD_CLASSES)}
    pairs = sorted({(str(c).removesuffix("_link"), s) for c, s in zip(classes, systems)},
                   key=lambda p: (order.get(p[0], len(order)), p[1]))
    names = list(dict.fromkeys(class_name(c, s) for c, s in pairs))
    return "、".join(names[:MAX_NAMES]) + ("等" if len(names) > MAX_NAMES else "")
