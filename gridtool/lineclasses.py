"""Classes of roads, watercourses, railways and land parcels from every schema planners hold.

A road may say what it is in an OSM ``highway`` tag, a Chinese grade (``国道``, ``县道``, ``一级公路``),
a 三调 land-use code (``DLBM`` 1003 公路用地, 1006 农村道路), a route number (``G318``, ``S105``,
``X012``), a GB/T 13923-style or DIGEST/FACC feature code (``f_code``), its name (``沪渝高速``,
``石柱溪``), or only its width (``wid`` in metres) or lanes. Each feature is classed by the first
source that speaks, in this order:

1. a mapping file given with ``--line-classes FILE.csv`` (``layer,column,value,class``);
2. a class column whose values are OSM tags or Chinese grade words (等级, 类型 …), or, in a grade
   column (DLDJ, LXDJ, JSDJ, 道路等级 …), codes: 1–6 (11/12/21 … by their first digit) as the
   administrative grade 国道…村道, or the technical grade 高速…等外 under a 技术等级/JSDJ header,
   and the route letters G/S/X/Y/C/Z (the mapping is said; values read by nothing are warned);
   then the CAD layer of a drawing (``Layer`` of a DXF: 主干路, 次干路, 支路, 河流, 铁路; one layer
   such as 道路中心线 names no grade and decides nothing);
3. 三调/二调 land-use codes or names (``DLBM``/``DLMC``, GB/T 21010-2017 and -2007);
4. a route number (路线编号: G/S with 1–2 or 4 digits = expressway, G### 国道, S### 省道, X 县道,
   Y 乡道, C 村道, Z 专用公路);
5. the name (高速/国道/省道/县道/乡道/村道/机耕; 江/河 → river, 溪 → stream, 渠/沟/堰 → ditch,
   湖 → lake, 水库 → reservoir, 塘 → pond; route numbers inside names);
6. a feature code: GB/T 13923 numeric codes by their medium class (41 railway, 42 inter-city
   highway, 43 urban road, 44 rural road; 21 river, 22 canal/ditch, 23 lake, 24 reservoir) and
   FACC codes (AP030 road, AP010 track, AP050 trail, AN010 railway, BH140 river, BH020 canal,
   BH030 ditch, BH080 lake, BH130 reservoir); the grade of a road inside its medium class comes
   from its width when there is one; a CAD layer named for a medium class (公路, 城市道路, 乡村道路)
   or by such a code (``430501``), or a code in the entity's extended data (``XData``), likewise;
7. the width (≥ 20 m trunk, ≥ 12 primary, ≥ 8 secondary, ≥ 6 tertiary, ≥ 4 unclassified, ≥ 2.5
   track, else path; watercourses ≥ 10 m river, ≥ 3 m stream, else ditch) or the lanes;
8. nothing: counted as unrecognised (roads stay ``unclassified``, watercourses ``river``) and
   said loudly.

Road classes are OSM ``highway`` values (so routing speeds apply unchanged); watercourse kinds
are ``river``, ``canal``, ``stream``, ``ditch``, ``lake``, ``reservoir``, ``pond``. Land parcels
(a 三调 ``DLTB`` layer given once as ``--landuse``) get a ``kind`` (road, railway, water, forest,
farmland, settlement, built, other) and the barrier ``class`` their outline makes.

The codes were checked against GB/T 21010-2017 and the 三调 working classification (and the
2007 edition's three-digit codes); GB/T 13923 is used only at its medium classes, which are
stable across its 1992, 2006 and 2022 editions. Written by hand: these schemas are Chinese
national standards that no library carries.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .columns import _key
from .plurals import plural_en
from .errors import InputFileError
from .problems import Problem

# ---------------------------------------------------------------------------------------------
# Vocabulary
ROAD_CLASSES = ("motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential",
                "service", "living_street", "pedestrian", "track", "footway", "path", "cycleway",
                "bridleway", "steps", "road")
_OSM_ROADS = set(ROAD_CLASSES) | {f"{c}_link" for c in ("motorway", "trunk", "primary", "secondary", "tertiary")}
WATER_KINDS = ("river", "canal", "stream", "ditch", "drain", "lake", "reservoir", "pond", "riverbank", "water")
#: Watercourse kinds that are the barrier class ``river`` (hard by default); the rest are ``stream``.
HARD_WATER = frozenset({"river", "canal", "riverbank", "water", "lake", "reservoir"})
LANDUSE_KINDS = ("road", "railway", "water", "forest", "farmland", "settlement", "built", "other")
#: Classes a mapping file may name, by role; ``none`` takes a feature out of the barriers.
ALLOWED = {
    "roads": set(ROAD_CLASSES) | {"railway", "none"},
    "rivers": set(WATER_KINDS) | {"none"},
    "railways": {"rail", "railway", "subway", "light_rail", "tram", "disused", "none"},
    "landuse": set(ROAD_CLASSES) | set(WATER_KINDS) | {"railway", "forest", "farmland", "settlement", "built",
                                                       "other", "none"},
}

#: Summary groups of road classes, as planners count them.
ROAD_GROUPS = (("motorway", "高速", "motorway"), ("national", "国省道", "national/provincial"),
               ("county", "县乡道", "county/township"), ("minor", "村道及以下", "village roads and below"))
WATER_GROUPS = (("river", "河流", "rivers"), ("lake", "湖库", "lakes/reservoirs"), ("pond", "坑塘", "ponds"),
                ("ditch", "沟渠溪流", "ditches/streams"))
HOW = {"mapping": ("映射文件", "mapping file"), "tag": ("等级列", "class column"),
       "cad_layer": ("CAD 图层", "CAD layer"),
       "dlbm": ("地类编码", "land-use code"), "ref": ("路线编号", "route number"),
       "name": ("名称", "name"), "code": ("要素代码", "feature code"), "width": ("宽度", "width"),
       "lanes": ("车道数", "lanes"), "default": ("未识别", "unrecognised")}
INFERRED = ("ref", "name", "width", "lanes")


def road_group(cls: str) -> str:
    c = str(cls).removesuffix("_link")
    if c == "motorway":
        return "motorway"
    if c in ("trunk", "primary"):
        return "national"
    if c in ("secondary", "tertiary"):
        return "county"
    return "minor"


def water_group(kind: str) -> str:
    if kind in ("lake", "reservoir"):
        return "lake"
    if kind == "pond":
        return "pond"
    if kind in ("stream", "ditch", "drain"):
        return "ditch"
    return "river"


# Header candidates for the columns a classifier reads (compared after columns._key).
COLUMNS = {
    "tag": ("class", "highway", "fclass", "waterway", "railway", "kind", "type", "道路等级", "等级", "道路类型",
            "道路级别", "行政等级", "技术等级", "公路等级", "公路技术等级", "road_class", "roadclass", "rclass",
            "grade", "dj", "dldj", "lxdj", "gldj", "xzdj", "jsdj", "类型", "类别", "水系类型", "河流类型", "河流等级", "铁路类型"),
    "dlbm": ("dlbm", "地类编码", "地类代码", "dldm", "tbdlbm"),
    # The CAD layer of a drawing (GDAL's DXF/DWG column, and ArcGIS's CAD export): 主干路, 河流 …
    "cad_layer": ("layer", "cad图层", "cadlayer", "图层", "图层名", "图层名称"),
    "dlmc": ("dlmc", "地类名称", "tbdlmc"),
    "ref": ("ref", "路线编号", "路线编码", "路线代码", "路线号", "道路编号", "lxbm", "lxbh", "lxdm", "roadno",
            "road_no", "route", "rn"),
    "name": ("name", "名称", "道路名称", "路名", "河流名称", "河名", "水系名称", "name:zh", "mc", "name_chn", "nam"),
    "code": ("f_code", "fcode", "gb", "gbcode", "gb_code", "要素代码", "分类代码", "要素编码", "分类码",
             "要素类型码", "feat_code", "featurecode", "fcc", "code", "xdata"),
    "width": ("wid", "width", "宽度", "路宽", "路面宽度", "道路宽度", "河宽", "kd", "lmkd", "width_m"),
    "lanes": ("lanes", "车道数", "车道", "cds", "lane"),
    "tunnel": ("tunnel", "隧道", "is_tunnel", "sd"),
    "bridge": ("bridge", "桥梁", "桥", "is_bridge", "ql"),
}
_TRUE = {"1", "yes", "true", "t", "y", "是", "隧道", "桥", "桥梁", "building_passage", "culvert", "viaduct"}

# Chinese and English grade words in class columns (first match wins).
_ROAD_WORDS = (
    (re.compile(r"高速|expressway|freeway"), "motorway"),
    (re.compile(r"快速路|快速干道|国道|national"), "trunk"),
    (re.compile(r"主干|省道|provincial|^一级"), "primary"),
    (re.compile(r"次干|县道|^二级"), "secondary"),
    (re.compile(r"支路|乡道|乡镇道路|^三级"), "tertiary"),
    (re.compile(r"村道|村级|通村|^四级"), "unclassified"),
    (re.compile(r"街巷|巷道|内部道路|小区道路|城镇村道路|城镇道路"), "residential"),
    (re.compile(r"机耕|农村道路|田间|等外|大车路"), "track"),
    (re.compile(r"台阶|阶梯"), "steps"),
    (re.compile(r"步行|人行|小路|便道|小径|游步道|乡村路|trail"), "path"),
)
_WATER_WORDS = (
    (re.compile(r"水库|reservoir"), "reservoir"),
    (re.compile(r"湖|lake"), "lake"),
    (re.compile(r"坑塘|池塘|鱼塘|养殖|塘|pond|basin"), "pond"),
    (re.compile(r"运河"), "canal"),
    (re.compile(r"沟渠|渠|水沟|排水沟|沟|堰|ditch"), "ditch"),
    (re.compile(r"drain"), "drain"),
    (re.compile(r"溪|stream|brook"), "stream"),
    (re.compile(r"江|河|干流|river"), "river"),
)
_OSM_WATER = {"river": "river", "riverbank": "riverbank", "canal": "canal", "stream": "stream", "brook": "stream",
              "ditch": "ditch", "drain": "drain", "water": "water", "lake": "lake", "reservoir": "reservoir",
              "pond": "pond", "basin": "pond", "wadi": "stream", "tidal_channel": "river"}
_NAME_ROAD = (
    (re.compile(r"高速"), "motorway"),
    (re.compile(r"快速路|高架"), "trunk"),
    (re.compile(r"国道"), "trunk"),
    (re.compile(r"省道"), "primary"),
    (re.compile(r"县道"), "secondary"),
    (re.compile(r"乡道"), "tertiary"),
    (re.compile(r"村道"), "unclassified"),
    (re.compile(r"机耕"), "track"),
    (re.compile(r"步道|便道|小路"), "path"),
)
_NAME_WATER = (
    (re.compile(r"水库$"), "reservoir"),
    (re.compile(r"湖$"), "lake"),
    (re.compile(r"塘$"), "pond"),
    (re.compile(r"运河"), "canal"),
    (re.compile(r"(?:渠|沟|堰)(?:\d+|[一二三四五六七八九十]+)?(?:支|段|号)?$"), "ditch"),
    (re.compile(r"溪(?:\d+|[一二三四五六七八九十]+)?(?:段)?$"), "stream"),
    (re.compile(r"(?:江|河)(?:[东西南北上下中]?支流|段|干流)?$"), "river"),
)
# Route numbers (JTG A03 / GB 917): G + 1–2 or 4 digits = national expressway, G + 3 = 国道;
# S likewise; X 县道, Y 乡道, C 村道, Z 专用公路, Q 其他.
_REF = re.compile(r"(?<![A-Za-z])([GSXYCZQ])(\d{1,4})(?!\d)")

# 三调 (GB/T 21010-2017 and the 三调 working classification) and 二调 (GB/T 21010-2007) codes.
_DLBM_2017 = {
    "1001": ("railway", "railway"), "1002": ("railway", "railway"),
    "1003": ("road", "highway"), "1004": ("road", "residential"), "1006": ("road", "track"),
    "1101": ("water", "river"), "1102": ("water", "lake"), "1103": ("water", "reservoir"),
    "1104": ("water", "pond"), "1107": ("water", "ditch"),
}
_DLBM_2007 = {
    "101": ("railway", "railway"), "102": ("road", "highway"), "103": ("road", "residential"),
    "104": ("road", "track"), "111": ("water", "river"), "112": ("water", "lake"), "113": ("water", "reservoir"),
    "114": ("water", "pond"), "117": ("water", "ditch"),
}
_DLMC = (
    (re.compile(r"铁路用地|轨道交通用地"), ("railway", "railway")),
    (re.compile(r"公路用地"), ("road", "highway")),
    (re.compile(r"城镇村道路用地|街巷用地"), ("road", "residential")),
    (re.compile(r"农村道路"), ("road", "track")),
    (re.compile(r"河流水面"), ("water", "river")),
    (re.compile(r"湖泊水面"), ("water", "lake")),
    (re.compile(r"水库水面"), ("water", "reservoir")),
    (re.compile(r"坑塘水面|养殖坑塘"), ("water", "pond")),
    (re.compile(r"沟渠|干渠"), ("water", "ditch")),
    (re.compile(r"林地"), ("forest", "forest")),
    (re.compile(r"水田|水浇地|旱地|园地|果园|茶园|橡胶园"), ("farmland", "farmland")),
    (re.compile(r"住宅用地|宅基地|^城市$|^建制镇$|^村庄$"), ("settlement", "settlement")),
)


def _dlbm_scheme(codes: pd.Series) -> str:
    """2017 (four characters: 1003, 0301, 1104A) or 2007 (three digits: 102, 031) codes; numbers
    read from a spreadsheet have lost their leading zero, so the column as a whole decides."""
    digits = codes.str.extract(r"^(\d+)")[0].dropna()
    if not len(digits):
        return "2017"
    if (digits.str.len() >= 4).any():
        return "2017"
    lead = digits.str.zfill(3).str[0]
    return "2017" if lead.isin(list("3456789")).any() else "2007"


def dlbm_parse(value, scheme: str = "2017") -> tuple[str, str] | None:
    """``"1003"`` → ``("road", "highway")``; ``"0301"`` → ``("forest", "forest")``; None for others."""
    s = str(value).strip().upper()
    m = re.match(r"^(\d+)([A-Z]*)", s)
    if not m:
        return None
    num = m.group(1)
    if scheme == "2017":
        num = num.zfill(4)
        if num in _DLBM_2017:
            return _DLBM_2017[num]
        head = num[:2]
        if head == "03":
            return ("forest", "forest")
        if head in ("01", "02"):
            return ("farmland", "farmland")
        if head == "07":
            return ("settlement", "settlement")
        if head in ("05", "06", "08", "09") or num[:2] == "20":
            return ("built", "built")
        return ("other", "other")
    num = num.zfill(3)
    if num in _DLBM_2007:
        return _DLBM_2007[num]
    if num[:2] == "03":
        return ("forest", "forest")
    if num[:2] in ("01", "02"):
        return ("farmland", "farmland")
    if num in ("071", "072", "201", "202", "203"):
        return ("settlement", "settlement")
    if num[:2] in ("05", "06", "08", "09", "20"):
        return ("built", "built")
    return ("other", "other")


def _feature_code(value) -> tuple[str, str] | None:
    """A GB/T 13923 (5–6 digit) or FACC (AP030 …) code → (family, class or kind) or None."""
    s = str(value).strip().upper()
    if re.fullmatch(r"[A-Z]{2}\d{3}", s):
        return {"AP030": ("road", "road"), "AP010": ("road", "track"), "AP050": ("road", "path"),
                "AN010": ("railway", "railway"), "AN050": ("railway", "railway"),
                "BH140": ("water", "river"), "BH020": ("water", "canal"), "BH030": ("water", "ditch"),
                "BH080": ("water", "lake"), "BH130": ("water", "reservoir"), "BH040": ("water", "ditch"),
                "AQ130": ("tunnel", "tunnel"), "AQ040": ("bridge", "bridge")}.get(s)
    if not re.fullmatch(r"\d{5,6}", s):
        return None
    head = s[:2]
    if s.startswith("2201"):
        return ("water", "canal")
    return {"41": ("railway", "railway"), "42": ("road", "highway"), "43": ("road", "urban"),
            "44": ("road", "rural"), "21": ("water", "river"), "22": ("water", "ditch"),
            "23": ("water", "lake"), "24": ("water", "reservoir")}.get(head)


def road_from_width(w: float) -> str | None:
    if not np.isfinite(w) or w <= 0:
        return None
    for lim, cls in ((20, "trunk"), (12, "primary"), (8, "secondary"), (6, "tertiary"), (4, "unclassified"),
                     (2.5, "track")):
        if w >= lim:
            return cls
    return "path"


def road_from_lanes(n: float) -> str | None:
    if not np.isfinite(n) or n <= 0:
        return None
    return "trunk" if n >= 6 else "primary" if n >= 4 else "secondary" if n >= 3 else "tertiary" if n >= 2 \
        else "unclassified"


def water_from_width(w: float) -> str | None:
    if not np.isfinite(w) or w <= 0:
        return None
    return "river" if w >= 10 else "stream" if w >= 3 else "ditch"


def road_from_ref(text) -> str | None:
    if not isinstance(text, str) or not text:
        return None
    m = _REF.search(text.upper())
    if not m:
        return None
    letter, num = m.group(1), m.group(2)
    if letter in "GS":
        if len(num) in (1, 2, 4):
            return "motorway"
        return "trunk" if letter == "G" else "primary"
    return {"X": "secondary", "Y": "tertiary", "C": "unclassified", "Z": "service", "Q": "unclassified"}[letter]


def road_from_word(text) -> str | None:
    """A class column's value: an OSM tag, or a Chinese grade word."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    s = str(text).strip().lower()
    if not s:
        return None
    if s in _OSM_ROADS:
        return s
    for pat, cls in _ROAD_WORDS:
        if pat.search(s):
            return cls
    return None


# CAD layers that name a GB/T 13923 medium class (公路 42, 城市道路 43, 乡村道路 44) or only "road"
# (道路中心线, CASS's DLSS, DL): the lines are roads; the grade comes from the width, else the class's
# default (as for a feature code), and a bare "road" layer decides no grade.
_CAD_MEDIUM = (
    (re.compile(r"城市道路|城镇道路|市政道路|城区道路|街道|urban"), "urban"),
    (re.compile(r"城际公路|公路|highway"), "highway"),
    (re.compile(r"乡村道路|农村道路|乡村路|rural"), "rural"),
    (re.compile(r"道路|^(dl|dlss|dlx|dlxx|dlzx|dlzxx|road|roads)$"), "road"),
)
_MEDIUM_DEFAULT = {"highway": "secondary", "urban": "residential", "rural": "track", "road": None}
_CODE_IN_NAME = re.compile(r"(?<!\d)(4[1-4]\d{4})(?!\d)")


def cad_layer_medium(text) -> str | None:
    """A CAD layer's medium road class: ``highway``, ``urban``, ``rural``, ``road`` (a road of no
    class), ``railway`` (a 41xxxx code in the name), or None when the layer names no road."""
    if not isinstance(text, str) or not text.strip():
        return None
    s = text.strip().lower()
    m = _CODE_IN_NAME.search(s)
    if m:
        fc = _feature_code(m.group(1))
        if fc is not None:
            return fc[1] if fc[0] == "road" else fc[0]
    for pat, medium in _CAD_MEDIUM:
        if pat.search(s):
            return medium
    return None


def is_road_layer(text) -> bool:
    """A CAD layer whose lines are roads: named by grade (主干路, 县道), by medium class (城市道路,
    公路) or as roads at all (道路中心线, DLSS)."""
    return road_from_word(text) is not None or cad_layer_medium(text) not in (None, "railway")


# What the CAD layers of a survey drawing hold, so that a drawing given as roads, rivers or railways
# reads only those layers: the names surveyors write (水系, 河流, 沟渠, 等高线, 房屋 …), CASS's layer
# codes (SXSS 水系设施, DLSS 交通设施 — roads and railways both, JMD 居民地, DGX 等高线, JJ 境界,
# ZBTZ 植被, GXYZ 管线, DMTZ 地貌, DLDW 独立地物, YZH 垣栅, KZD 控制点, GCD 高程点, TK 图框; GQ 沟渠
# of land consolidation drawings), and GB/T 13923 codes in the name by their major class.
# (theme, zh, en, pattern); the first that matches wins, so 铁路 is not read as a road (路).
CAD_THEMES = (
    ("railway", "铁路", "railways", re.compile(r"铁路|铁道|轨道交通|地铁|轻轨|高铁|^(tl|rail|railways?)$")),
    ("traffic", "交通设施", "transport", re.compile(r"交通|^(dlss|jt|jtss)$")),
    ("water", "水系", "water", re.compile(r"水系|河流|河道|河涌|沟渠|水渠|渠道|水涯|坎儿井|湖泊|水库|坑塘|"
                                          r"^(sx|sxss|hl|gq|hydro|water|waterways?|rivers?)$")),
    ("contour", "等高线", "contours", re.compile(r"等高线|首曲线|计曲线|间曲线|^dgx$|contour")),
    ("building", "居民地", "buildings", re.compile(r"房屋|居民地|建筑|^(jmd|fw)$|building")),
    ("boundary", "境界", "boundaries", re.compile(r"境界|界线|村界|镇界|县界|行政区|权属|宗地|"
                                                 r"^(jj|xzq|zd|jzd|jzx|dljx)$|boundar")),
    ("pipe", "管线", "pipelines", re.compile(r"管线|管道|电力线|通信线|^(gx|gxyz)$|pipe")),
    ("vegetation", "植被", "vegetation", re.compile(r"植被|土质|^zbtz$")),
    ("relief", "地貌", "relief", re.compile(r"地貌|陡坎|斜坡|^dmtz$")),
    ("structure", "独立地物", "structures", re.compile(r"独立地物|垣栅|围墙|^(dldw|yzh)$")),
    ("control", "控制点", "survey points", re.compile(r"控制点|高程点|^(kzd|gcd)$")),
    ("frame", "图框", "map frame", re.compile(r"图框|图廓|注记|^(tk|zj)$")),
)
THEME_NAMES = {t: (zh, en) for t, zh, en, _ in CAD_THEMES} | {"road": ("道路", "roads")}
# GB/T 13923 major classes (first digit; 2 and 4 by their medium class): 1 定位基础, 3 居民地,
# 5 管线, 6 境界, 7 地貌 (71 等高线), 8 植被. 25–27 (海洋, 其他水系要素, 水利设施) and 45+ say nothing here.
_GB_MAJOR = {"1": "control", "3": "building", "5": "pipe", "6": "boundary", "7": "relief", "8": "vegetation"}
_GB_IN_NAME = re.compile(r"(?<!\d)([1-8]\d{5})(?!\d)")
#: The barrier roles' themes: a role reads the layers of its themes; the layers of ``neutral``
#: themes (DLSS holds railways among the roads) only when no layer of its own theme is there.
ROLE_THEMES = {"roads": ({"road", "traffic"}, set()), "rivers": ({"water"}, set()),
               "railways": ({"railway"}, {"traffic"})}


def cad_layer_theme(text) -> str | None:
    """What a CAD layer holds (a key of :data:`THEME_NAMES`: ``road``, ``water``, ``railway``,
    ``contour``, ``building`` …), or None for a name that says nothing (``0``, ``Layer1``)."""
    if not isinstance(text, str) or not text.strip():
        return None
    s = text.strip().lower()
    m = _GB_IN_NAME.search(s)
    if m:
        fc = _feature_code(m.group(1))
        if fc is not None and fc[0] in ("road", "railway", "water"):
            return fc[0]
        if m.group(1)[:2] == "71":
            return "contour"
        if m.group(1)[0] in _GB_MAJOR:
            return _GB_MAJOR[m.group(1)[0]]
    for theme, _, _, pat in CAD_THEMES[:2]:
        if pat.search(s):
            return theme
    if is_road_layer(s):
        return "road"
    for theme, _, _, pat in CAD_THEMES[2:]:
        if pat.search(s):
            return theme
    return "water" if water_from_word(s) is not None else None


def cass_code_theme(code) -> str | None:
    """The theme of a CASS code (extended data of app ``SOUTH``): CASS numbers its symbols by the
    1995 图式 section plus 10, so 14xxxx is 居民地 (141121 砖房) and 18xxxx 水系 (181101 水涯线).
    Only these two were confirmed; other CASS codes (and 21xxxx, which GB/T 13923 calls 河流)
    say nothing, and the layer name decides."""
    s = str(code).strip()
    if not re.fullmatch(r"\d{6}", s):
        return None
    return {"14": "building", "18": "water"}.get(s[:2])


# Road grade columns holding number codes. 行政等级 (国道 … 村道) is what township and 基础测绘
# road layers mostly code; a header naming the technical grade (技术等级, JSDJ, GLDJ) means
# 高速/一级/二级 … Two-digit codes (11, 12, 21 …) are read by their first digit, the grade.
_ADMIN_CODES = {1: ("国道", "trunk"), 2: ("省道", "primary"), 3: ("县道", "secondary"), 4: ("乡道", "tertiary"),
                5: ("村道", "unclassified"), 6: ("专用公路", "service")}
_TECH_CODES = {1: ("高速公路", "motorway"), 2: ("一级公路", "primary"), 3: ("二级公路", "secondary"),
               4: ("三级公路", "tertiary"), 5: ("四级公路", "unclassified"), 6: ("等外公路", "track")}
_GRADE_KEYS = {"dldj", "lxdj", "gldj", "xzdj", "jsdj", "dj", "grade", "rclass", "roadclass", "road_class"}


def _grade_header(column) -> str | None:
    """``"tech"`` or ``"admin"`` for a road grade column whose numbers are grade codes, else None
    (``class``, ``type``, ``kind`` columns hold other numbers)."""
    k = _key(column)
    if "技术" in k or k in ("jsdj", "gldj", "公路等级"):
        return "tech"
    if k in _GRADE_KEYS or "等级" in k or "级别" in k:
        return "admin"
    return None


def _code_number(v) -> int | None:
    import unicodedata
    if v is None or isinstance(v, bool) or (isinstance(v, float) and not np.isfinite(v)):
        return None
    if isinstance(v, (int, float, np.integer, np.floating)):
        return int(v) if float(v).is_integer() else None
    t = unicodedata.normalize("NFKC", str(v)).strip()
    t = t[:-2] if t.endswith(".0") else t
    return int(t) if t.isdigit() else None


#: 路线行政等级 letters (JTG): a 路线等级 column often holds the letter of the route number alone.
_ADMIN_LETTERS = {"G": ("国道", "trunk"), "S": ("省道", "primary"), "X": ("县道", "secondary"), "Y": ("乡道", "tertiary"),
                  "C": ("村道", "unclassified"), "Z": ("专用公路", "service")}


def road_grade_codes(values: pd.Series, column: str) -> tuple[pd.Series, list[tuple[str, str, str, int]]]:
    """Classes from a grade column's codes: (classes, [(value, zh, class, count)] read). Numbers 1–6
    by the table of the header's kind, 10–69 by their first digit; the letters G/S/X/Y/C/Z."""
    import unicodedata
    table = _TECH_CODES if _grade_header(column) == "tech" else _ADMIN_CODES
    out = pd.Series([None] * len(values), index=values.index, dtype=object)
    read: dict[str, list] = {}
    for idx, v in values.items():
        n = _code_number(v)
        letter = unicodedata.normalize("NFKC", v).strip().upper() if isinstance(v, str) else ""
        if n is not None:
            grade = n if 1 <= n <= 6 else n // 10 if 10 <= n <= 69 and 1 <= n // 10 <= 6 else None
            if grade is None:
                continue
            shown, (zh, cls) = str(n), table[grade]
        elif letter in _ADMIN_LETTERS:
            shown, (zh, cls) = letter, _ADMIN_LETTERS[letter]
        else:
            continue
        out.at[idx] = cls
        read.setdefault(shown, [zh, cls, 0])[2] += 1
    order = sorted(read.items(), key=lambda kv: (not kv[0].isdigit(), int(kv[0]) if kv[0].isdigit() else 0, kv[0]))
    return out, [(v, *r) for v, r in order]


def water_from_word(text) -> str | None:
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    s = str(text).strip().lower()
    if s in _OSM_WATER:
        return _OSM_WATER[s]
    for pat, kind in _WATER_WORDS:
        if pat.search(s):
            return kind
    return None


def road_from_name(text) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return None
    for pat, cls in _NAME_ROAD:
        if pat.search(text):
            return cls
    return road_from_ref(text)


def water_from_name(text) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return None
    t = re.sub(r"[（(].*?[)）]", "", text.strip())
    for pat, kind in _NAME_WATER:
        if pat.search(t):
            return kind
    return None


# ---------------------------------------------------------------------------------------------
# Mapping files
@dataclass(frozen=True)
class Rule:
    layer: str
    column: str
    value: str
    cls: str
    line: int


_MAP_HEADERS = {"layer": ("layer", "图层", "role"), "column": ("column", "列", "字段", "field"),
                "value": ("value", "值", "取值"), "class": ("class", "类别", "等级", "kind")}


def read_mapping(path: str | Path) -> list[Rule]:
    """Rules of a ``--line-classes`` CSV file: ``layer,column,value,class`` (Chinese headers
    图层,列,值,类别 also read; UTF-8 with or without BOM, or GBK). ``layer`` is a role (roads,
    rivers, railways, landuse), the file's layer name or ``*``; ``value`` ``*`` matches any value."""
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"找不到线类映射文件 {p}", f"line-class mapping file not found: {p}",
                             fix_zh="检查 --line-classes 的路径。", fix_en="check the --line-classes path.", file=str(p))
    raw = p.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    rows = list(csv.reader(text.splitlines()))
    rows = [r for r in rows if any(c.strip() for c in r) and not r[0].lstrip().startswith("#")]
    if not rows:
        raise InputFileError("线类映射文件是空的", "the line-class mapping file is empty",
                             fix_zh="第一行写 layer,column,value,class，其后每行一条规则。",
                             fix_en="write layer,column,value,class on the first line, one rule per line after it.",
                             file=str(p))
    head = [_key(h) for h in rows[0]]
    pos = {}
    for k, names in _MAP_HEADERS.items():
        for n in names:
            if _key(n) in head:
                pos[k] = head.index(_key(n))
                break
    if len(pos) < 4:
        missing = [k for k in _MAP_HEADERS if k not in pos]
        raise InputFileError(
            f"线类映射文件缺少列：{', '.join(missing)}", f"the line-class mapping file lacks {plural_en(len(missing), 'column')}: "
            f"{', '.join(missing)}",
            fix_zh="第一行应为 layer,column,value,class（或 图层,列,值,类别）。",
            fix_en="the first line must be layer,column,value,class (or 图层,列,值,类别).", file=str(p))
    out = []
    for i, r in enumerate(rows[1:], start=2):
        r = r + [""] * (4 - len(r))
        layer, column, value, cls = (r[pos[k]].strip() for k in ("layer", "column", "value", "class"))
        role = layer.lower()
        allowed = ALLOWED.get(role, set().union(*ALLOWED.values()))
        if cls.lower() not in allowed:
            raise InputFileError(
                f"线类映射文件第 {i} 行的类别“{cls}”不认识", f"line {i} of the mapping file: unknown class {cls!r}",
                fix_zh="可用的类别：" + "、".join(sorted(allowed)), fix_en="classes: " + ", ".join(sorted(allowed)),
                file=str(p), feature=f"line {i}", field="class")
        if not column:
            raise InputFileError(f"线类映射文件第 {i} 行没有列名", f"line {i} of the mapping file names no column",
                                 fix_zh="填写源数据中的列名，如 DLBM。", fix_en="give the source column, e.g. DLBM.",
                                 file=str(p), feature=f"line {i}", field="column")
        out.append(Rule(layer or "*", column, value, cls.lower(), i))
    return out


def _rules_for(rules, role: str, layer_name: str | None, columns) -> list[Rule]:
    names = {role.lower(), "*", ""} | ({str(layer_name).lower()} if layer_name else set())
    have = {str(c) for c in columns}
    return [r for r in rules or () if r.layer.lower() in names and r.column in have]


def _apply_rules(df: pd.DataFrame, rules: list[Rule]) -> pd.Series:
    out = pd.Series([None] * len(df), index=df.index, dtype=object)
    for r in rules:
        vals = df[r.column].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v))
                                else (str(int(v)) if isinstance(v, float) and float(v).is_integer() else str(v)).strip())
        hit = (vals != "") if r.value == "*" else (vals.str.lower() == r.value.lower())
        out[hit & out.isna()] = r.cls
    return out


# ---------------------------------------------------------------------------------------------
def find(columns, what: str, fields: dict | None = None) -> str | None:
    """A source column for one of the classifier's inputs (``fields[what]`` wins)."""
    if fields and fields.get(what) in list(columns):
        return fields[what]
    keys = {_key(c): c for c in reversed(list(columns)) if c != "geometry"}
    for cand in COLUMNS[what]:
        if _key(cand) in keys:
            return keys[_key(cand)]
    return None


def _flag(series: pd.Series) -> pd.Series:
    if series.dtype == bool:
        return series.fillna(False)
    return series.map(lambda v: False if v is None or (isinstance(v, float) and np.isnan(v))
                      else str(v).strip().lower() in _TRUE).astype(bool)


def _numbers(series: pd.Series) -> np.ndarray:
    s = series.astype(str).str.extract(r"([-+]?\d+(?:\.\d+)?)")[0] if series.dtype == object else series
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)


@dataclass
class Classified:
    values: pd.Series        # class (roads), kind (rivers/railways/landuse)
    how: pd.Series           # which source decided, one of HOW
    summary: dict
    problems: list[Problem]
    extra: dict              # role-specific columns (tunnel, bridge, barrier class of parcels, dlbm)


def classify(role: str, df: pd.DataFrame, *, fields: dict | None = None, rules: list[Rule] | None = None,
             layer_name: str | None = None, where: dict | None = None) -> Classified:
    """Class every feature of a roads, rivers, railways or landuse layer; see the module docstring."""
    fields = dict(fields or {})
    cols = [c for c in df.columns if c != "geometry"]
    found = {w: find(cols, w, fields) for w in COLUMNS}
    if fields.get("class") in cols:
        found["tag"] = fields["class"]
    if role in ("rivers", "railways", "landuse") and fields.get("kind") in cols:
        found["tag"] = fields["kind"]
    n = len(df)
    val = pd.Series([None] * n, index=df.index, dtype=object)
    how = pd.Series(["default"] * n, index=df.index, dtype=object)
    extra: dict = {}

    def fill(values: pd.Series, label: str) -> None:
        todo = val.isna() & values.notna()
        val[todo] = values[todo]
        how[todo] = label

    rule_cols = _rules_for(rules, role, layer_name, cols)
    if rule_cols:
        fill(_apply_rules(df, rule_cols), "mapping")
    used: dict[str, str] = {}
    geom_poly = None
    if "geometry" in df:
        import shapely
        geom_poly = shapely.get_type_id(df.geometry.values) >= 3
    notes: list[tuple[str, str]] = []  # what was guessed, said in the layer's class summary
    warnings: list[Problem] = []
    if role == "roads":
        if found["tag"]:
            fill(df[found["tag"]].map(road_from_word), "tag")
            if _grade_header(found["tag"]):
                _grade_numbers(df, found["tag"], val, fill, notes, warnings, where or {})
        if found["cad_layer"]:
            fill(df[found["cad_layer"]].map(road_from_word), "cad_layer")
        _from_dlbm(df, found, fill, role)
        if found["ref"]:
            fill(df[found["ref"]].map(road_from_ref), "ref")
        if found["name"]:
            fill(df[found["name"]].map(road_from_name), "name")
        width = _numbers(df[found["width"]]) if found["width"] else np.full(n, np.nan)
        lanes = _numbers(df[found["lanes"]]) if found["lanes"] else np.full(n, np.nan)
        if found["code"]:
            fc = df[found["code"]].map(_feature_code)
            by_code, by_width = [], []
            for f, w in zip(fc, width):
                if f is None or f[0] not in ("road", "railway"):
                    by_code.append(None)
                    by_width.append(None)
                elif f[0] == "railway":
                    by_code.append("railway")
                    by_width.append(None)
                elif road_from_width(w):  # a road of a medium class: its grade from the width …
                    by_code.append(None)
                    by_width.append(road_from_width(w))
                else:  # … else the class's default
                    by_code.append({"highway": "secondary", "urban": "residential", "rural": "track",
                                    "road": "unclassified"}.get(f[1], f[1]))
                    by_width.append(None)
            fill(pd.Series(by_code, index=df.index, dtype=object), "code")
            fill(pd.Series(by_width, index=df.index, dtype=object), "width")
            extra["tunnel_code"] = fc.map(lambda f: f is not None and f[0] == "tunnel").to_numpy()
        if found["cad_layer"]:
            _cad_medium(df, found["cad_layer"], width, val, how, fill, notes)
        fill(pd.Series([road_from_width(w) for w in width], index=df.index, dtype=object), "width")
        fill(pd.Series([road_from_lanes(x) for x in lanes], index=df.index, dtype=object), "lanes")
        val = val.fillna("unclassified")
    elif role == "rivers":
        if found["tag"]:
            fill(df[found["tag"]].map(water_from_word), "tag")
        if found["cad_layer"]:
            fill(df[found["cad_layer"]].map(water_from_word), "cad_layer")
        _from_dlbm(df, found, fill, role)
        if found["name"]:
            fill(df[found["name"]].map(water_from_name), "name")
        if found["code"]:
            fc = df[found["code"]].map(_feature_code)
            fill(fc.map(lambda f: f[1] if f is not None and f[0] == "water" else None), "code")
        if found["width"]:
            fill(pd.Series([water_from_width(w) for w in _numbers(df[found["width"]])], index=df.index,
                           dtype=object), "width")
        # Water areas without a kind are water; lines without one are taken as rivers (and said).
        val = val.fillna("river")
    elif role == "railways":
        if found["tag"]:
            fill(df[found["tag"]].map(_rail_word), "tag")
        if found["cad_layer"]:
            fill(df[found["cad_layer"]].map(_rail_word), "cad_layer")
        _from_dlbm(df, found, fill, role)
        if found["code"]:
            fc = df[found["code"]].map(_feature_code)
            fill(fc.map(lambda f: "rail" if f is not None and f[0] == "railway" else None), "code")
        if found["name"]:
            fill(df[found["name"]].map(_rail_word), "name")
        val = val.fillna("rail")
    elif role == "landuse":
        kind, cls, dl = _landuse(df, found, val, how)
        val, extra["class"], extra["dlbm"] = kind, cls, dl
    else:
        raise ValueError(f"no line classes for role {role!r}")
    for w in ("tag", "cad_layer", "dlbm", "dlmc", "ref", "name", "code", "width", "lanes"):
        if found[w] and (how == w).any() or (w == "dlmc" and found[w] and (how == "dlbm").any()):
            used[w] = found[w]
    if found["code"] and role == "roads" and (how == "width").any() and "code" not in used:
        used["code"] = found["code"]  # the feature code said "road"; the width told its grade
    if role in ("roads", "railways"):
        tunnel = np.zeros(n, dtype=bool)
        if found["tunnel"]:
            tunnel |= _flag(df[found["tunnel"]]).to_numpy()
        if found["name"]:
            tunnel |= df[found["name"]].astype(str).str.contains("隧道").to_numpy()
        tunnel |= extra.pop("tunnel_code", np.zeros(n, dtype=bool))
        extra["tunnel"] = tunnel
        if found["bridge"]:
            extra["bridge"] = _flag(df[found["bridge"]]).to_numpy()
    summary = summarize(role, val, how, used, polygons=geom_poly, tunnels=extra.get("tunnel"),
                        barrier=extra.get("class"))
    if notes:
        summary["text_zh"] += "；" + "；".join(z for z, _ in notes)
        summary["text_en"] += "; " + "; ".join(e for _, e in notes)
    problems = warnings + _uniform_warning(role, summary, df, found, where or {})
    return Classified(values=val, how=how, summary=summary, problems=problems, extra=extra)


def _zh_class(cls: str) -> str:
    from .roles import ROAD_CLASSES as ZH
    return ZH.get(cls, cls)


def _grade_numbers(df, col, val, fill, notes, warnings, where) -> None:
    """Codes of a road grade column (DLDJ 1–6, 11/12/21 …, LXDJ G/S/X): read, the mapping said, values
    that are neither a known code nor a grade word named in a warning."""
    todo = val.isna()
    classes, read = road_grade_codes(df.loc[todo, col], col)
    fill(classes.reindex(df.index), "tag")
    # What the column holds but neither its words nor its codes say (7, 99, 其他): named, not dropped.
    left = df.loc[val.isna(), col].map(lambda v: "" if v is None or (isinstance(v, float) and v != v)
                                       else str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip())
    unread = {str(k): int(c) for k, c in left[left != ""].value_counts().items()}
    kind_zh, kind_en = ("技术等级", "technical grade") if _grade_header(col) == "tech" else ("行政等级", "administrative grade")
    if read:
        notes.append((f"{col} 代码按{kind_zh}读：" + "、".join(f"{v}→{zh} {c:,}" for v, zh, _, c in read),
                      f"{col} codes read as the {kind_en}: " + ", ".join(f"{v}→{k} {c:,}" for v, _, k, c in read)))
    if unread:
        listed = "、".join(f"{v}（{c:,} 条）" for v, c in sorted(unread.items(), key=lambda kv: -kv[1])[:8])
        listed_en = ", ".join(f"{v} ({c:,})" for v, c in sorted(unread.items(), key=lambda kv: -kv[1])[:8])
        warnings.append(Problem(
            "warning", "road_grade_code_unknown",
            f"道路等级列“{col}”中有不认识的值：{listed}；这些道路按名称、宽度等推断，推断不出的按未识别处理",
            f"the road grade column {col!r} holds values gridtool does not know: {listed_en}; these roads are "
            "classed from their names, widths …, else left unrecognised",
            fix_zh="用 --line-classes 映射文件逐值指定，如一行 roads," + col + ",9,unclassified"
                   "（类别：motorway、trunk、primary、secondary、tertiary、unclassified、track）。",
            fix_en="map each value with a --line-classes file, e.g. a line roads," + col + ",9,unclassified "
                   "(classes: motorway, trunk, primary, secondary, tertiary, unclassified, track).",
            field=col, **where))


def _group_said(cls, lang: str) -> str:
    """``（县乡道）`` / `` (county/township)``: the summary group (:data:`ROAD_GROUPS`) a road class
    counts in; empty for what is no road class (railway)."""
    if str(cls).removesuffix("_link") not in ROAD_CLASSES:
        return ""
    _, zh, en = next(g for g in ROAD_GROUPS if g[0] == road_group(cls))
    return f"（{zh}）" if lang == "zh" else f" ({en})"


def _cad_medium(df, col, width, val, how, fill, notes) -> None:
    """Roads on a CAD layer named for a medium class (城市道路, 公路, 430501): the grade from the
    width, else the class's default; the reading of every CAD layer said per layer."""
    medium = df[col].map(cad_layer_medium)
    by_layer, by_width = [], []
    for m, w in zip(medium, width):
        road = m not in (None, "railway")
        by_width.append(road_from_width(w) if road else None)
        by_layer.append(None if by_width[-1] else "railway" if m == "railway" else _MEDIUM_DEFAULT.get(m))
    before = val.isna()
    fill(pd.Series(by_width, index=df.index, dtype=object), "width")
    fill(pd.Series(by_layer, index=df.index, dtype=object), "cad_layer")
    # Every CAD layer read (主干路 by its word as well), so that the whole reading is said at once.
    took = (how == "cad_layer") | (before & val.notna() & (how == "width"))
    if not took.any():
        return
    parts_zh, parts_en = [], []
    frame = pd.DataFrame({"layer": df.loc[took, col].astype(str), "cls": val[took], "how": how[took]})
    for layer, grp in frame.groupby("layer", sort=False):
        n_w = int((grp["how"] == "width").sum())
        fixed = grp.loc[grp["how"] == "cad_layer", "cls"]
        # The class with the summary's group it counts in (公路→次干道（县乡道）70), so that the
        # reading and the line above it ("县乡道 70") use one word for the same roads.
        zh = f"{layer}→{_zh_class(fixed.iat[0])}{_group_said(fixed.iat[0], 'zh')} {len(fixed):,}" if len(fixed) \
            else f"{layer}"
        en = f"{layer}→{fixed.iat[0]}{_group_said(fixed.iat[0], 'en')} {len(fixed):,}" if len(fixed) else f"{layer}"
        if n_w:
            zh += f"（另 {n_w:,} 条按宽度定等级）"
            en += f" ({n_w:,} more graded by width)"
        parts_zh.append(zh)
        parts_en.append(en)
    notes.append(("CAD 图层按道路类读：" + "、".join(parts_zh), "CAD layers read as road classes: " + ", ".join(parts_en)))


def _rail_word(text) -> str | None:
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    s = str(text).strip().lower()
    if s in ("rail", "subway", "light_rail", "tram", "narrow_gauge", "monorail", "funicular", "preserved"):
        return s
    if s in ("abandoned", "disused", "razed", "proposed", "construction") or re.search(r"废弃|拆除|规划|在建", s):
        return "disused"
    if re.search(r"地铁", s):
        return "subway"
    if re.search(r"轻轨", s):
        return "light_rail"
    if re.search(r"有轨电车", s):
        return "tram"
    if re.search(r"铁路|高铁|动车|railway", s):
        return "rail"
    return None


def _from_dlbm(df, found, fill, role) -> None:
    """Classes from 三调 land-use codes (DLBM) or names (DLMC) on lines or polygons."""
    pairs = None
    if found["dlbm"]:
        codes = df[found["dlbm"]].astype(str).str.strip()
        scheme = _dlbm_scheme(codes[codes != ""])
        pairs = codes.map(lambda c: dlbm_parse(c, scheme) if c and c.lower() != "nan" else None)
    if found["dlmc"]:
        by_name = df[found["dlmc"]].map(_dlmc_parse)
        pairs = by_name if pairs is None else pairs.where(pairs.notna(), by_name)
    if pairs is None:
        return

    def pick(p):
        if p is None:
            return None
        fam, what = p
        if role == "roads":
            return {"road": {"highway": "primary", "residential": "residential", "track": "track"}.get(what),
                    "railway": "railway"}.get(fam, "none")
        if role == "rivers":
            return what if fam == "water" else "none"
        if role == "railways":
            return "rail" if fam == "railway" else "none"
        return None
    fill(pairs.map(pick), "dlbm")


def _dlmc_parse(text) -> tuple[str, str] | None:
    if not isinstance(text, str) or not text.strip():
        return None
    for pat, pair in _DLMC:
        if pat.search(text.strip()):
            return pair
    return ("other", "other")


def parcel_width(geoms) -> np.ndarray:
    """Mean width of strip-shaped polygons (a road parcel): 2·area / perimeter."""
    import shapely
    area = shapely.area(geoms)
    per = shapely.length(shapely.boundary(geoms))
    return 2.0 * area / np.maximum(per, 1e-9)


def _landuse(df, found, val, how):
    """Parcels of a DLTB-like layer: kind, the barrier class of their outline, and the code."""
    n = len(df)
    kinds = pd.Series([None] * n, index=df.index, dtype=object)
    cls = pd.Series([""] * n, index=df.index, dtype=object)
    code = pd.Series([""] * n, index=df.index, dtype=object)
    pairs = pd.Series([None] * n, index=df.index, dtype=object)
    if found["dlbm"]:
        raw = df[found["dlbm"]].astype(str).str.strip()
        scheme = _dlbm_scheme(raw[(raw != "") & (raw.str.lower() != "nan")])
        pairs = raw.map(lambda c: dlbm_parse(c, scheme) if c and c.lower() != "nan" else None)
        code = raw.where(raw.str.lower() != "nan", "")
    if found["dlmc"]:
        by_name = df[found["dlmc"]].map(_dlmc_parse)
        pairs = pairs.where(pairs.notna(), by_name)
    # A mapping file's class (already in val) wins.
    width = parcel_width(df.geometry.values) if "geometry" in df else np.full(n, np.nan)
    for i, (idx, p) in enumerate(pairs.items()):
        mapped = val.at[idx]
        if mapped is not None:
            kinds.at[idx], cls.at[idx] = _landuse_from_class(mapped)
            continue
        if p is None:
            kinds.at[idx] = "other"
            continue
        fam, what = p
        how.at[idx] = "dlbm"
        kinds.at[idx] = fam
        if fam == "road":
            if what == "highway":  # 公路用地 holds every grade: its width tells them apart
                w = width[i]
                cls.at[idx] = "motorway" if w >= 30 else "primary" if w >= 12 else "tertiary"
            else:
                cls.at[idx] = what
        elif fam == "railway":
            cls.at[idx] = "railway"
        elif fam == "water":
            # 河流水面 holds brooks as well as rivers: a strip under 10 m wide is a small stream.
            cls.at[idx] = "stream" if what == "river" and width[i] < 10 else what
    return kinds, cls, code


def _landuse_from_class(c: str) -> tuple[str, str]:
    if c in _OSM_ROADS:
        return "road", c
    if c == "railway":
        return "railway", "railway"
    if c in WATER_KINDS:
        return "water", c
    if c == "none":
        return "other", ""
    return c, ""


# ---------------------------------------------------------------------------------------------
def summarize(role: str, values: pd.Series, how: pd.Series, used: dict, *, polygons=None, tunnels=None,
              barrier=None) -> dict:
    """Counts per class, per planners' group, per source; ``text_zh``/``text_en`` for printing."""
    out = {"role": role, "total": len(values), "classes": {str(k): int(v) for k, v in values.value_counts().items()},
           "how": {str(k): int(v) for k, v in how.value_counts().items()}, "columns": dict(used)}
    inferred = int(how.isin(INFERRED).sum())
    unknown = int((how == "default").sum())
    out["inferred"], out["unknown"] = inferred, unknown
    inf_cols = "/".join(dict.fromkeys(used[w] for w in INFERRED if w in used and (how == w).any()))
    inf_zh = f"按 {inf_cols} 推断 {inferred:,}" if inferred else "推断 0"
    inf_en = f"inferred from {inf_cols} {inferred:,}" if inferred else "inferred 0"
    if role == "roads":
        groups = values.map(road_group).value_counts()
        out["groups"] = {g: int(groups.get(g, 0)) for g, _, _ in ROAD_GROUPS}
        zh = "、".join(f"{z} {out['groups'][g]:,}" for g, z, _ in ROAD_GROUPS)
        en = ", ".join(f"{e} {out['groups'][g]:,}" for g, _, e in ROAD_GROUPS)
        if "railway" in out["classes"] or "none" in out["classes"]:
            other = out["classes"].get("railway", 0) + out["classes"].get("none", 0)
            zh += f"、非道路 {other:,}"
            en += f", not roads {other:,}"
        out["text_zh"] = f"道路：{zh}；{inf_zh}；未识别 {unknown:,}"
        out["text_en"] = f"roads: {en}; {inf_en}; unrecognised {unknown:,}"
    elif role == "rivers":
        keep = values != "none"
        groups = values[keep].map(water_group).value_counts()
        out["groups"] = {g: int(groups.get(g, 0)) for g, _, _ in WATER_GROUPS}
        hard = int(values.isin(HARD_WATER).sum())
        out["hard"], out["soft"] = hard, int(keep.sum()) - hard
        zh = "、".join(f"{z} {out['groups'][g]:,}" for g, z, _ in WATER_GROUPS)
        en = ", ".join(f"{e} {out['groups'][g]:,}" for g, _, e in WATER_GROUPS)
        not_water = int((~keep).sum())
        out["text_zh"] = (f"水系：{zh}（硬边界 {hard:,}，软边界 {out['soft']:,}）"
                          + (f"、非水域 {not_water:,}" if not_water else "")
                          + f"；{inf_zh}；未识别 {unknown:,}")
        out["text_en"] = (f"water: {en} (hard {hard:,}, soft {out['soft']:,})"
                          + (f", not water {not_water:,}" if not_water else "")
                          + f"; {inf_en}; unrecognised {unknown:,}")
    elif role == "railways":
        nt = int(np.asarray(tunnels).sum()) if tunnels is not None else 0
        off = int(values.isin(["disused", "none"]).sum())
        out["tunnels"] = nt
        out["text_zh"] = f"铁路：{len(values):,} 条（隧道 {nt:,} 条、停用 {off:,} 条不作边界）"
        out["text_en"] = f"railways: {len(values):,} ({nt:,} in tunnels and {off:,} disused are no barrier)"
    else:  # landuse
        counts = values.value_counts()
        out["kinds"] = {k: int(counts.get(k, 0)) for k in LANDUSE_KINDS}
        b = pd.Series(barrier if barrier is not None else [""] * len(values), index=values.index)
        out["barrier"] = {str(k): int(v) for k, v in b[b != ""].value_counts().items()}
        zh_k = {"road": "道路", "railway": "铁路", "water": "水域", "forest": "林地", "farmland": "耕地园地",
                "settlement": "住宅", "built": "其他建设用地", "other": "其他"}
        zh = "、".join(f"{zh_k[k]} {v:,}" for k, v in out["kinds"].items() if v)
        en = ", ".join(f"{k} {v:,}" for k, v in out["kinds"].items() if v)
        zh_c = {"motorway": "高速", "trunk": "国道", "primary": "国省道", "secondary": "县道", "tertiary": "县乡道",
                "residential": "城镇村道路", "track": "农村道路", "railway": "铁路", "river": "河流（硬）",
                "stream": "溪沟（软）", "ditch": "沟渠（软）", "lake": "湖泊（硬）", "reservoir": "水库（硬）",
                "pond": "坑塘（软）"}
        bar = "、".join(f"{zh_c.get(k, k)} {v:,}" for k, v in out["barrier"].items())
        out["text_zh"] = (f"地类图斑：{zh}；可作边界的图斑：{bar or '无'}（另有道路、铁路线图层时，"
                          f"道路、铁路图斑只用于判断桥梁）；按 {used.get('dlbm') or used.get('dlmc') or '—'} 识别")
        out["text_en"] = (f"land parcels: {en}; parcels that can bound blocks: "
                          f"{', '.join(f'{k} {v:,}' for k, v in out['barrier'].items()) or 'none'} (with a roads "
                          "or railways line layer, road and railway parcels only mark bridges)")
    return out


def _uniform_warning(role: str, summary: dict, df: pd.DataFrame, found: dict, where: dict) -> list[Problem]:
    """Say loudly when one class takes (nearly) everything: the schema was probably not understood."""
    n = summary["total"]
    if role not in ("roads", "rivers") or n < 20:
        return []
    groups = summary.get("groups", {})
    top, share = max(groups.items(), key=lambda kv: kv[1]) if groups else ("", 0)
    if share < 0.98 * n and summary["unknown"] < 0.5 * n:
        return []
    explicit = sum(summary["how"].get(k, 0) for k in ("tag", "cad_layer", "dlbm", "mapping"))
    if explicit >= 0.5 * n and summary["unknown"] < 0.5 * n:
        return []  # the data say so themselves (a class column, land-use codes, the user's mapping)
    zh_name = {g: z for g, z, _ in (ROAD_GROUPS if role == "roads" else WATER_GROUPS)}.get(top, top)
    en_name = {g: e for g, _, e in (ROAD_GROUPS if role == "roads" else WATER_GROUPS)}.get(top, top)
    from .column_content import samples_of
    cands = [c for c in df.columns if c not in ("geometry", "src_id") and c not in found.values()]
    listed = "；".join(f"{c}（{'、'.join(samples_of(df[c])[:3])}）" for c in cands[:6] if samples_of(df[c]))
    key = "class" if role == "roads" else "kind"
    what_zh = "道路" if role == "roads" else "水系"
    hard_note_zh = "（全部按硬边界处理）" if role == "rivers" and top == "river" else ""
    hard_note_en = " (all hard barriers)" if role == "rivers" and top == "river" else ""
    zh = (f"全部 {n:,} 条{what_zh}中有 {share:,} 条归为“{zh_name}”{hard_note_zh}，未识别 {summary['unknown']:,} 条："
          "等级很可能没有读懂")
    en = (f"{share:,} of {n:,} {role} fall in one class, {en_name}{hard_note_en}, {summary['unknown']:,} "
          "unrecognised: their classes were probably not understood")
    listed_en = listed
    cad = found.get("cad_layer")
    cad_names = list(dict.fromkeys(str(v) for v in df[cad].dropna()))[:5] if cad else []
    if cad_names and not summary["how"].get("cad_layer"):
        # 道路中心线 / DLZXX: the drawing's layers say "road", not which grade.
        listed = (f"{cad}（CAD 图层：{'、'.join(cad_names)}，不含等级；可在 CAD 中按等级分图层，如 主干路、次干路、支路）"
                  + (f"；{listed}" if listed else ""))
        listed_en = (f"{cad} (CAD layers: {', '.join(cad_names)}, no grades; put each grade on its own CAD layer, "
                     "e.g. 主干路, 次干路, 支路)" + (f"; {listed_en}" if listed_en else ""))
    fix_zh = (f"用 --field {role}.{key}=列名 指定等级列，或用 --line-classes 映射文件（layer,column,value,class）"
              "逐值指定" + (f"。其他列：{listed}" if listed else ""))
    fix_en = (f"name the class column with --field {role}.{key}=COLUMN, or map values with --line-classes "
              "FILE.csv (layer,column,value,class)" + (f". Other columns: {listed_en}" if listed_en else ""))
    return [Problem("warning", "line_classes_uniform", zh, en, fix_zh=fix_zh, fix_en=fix_en, **where)]
