"""Layer roles: what each input layer is for, the geometry it must have and its key columns.

One schema for the whole product (see ``docs/DESIGN.md``): loaders normalise every source to these
column names so that the engines never guess.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    name: str
    zh: str
    geometry: tuple[str, ...]  # allowed shapely geom_type families: "Point", "LineString", "Polygon"
    key_columns: tuple[str, ...] = ()
    # Layers about people: their name columns are personal data (flagged sensitive).
    personal: bool = False


ROLES: dict[str, Role] = {
    r.name: r
    for r in (
        Role("households", "住户", ("Point", "Polygon"), ("hh", "village"), personal=True),
        Role("villages", "村（社区）", ("Polygon",), ("name", "code")),
        Role("roads", "道路", ("LineString",), ("class", "oneway", "name")),
        Role("rivers", "河流", ("LineString", "Polygon"), ("name",)),
        Role("railways", "铁路", ("LineString",), ("name",)),
        Role("forest", "林地/农田", ("Polygon",), ("kind",)),
        # A 三调 地类图斑 (DLTB) layer given once: roads, railways, water, forest and settlement
        # parcels by their DLBM/DLMC codes (see gridtool.lineclasses).
        Role("landuse", "地类图斑（三调）", ("Polygon",), ("kind", "class", "dlbm")),
        Role("places", "重点场所", ("Point", "Polygon"), ("category", "name")),
        Role("stations", "站点", ("Point",), ("name", "kind")),
        Role("party_members", "党员", ("Point",), ("name",), personal=True),
        # 警情: when (time, hour) and what (type); reporters' names and phones are personal data.
        Role("incidents", "警情", ("Point",), ("time", "hour", "type"), personal=True),
    )
}

#: Roles read from vector files, in the order the command line lists them.
VECTOR_ROLES = ("households", "villages", "roads", "rivers", "railways", "forest", "landuse", "places",
                "stations", "party_members", "incidents")

#: Place categories gridtool knows, with their Chinese names (用于图例和界面).
PLACE_CATEGORIES = {
    "school": "学校",
    "kindergarten": "幼儿园",
    "hospital": "医院",
    "clinic": "诊所",
    "market": "市场",
    "supermarket": "超市",
    "bank": "银行",
    "police": "派出所",
    "townhall": "村（居）委会/政府",
    "camera": "监控点",
    "enterprise": "企业",
    "other": "其他",
}

#: Patrol stop categories that are not place categories (route cards and tables show the Chinese).
STOP_CATEGORIES = {"hotspot": "警情热点", "street": "街巷"}

#: Road classes (OSM highway values) and their Chinese names; speeds live in the routing engine.
ROAD_CLASSES = {
    "motorway": "高速公路",
    "trunk": "快速路/国道",
    "primary": "主干道",
    "secondary": "次干道",
    "tertiary": "支路",
    "unclassified": "村道",
    "residential": "居住区道路",
    "service": "服务道路",
    "living_street": "生活街道",
    "pedestrian": "步行街",
    "track": "机耕道",
    "footway": "人行道",
    "path": "小路",
    "cycleway": "自行车道",
    "steps": "台阶",
}


def geometry_family(geom_type: str | None) -> str | None:
    """``"MultiPolygon"`` -> ``"Polygon"`` etc.; None for missing geometries."""
    if geom_type is None:
        return None
    return geom_type.replace("Multi", "").replace("LinearRing", "LineString")
