"""Recognising columns by their names, in English and Chinese, and flagging personal data.

Planners' files use whatever headers their office uses: ``经度/纬度``, ``X坐标``, ``户数``,
the land-survey (三调) field codes ``XZQDM/XZQMC`` or ``CJQYDM/CJQYMC``, Geofabrik's ``fclass``.
Each role's key columns are found here, and the loader reports which source column it used.
"""

from __future__ import annotations

import functools
import re

import pandas as pd

from .personal import is_id_column

# Candidate source names for each normalised column, most specific first. Compared after
# `_key()`: lower case, no spaces, no units in brackets.
CANDIDATES: dict[str, tuple[str, ...]] = {
    "lon": ("lon", "lng", "long", "longitude", "经度", "东经", "x", "x坐标", "横坐标", "point_x",
            "gps_lng", "gpslng", "lon_wgs84", "jd", "lnglat_x"),
    "lat": ("lat", "latitude", "纬度", "北纬", "y", "y坐标", "纵坐标", "point_y", "gps_lat", "gpslat",
            "lat_wgs84", "wd", "lnglat_y"),
    "lonlat": ("经纬度", "坐标", "lnglat", "lonlat", "location", "位置坐标", "gps坐标"),
    "wkt": ("wkt", "geom", "the_geom", "几何"),
    "hh": ("hh", "households", "household", "household_count", "n_households", "n_hh", "户数",
           "住户数", "总户数", "家庭户数", "户籍户数", "居住户数", "flats", "building:flats", "套数"),
    "village": ("village", "community", "村", "村名", "所属村", "所属村社区", "村社区", "行政村",
                "社区", "村居", "所属社区", "cjqymc", "zldwmc"),
    "name": ("name", "名称", "name:zh", "名字", "村名", "村庄名称", "社区名称", "村社区名称", "xzqmc",
             "cjqymc", "zldwmc", "qsdwmc", "村名称", "行政村名称", "村居名称", "village_name", "vill_name",
             "地名", "标题", "title", "道路名称", "河流名称"),
    # A name in Chinese beside the file's own name (OSM's name:zh next to an English or pinyin name):
    # preferred, row by row, for the Chinese outputs.
    "name_zh": ("name:zh", "name_zh", "name:zh-hans", "name:zh-cn", "name:zh_cn", "name:zh-hans-cn", "namezh",
                "中文名", "中文名称", "中文名字"),
    # A party-member roster (党员名册) names its members under 姓名; read for party members only
    # (in a household roster 姓名 is the householder, personal data but not the feature's name).
    "member_name": ("姓名", "党员姓名", "name", "名字", "党员", "xm"),
    # Point registers of police and government offices (重点场所、卡口、监控点位 sheets): read for
    # places (and exits) only. In a village or roster layer 单位名称 is an employer or a township,
    # and in a places sheet 派出所名称 is the station in charge, not the place.
    "place_name": ("场所名称", "单位名称", "卡口名称", "点位名称", "监控点名称", "监控点位名称", "重点场所",
                   "重点场所名称", "地点名称", "机构名称", "企业名称", "学校名称", "医院名称", "网点名称", "设施名称",
                   "点位", "卡口", "mc", "dwmc", "csmc"),
    "station_name": ("站点名称", "派出所名称", "警务室名称", "单位名称", "机构名称", "mc", "dwmc"),
    "code": ("code", "区划代码", "行政区划代码", "代码", "编码", "xzqdm", "cjqydm", "zldwdm", "qsdwdm",
             "村代码", "村级代码", "village_code", "admin_code", "adcode", "ref", "统计用区划代码"),
    # Above the village: its township (乡镇/街道) and county (区县), by name or by code.
    "township": ("township", "town", "乡镇", "乡镇名称", "乡镇街道", "乡镇（街道）", "镇街", "镇街名称", "街道",
                 "街道名称", "所属乡镇", "所属街道", "所属镇街", "乡镇代码", "街道代码", "xzmc", "xzdm", "ssxz",
                 "xiangzhen", "street", "streetcode", "town_code", "township_code"),
    "county": ("county", "district", "区县", "区县名称", "县区", "所属区县", "县", "区", "区县代码", "qxmc", "qxdm",
               "xian", "area", "areacode", "county_code", "district_code"),
    "class": ("class", "highway", "fclass", "道路等级", "等级", "道路类型", "roadclass", "kind", "type"),
    "oneway": ("oneway", "one_way", "单行", "单向", "是否单行", "单行道"),
    "category": ("category", "类别", "类型", "场所类型", "场所类别", "amenity", "fclass", "kind",
                 "type", "分类"),
    "kind": ("kind", "type", "类型", "地类", "地类名称", "dlmc", "landuse", "fclass"),
    "priority": ("priority", "优先级", "重要性", "等级", "重点等级", "重点级别", "级别", "管控等级", "风险等级",
                 "防控等级", "重要等级", "重点程度", "巡逻等级", "巡防等级"),
    # Posts a station can send to seal exits (officers or cars on duty).
    "posts": ("posts", "警力", "警力数", "警力点数", "可派警力", "出警警力", "警车", "警车数", "车辆数", "巡逻车数",
              "officers", "cars", "patrol_cars", "units"),
    "id": ("id", "编号", "户编号", "户号", "objectid", "uid"),
}

_PERSONAL_NAMES = ("姓名", "户主", "户主姓名", "联系人", "居民姓名", "人员姓名", "党员姓名", "报警人", "报警人姓名",
                   "householder", "head", "person", "fullname", "full_name", "name", "名字", "owner")
# Headers that name a person in any layer (a place's 负责人, an incident's 报警人, a station's 所长
# or 值班领导), not only in layers about people.
_PERSON_HEADERS = ("负责人", "联系人", "报警人", "报案人", "户主", "法人", "法定代表人", "法人代表", "业主", "监护人",
                   "责任人", "安全员", "网格员", "民警", "辅警", "所长", "站长", "队长", "警长", "教导员",
                   "指导员", "主任", "值班领导", "带班领导", "值班人", "值班员", "联络员")
_ID_NAMES = ("身份证", "身份证号", "身份证号码", "公民身份号码", "证件号码", "idcard", "id_card",
             "id_no", "idno", "sfzh", "sfzhm")
_PHONE_NAMES = ("电话", "手机", "手机号", "手机号码", "联系电话", "联系方式", "电话号码", "phone",
                "mobile", "tel", "telephone", "lxdh")

# Address headers (门牌 included): a header word, not a value, in a table whose header is unmarked.
_ADDRESS_HEADERS = ("地址", "住址", "家庭住址", "现住址", "居住地址", "门牌号", "门牌", "备注", "address")

_PHONE_RE = re.compile(r"^(\+?86)?1[3-9]\d{9}$|^0\d{2,3}-?\d{7,8}$")


def _key(name: str) -> str:
    s = str(name).strip().lower()
    s = re.sub(r"[（(\[【].*?[)）\]】]", "", s)  # drop units: 经度(°), 户数（户）
    # Spaces typed to align a Chinese header in Excel (户  数, 联系 电话) are not a word break.
    s = re.sub(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])", "", s)
    return re.sub(r"[\s_\-]+", "_", s).strip("_")


#: Candidates tried after ``name``'s for the registers of one role.
_NAME_FOR = {"place_name": "name", "station_name": "name"}


#: Words in a coordinate header that name the map it was taken from (百度经度, lng_bd09, 高德纬度,
#: gcj02_lat): the column is still 经度/纬度, and :func:`header_offset` reads the CRS from them.
_HEADER_OFFSETS = (("bd09", r"bd[_\-]?09|baidu|百度|(?<![a-z])bd(?![a-z])"),
                   ("gcj02", r"gcj[_\-]?02|gcj|高德|腾讯|火星|amap|gaode"))
_HEADER_OFFSET_RE = re.compile("|".join(f"(?:{r})" for _, r in _HEADER_OFFSETS))
#: Words naming lon/lat without an offset (经度（WGS84）, GPS经度, lon_cgcs2000, 天地图经度): the
#: values are read as they are, and the header is said as the reason instead of a guess.
_HEADER_PLAIN_RE = re.compile(r"wgs[_\-]?84|cgcs[_\-]?2000|(?<![a-z])gps(?![a-z])|天地图|国家2000|2000国家")
_HEADER_WORDS_RE = re.compile(f"{_HEADER_OFFSET_RE.pattern}|{_HEADER_PLAIN_RE.pattern}")


def header_offset(*headers) -> str | None:
    """``bd09`` or ``gcj02`` when every header given names that map (百度经度 and 百度纬度; 经度（BD09）),
    else None."""
    found = set()
    for h in headers:
        text = str(h).lower()
        hit = [off for off, r in _HEADER_OFFSETS if re.search(r, text)]
        if len(hit) != 1:
            return None
        found.add(hit[0])
    return found.pop() if len(found) == 1 else None


def header_names_plain(*headers) -> bool:
    """True when every header given names plain lon/lat (WGS84, CGCS2000, GPS, 天地图) and none a
    shifted map."""
    texts = [str(h).lower() for h in headers]
    return bool(texts) and all(_HEADER_PLAIN_RE.search(t) and not _HEADER_OFFSET_RE.search(t) for t in texts)


def find_column(columns, what: str, *, exclude=()) -> str | None:
    """The first source column whose name matches one of ``what``'s candidates, else None
    (``place_name`` and ``station_name``: ``name``'s candidates first, then the register's).
    Coordinates also match with the map's name in the header (百度经度, bd_lng)."""
    cols = [c for c in reversed(list(columns)) if c not in exclude and c != "geometry"]
    keys = {_key(c): c for c in cols}
    cands = (*CANDIDATES[_NAME_FOR[what]], *CANDIDATES[what]) if what in _NAME_FOR else CANDIDATES[what]
    for cand in cands:
        k = _key(cand)
        if k in keys:
            return keys[k]
    if what in ("lon", "lat", "lonlat"):
        bare = {_key(_HEADER_WORDS_RE.sub("", str(c).lower())): c for c in cols if _HEADER_WORDS_RE.search(str(c).lower())}
        for cand in cands:
            if _key(cand) in bare:
                return bare[_key(cand)]
    return None


#: Kinds of column told apart by :func:`column_kind`, in the order tried (村名 is a village first).
_KINDS = ("lon", "lat", "lonlat", "wkt", "hh", "village", "code", "township", "county", "id")


@functools.lru_cache(maxsize=1)
def _kind_of_key() -> dict[str, str]:
    out: dict[str, str] = {}
    groups = [(k, CANDIDATES[k]) for k in _KINDS]
    groups += [("person", _PERSONAL_NAMES), ("id_number", _ID_NAMES), ("phone", _PHONE_NAMES)]
    for kind, names in groups:
        for n in names:
            out.setdefault(_key(n), kind)
    return out


def column_kind(name) -> str:
    """What a header stands for, so that two sheets' headers can be matched: ``户主`` and ``户主姓名``
    → ``person``, ``户 数`` and ``总户数`` → ``hh``; a header gridtool does not know → its own key."""
    k = _key(name)
    return _kind_of_key().get(k, k)


# Headers ending in 名称 that name something else than the point itself: its village, township,
# category, road, the person in charge.
_NOT_PLACE_NAME = ("村", "社区", "乡", "镇", "街道", "辖区", "区县", "县", "城市", "地市", "省", "所属", "所在", "类", "型",
                   "等级", "级别", "道路", "负责人", "联系人", "人员", "法人", "河流", "文件", "图层", "小区", "网格",
                   "派出所", "警务", "单位", "管理")


def is_header_word(text) -> bool:
    """True for a column header gridtool knows (户数, 户主, 联系电话, 身份证号, 家庭住址, 经度 …):
    tells a table's header row from its values where the header is not marked as such."""
    k = _key(text)
    if not k:
        return False
    return k in _known_header_keys() or any(_header_matches(k, n) for n in (*_ID_NAMES, *_PHONE_NAMES))


@functools.lru_cache(maxsize=1)
def _known_header_keys() -> frozenset:
    """The keys of every header :func:`is_header_word` knows, made once (it is asked for every cell
    of every KML description table)."""
    return frozenset(_key(c) for c in (*(c for cands in CANDIDATES.values() for c in cands), *_PERSONAL_NAMES,
                                       *_PERSON_HEADERS, *_ID_NAMES, *_PHONE_NAMES, *_ADDRESS_HEADERS))


def find_point_name_column(columns, *, exclude=()) -> str | None:
    """A point register's own name column when no header of ``CANDIDATES["name"]`` matched: the
    first header ending in 名称 (``网吧名称``, ``宾馆名称``, ``公共场所名称``) that names no division,
    category, road or person (``所属社区名称``, ``类别名称``, ``负责人名称`` are left alone)."""
    for col in columns:
        if col in exclude or col == "geometry":
            continue
        k = _key(col)
        if k.endswith("名称") and len(k) > 2 and not any(w in k[:-2] for w in _NOT_PLACE_NAME):
            return col
    return None


def _header_matches(key: str, name: str) -> bool:
    """``户主联系电话`` contains ``电话``; ``hotel`` does not contain ``tel`` as a word."""
    n = _key(name)
    if key == n:
        return True
    if n.isascii():
        return n in key.split("_")
    return n in key


def _numbers(values: pd.Series) -> bool:
    """A column of counts (3, "2", "4人"): most of its values are numbers."""
    v = values.dropna()
    if not len(v):
        return False
    if pd.api.types.is_numeric_dtype(v):
        return True
    return bool(v.astype(str).str.strip().str.match(r"^\d+(\.\d+)?\s*(人|名|辆|个)?$").mean() > 0.8)


def sensitive_columns(df: pd.DataFrame, *, personal_role: bool, how: dict | None = None) -> dict[str, str]:
    """Columns holding personal data, with the kind: ``"name"``, ``"id_number"``, ``"phone"``.

    By header (names only count in roles about people: households, party members) and by
    content: ID numbers (:func:`gridtool.personal.is_id_column`: check characters that pass, not a
    column of 警情编号) or mobile numbers in any column mark it, whatever the role. ``how``, when
    given, gets column → ``"header"`` or ``"content"``: what the console tells the user.
    """
    out: dict[str, str] = {}
    found: dict[str, str] = {}
    for col in df.columns:
        if col == "geometry":
            continue
        k = _key(col)
        found[col] = "header"
        if any(_header_matches(k, n) for n in _ID_NAMES):
            out[col] = "id_number"
        elif any(_header_matches(k, n) for n in _PHONE_NAMES):
            out[col] = "phone"
        elif personal_role and any(_key(n) == k for n in _PERSONAL_NAMES):
            out[col] = "name"
        elif any(k.endswith((n, n + "姓名")) for n in _PERSON_HEADERS) and not _numbers(df[col]):
            out[col] = "name"  # 场所负责人; not 民警人数, nor a column 民警 of head counts
        else:
            found[col] = "content"
            values = df[col].dropna()
            if values.dtype == object or str(values.dtype).startswith(("int", "str", "string")):
                sample = values.astype(str).str.strip().head(200)
                if len(sample):
                    if is_id_column(sample.tolist(), col):  # not a 警情编号 with dates inside
                        out[col] = "id_number"
                    elif sample.str.match(_PHONE_RE).mean() > 0.5:
                        out[col] = "phone"
    if how is not None:
        how.update({c: found[c] for c in out})
    return out


# Chinese and English words of place categories, mapped to gridtool's keys.
_CATEGORY_WORDS = (
    ("kindergarten", ("幼儿园", "托儿所", "kindergarten", "childcare", "nursery")),
    ("school", ("学校", "小学", "中学", "初中", "高中", "大学", "学院", "中专", "职校", "技校", "school",
                "college", "university")),
    ("hospital", ("医院", "卫生院", "hospital")),
    ("clinic", ("诊所", "卫生室", "卫生站", "社区卫生服务", "clinic", "doctors", "pharmacy", "药店")),
    ("supermarket", ("超市", "商超", "便利店", "supermarket")),
    ("market", ("市场", "农贸", "集市", "菜场", "菜市场", "商场", "market", "marketplace", "mall")),
    # 金融网点 / 金融机构 / 储蓄所: the police registers' words for banks (must-visit on patrols);
    # not 金融 alone: 金融街派出所, 金融城社区居委会, 金融科技公司 are no banks.
    ("bank", ("银行", "信用社", "信用联社", "金融网点", "金融机构", "金融服务网点", "金融服务点", "储蓄所",
              "储蓄网点", "bank", "atm")),
    ("police", ("派出所", "公安", "警务", "警察", "police")),
    ("camera", ("监控", "摄像", "天网", "雪亮", "camera", "surveillance", "cctv")),
    ("townhall", ("村委", "居委", "政府", "便民服务", "党群服务", "townhall", "town_hall", "town hall",
                  "village_hall", "village hall", "community_centre")),
    ("enterprise", ("企业", "公司", "工厂", "厂", "园区", "enterprise", "company", "factory",
                    "industrial", "works")),
)


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or not str(value).strip()


def match_category(text) -> str | None:
    """The key of :data:`gridtool.roles.PLACE_CATEGORIES` that a text names, or None.

    Exact keys and Chinese names first (``school``, ``学校``), then the words of
    :data:`_CATEGORY_WORDS`: Chinese ones anywhere in the text (``东港中学``), English ones as whole
    words only, so that ``intersection`` or ``water_treatment`` name nothing (no ``atm`` inside).
    """
    from .roles import PLACE_CATEGORIES

    if _blank(text):
        return None
    t = str(text).strip().lower()
    if t in PLACE_CATEGORIES:
        return t
    for key, zh in PLACE_CATEGORIES.items():
        if t == zh:
            return key
    for key, words in _CATEGORY_WORDS:
        for w in words:
            if w.isascii():
                if re.search(rf"(?<![a-z]){re.escape(w)}(?:e?s)?(?![a-z])", t):
                    return key
            elif w in t:
                return key
    return None


def category_named_by(text) -> str | None:
    """The one place category a file or layer name gives (学校.xlsx, schools, 银行网点名单), else None
    (none, or two: 学校医院.xlsx says nothing sure)."""
    if _blank(text):
        return None
    t = str(text).strip().lower()
    keys = {key for key, words in _CATEGORY_WORDS for w in words
            if (re.search(rf"(?<![a-z]){re.escape(w)}(?:e?s)?(?![a-z])", t) if w.isascii() else w in t)}
    return keys.pop() if len(keys) == 1 else None


def normalise_category(value) -> str:
    """A place category value from the source (a category column, a KML folder): a key of
    PLACE_CATEGORIES when it names one (``学校``, ``农贸市场``, OSM ``marketplace``), else the value
    as given (``路口``, ``intersection`` stay themselves: ``--candidates intersection`` finds
    them); ``other`` only when there is no value at all."""
    if _blank(value):
        return "other"
    return match_category(value) or str(value).strip()


# Grades of key places as police and township registers write them. 一级 is the highest grade,
# so grade N is priority 4 − N on gridtool's scale (3 and above: must-visit on patrols).
_LEVEL_WORDS = {"高": 3, "中": 2, "低": 1, "high": 3, "medium": 2, "middle": 2, "low": 1, "重点": 3, "一般": 1,
                "特级": 4, "最高": 4, "较高": 2.5, "较低": 1.5}
_GRADE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5,
                 "Ⅰ": 1, "Ⅱ": 2, "Ⅲ": 3, "Ⅳ": 4, "Ⅴ": 5, "I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}
_GRADE_RE = re.compile(r"^(?:第)?(一|二|三|四|五|[1-5]|Ⅰ|Ⅱ|Ⅲ|Ⅳ|Ⅴ|I{1,3}|IV|V)\s*(?:级|类|等)")


def is_grade_header(column) -> bool:
    """A 重点等级 / 级别 column: its numbers are grades, 1 the highest (not priorities)."""
    k = _key(column)
    return "等级" in k or "级别" in k


def priority_level(value, *, grade: bool = False) -> float:
    """A place's priority on gridtool's 1–5 scale from the words of a 重点等级 column, NaN if none.

    Numbers stay themselves (``3``, ``"3"``, ``"３"``) unless ``grade`` (the column is a grade,
    :func:`is_grade_header`): then ``1`` is the top grade as ``一级`` is; ``高/中/低`` and
    ``high/medium/low`` are 3/2/1, ``重点`` 3 and ``一般`` 1; grades count down from the top:
    ``一级`` (also ``1级``, ``Ⅰ级``, ``一类``, ``一级重点``) is 3, ``二级`` 2, ``三级`` and lower 1.

    >>> [priority_level(v) for v in ("1级", 3, "高")], priority_level("1", grade=True)
    ([3.0, 3.0, 3.0], 3.0)
    """
    import unicodedata
    if _blank(value) or isinstance(value, bool):
        return float("nan")
    if isinstance(value, (int, float)):
        return float(max(1, 4 - int(value))) if grade and float(value).is_integer() and value >= 1 else float(value)
    t = unicodedata.normalize("NFKC", str(value)).strip()
    try:
        n = float(t)
        return float(max(1, 4 - int(n))) if grade and n.is_integer() and n >= 1 else n
    except ValueError:
        pass
    low = t.lower()
    if low in _LEVEL_WORDS:
        return float(_LEVEL_WORDS[low])
    m = _GRADE_RE.match(t.upper())
    if m:
        return float(max(1, 4 - _GRADE_DIGITS[m.group(1)]))
    for word, level in _LEVEL_WORDS.items():  # 高风险, 重点单位, 一般场所
        if not word.isascii() and (t.startswith(word) or t.endswith(word)):
            return float(level)
    if grade:  # "5A" (a scenic-spot rating) or "3星" say nothing about a patrol's grade
        return float("nan")
    m = re.match(r"^\s*(\d+(?:\.\d+)?)", t)
    return float(m.group(1)) if m else float("nan")


# Geofabrik: F = oneway along the line, T = oneway against it, B = both ways.
_TRUE = {"1", "yes", "true", "y", "是", "单行", "单向", "-1", "f", "t"}
_REVERSED = {"-1", "t"}


def to_oneway(value) -> bool:
    """Oneway flags in the usual spellings (OSM yes/-1, Geofabrik F/T/B, 是/否)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return False
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in _TRUE


def oneway_reversed(value) -> bool:
    """True for oneway flags that run against the line's direction (OSM -1, Geofabrik T)."""
    return value is not None and str(value).strip().lower() in _REVERSED
