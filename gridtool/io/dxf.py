"""Reading CAD drawings (DXF): road centre lines, rivers, village boundaries drawn in AutoCAD.

Survey institutes and planning offices deliver their layers as AutoCAD drawings. GDAL reads DXF
as one layer ``entities`` with the CAD layer of each entity in the ``Layer`` column, but

- the text encoding comes from the header ``$DWGCODEPAGE`` (ANSI_936 = GBK in Chinese AutoCAD),
  which other programs often get wrong (UTF-8 text under ANSI_1252), so GDAL is asked for the
  raw bytes (ISO-8859-1) and the text is decoded here: ``--encoding``, else strict UTF-8, else the
  declared code page, else GB18030;
- a drawing holds everything: lines, text, dimensions, hatches, symbols, title blocks in paper
  space. Only what the role needs is kept, and what was left out is counted by kind;
- a survey drawing given as roads, rivers or railways holds contours, buildings, boundaries and
  pipes too: when CAD layers (城市道路, DLSS; 河流, 沟渠, SXSS; 铁路) or feature codes in the
  entities' extended data (``XData``, as CASS writes them) say which lines are the role's, only
  those are read; else the layers whose names say nothing (0, Layer1) and not those of other
  themes (DGX 等高线, JMD 居民地); each layer read and left out is said;
- a DXF carries no coordinate system: the caller settles it like a shapefile without .prj.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from ..encoding import EncodingGuess, _normalise, _user_encoding
from ..errors import EncodingError, GeometryTypeError, LayerNotFoundError, UnsupportedFormatError
from ..plurals import count_en, plural_en
from ..problems import Problem
from ..roles import ROLES
from .files import plain_reason
from .raw_layer import RawLayer

#: Roles drawn as lines; rivers also as closed outlines (ponds, reservoirs) taken as water areas.
LINE_ROLES = ("roads", "railways")
#: Roles drawn as closed outlines (村界, 林地, 图斑).
AREA_ROLES = ("villages", "forest", "landuse")

#: Entity kinds as a planner names them in CAD (zh, en: one of them; counts add the plural).
KIND_NAMES = {
    "line": ("线", "line"), "closed": ("闭合线", "closed polyline"), "area": ("填充/面", "hatch/solid fill"),
    "text": ("文字", "text"), "point": ("点", "point"), "block": ("图块", "block insert"),
    "dimension": ("标注", "dimension"), "circle": ("圆", "circle"),
    "paper": ("图纸空间（布局）要素", "paper-space (layout) entity"), "empty": ("空几何", "empty entity"),
}

_ACADVER = re.compile(rb"\$ACADVER\s*\r?\n\s*1\s*\r?\n\s*(AC\d{4})")
_CODEPAGE = re.compile(rb"\$DWGCODEPAGE\s*\r?\n\s*3\s*\r?\n\s*([^\r\n]*)")
_NON_ASCII = re.compile(rb"[^\r\n]*[\x80-\xff][^\r\n]*")
_DETECT_BYTES = 64_000_000  # enough text of any drawing a township holds; never the whole of a huge file


_GDAL_OPTIONS = threading.Lock()

def is_dwg(head: bytes) -> bool:
    """A binary AutoCAD drawing (``AC1015``, ``AC1032`` … followed by binary data), not a DXF."""
    return bool(re.match(rb"AC1\d{3}", head[:6])) and b"\x00" in head[6:128]


def dwg_error(path: Path, renamed: bool) -> UnsupportedFormatError:
    """What to do with a DWG drawing: save it as DXF from CAD."""
    zh = "这是 AutoCAD 的 DWG 图纸（只是改名为 .dxf），无法直接读取" if renamed else "无法直接读取 AutoCAD 的 DWG 图纸"
    en = ("this is an AutoCAD DWG drawing (only renamed .dxf); it cannot be read" if renamed
          else "AutoCAD DWG drawings cannot be read directly")
    return UnsupportedFormatError(
        zh, en, fix_zh="在 AutoCAD/中望CAD/浩辰CAD 中打开图纸，选择“另存为”，文件类型选 DXF（如 AutoCAD 2013 DXF），再导入 .dxf 文件。",
        fix_en="open the drawing in AutoCAD (or ZWCAD/GstarCAD), use Save As with file type DXF (e.g. AutoCAD 2013 "
               "DXF), and import the .dxf file.", file=str(path))


def _codepage(name: str) -> str | None:
    """A Python codec for a ``$DWGCODEPAGE`` value: ``ANSI_936`` → gb18030, ``UTF-8`` → utf-8 …"""
    key = name.strip().upper().replace("ANSI_", "")
    return _normalise(key) if key else None


def dxf_encoding(path: Path, override: str | None = None, *, default: str | None = None) -> EncodingGuess:
    """The text encoding of a DXF file.

    In order: the user's ``override``; text that decodes as strict UTF-8 is UTF-8 (GBK bytes almost
    never do; drawings written by GIS tools put UTF-8 under ``ANSI_1252``); the header's
    ``$DWGCODEPAGE`` when it names a code page other than the Western default; the user's
    ``default``; GB18030 when it decodes; else the declared code page.
    """
    with open(path, "rb") as fh:
        data = fh.read(_DETECT_BYTES)
    ver = _ACADVER.search(data[:200_000])
    cp = _CODEPAGE.search(data[:200_000])
    declared = _codepage(cp.group(1).decode("ascii", "replace")) if cp else None
    if ver and ver.group(1) >= b"AC1021":
        declared = "utf-8"  # AutoCAD 2007 and later write DXF in UTF-8 whatever the header says
    chunks = _NON_ASCII.findall(data)
    del data

    def sample(enc: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.decode(enc, errors="replace").strip() for c in chunks[:400]))[:5]

    if override:
        enc = _user_encoding(override)
        return EncodingGuess(enc, "user", sample(enc))
    if not chunks:
        return EncodingGuess(declared or "utf-8", "dwgcodepage" if declared else "default", ())
    if all(_decodes(c, "utf-8") for c in chunks):
        return EncodingGuess("utf-8", "dwgcodepage" if declared == "utf-8" else "detected", sample("utf-8"))
    if declared and declared not in ("cp1252", "latin-1", "iso8859-1", "utf-8") and all(
            _decodes(c, declared) for c in chunks):
        return EncodingGuess(declared, "dwgcodepage", sample(declared))
    if default:
        enc = _user_encoding(default)
        return EncodingGuess(enc, "user", sample(enc))
    if all(_decodes(c, "gb18030") for c in chunks):
        return EncodingGuess("gb18030", "detected", sample("gb18030"))
    enc = declared if declared and declared != "utf-8" else "cp1252"
    return EncodingGuess(enc, "dwgcodepage" if declared else "default", sample(enc))


def _decodes(b: bytes, enc: str) -> bool:
    try:
        b.decode(enc)
        return True
    except UnicodeDecodeError:
        return False


def _decode_columns(gdf: pd.DataFrame, enc: str, path: Path) -> None:
    """Text read by GDAL as ISO-8859-1 (the file's bytes one for one) decoded as ``enc``."""
    def fix(v):
        if not isinstance(v, str):
            return v
        try:
            raw = v.encode("latin-1")
        except UnicodeEncodeError:
            return v  # \U+XXXX escapes GDAL already turned into characters
        return raw.decode(enc)

    for col in gdf.columns:
        if col == "geometry" or not (gdf[col].dtype == object or pd.api.types.is_string_dtype(gdf[col])):
            continue
        try:
            gdf[col] = gdf[col].map(fix).astype(object)
        except UnicodeDecodeError as exc:
            raise EncodingError(
                f"DXF 中的文字无法按 {enc} 解码", f"text in the DXF cannot be decoded as {enc}",
                fix_zh="用 --encoding 指定图纸的编码（中文 AutoCAD 一般是 gbk；2007 版以后的 DXF 是 utf-8）。",
                fix_en="give the drawing's encoding with --encoding (gbk for Chinese AutoCAD; utf-8 for DXF of "
                       "AutoCAD 2007 and later).", file=str(path), field=col) from exc


def _kinds(gdf: gpd.GeoDataFrame) -> pd.Series:
    """Each entity's kind (keys of :data:`KIND_NAMES`), from its AutoCAD subclasses and geometry
    (R12 drawings have no subclasses: the geometry alone decides)."""
    sub = gdf["SubClasses"].fillna("").astype(str) if "SubClasses" in gdf else pd.Series("", index=gdf.index)
    text = gdf["Text"].notna() if "Text" in gdf else pd.Series(False, index=gdf.index)
    geoms = gdf.geometry.values
    gtype = pd.Series(gdf.geometry.geom_type.fillna("").to_numpy(), index=gdf.index)
    empty = pd.Series(shapely.is_missing(geoms) | shapely.is_empty(geoms), index=gdf.index)
    closed = pd.Series(np.zeros(len(gdf), dtype=bool), index=gdf.index)
    lines = gtype == "LineString"
    if lines.any():
        closed[lines] = shapely.is_closed(geoms[lines.to_numpy()]) & (shapely.get_num_coordinates(
            geoms[lines.to_numpy()]) >= 4)
    circles = pd.Series(False, index=gdf.index)
    if closed.any():  # R12 circles (manholes, trees) come as many-sided closed lines
        idx = closed.index[closed.to_numpy()]
        rnd = np.array([_round(g) for g in gdf.geometry.loc[idx]], dtype=bool)
        circles[idx[rnd]] = True
        closed[idx[rnd]] = False
    block_ref = sub.str.contains("AcDbBlockReference") | (gdf["BlockName"].notna() if "BlockName" in gdf else False)
    conds = [
        empty,
        gdf["PaperSpace"].fillna(0).astype(bool) if "PaperSpace" in gdf else pd.Series(False, index=gdf.index),
        sub.str.contains("AcDbDimension"),
        text | sub.str.contains("AcDbText|AcDbMText|AcDbAttribute"),
        sub.str.contains(r"AcDbCircle$") | sub.str.contains("AcDbEllipse") | circles,
        gtype.isin(["GeometryCollection"]) | (block_ref & ~gtype.isin(["Point", "MultiPoint"])),
        gtype.isin(["Point", "MultiPoint"]) & block_ref,
        gtype.isin(["Polygon", "MultiPolygon"]),
        gtype.isin(["Point", "MultiPoint"]),
        closed,
        gtype.isin(["LineString", "MultiLineString"]),
    ]
    names = ["empty", "paper", "dimension", "text", "circle", "block", "block", "area", "point", "closed", "line"]
    return pd.Series(np.select([np.asarray(c, dtype=bool) for c in conds], names, default="block"), index=gdf.index)


def _round(line) -> bool:
    """A closed line of 16 or more vertices all at one distance from its centre: a drawn circle."""
    xy = shapely.get_coordinates(line)
    if len(xy) < 16 or not shapely.is_closed(line):
        return False
    r = np.hypot(*(xy - xy[:-1].mean(axis=0)).T)
    return bool(r.mean() > 0 and r.std() < 0.01 * r.mean())


def _keep(role: str, kinds: pd.Series) -> set[str]:
    """The kinds a role takes from a drawing."""
    present = set(kinds)
    if role in LINE_ROLES:
        return {"line", "closed"}
    if role == "rivers":
        return {"line", "closed"} | ({"area"} if "closed" not in present else set())
    if role in AREA_ROLES:
        return {"closed"} | ({"area"} if "closed" not in present else set())
    keep = {"point", "block"} if "Point" in ROLES[role].geometry else set()
    if "Polygon" in ROLES[role].geometry and not (present & keep):
        keep |= {"closed"} | ({"area"} if "closed" not in present else set())
    return keep


def _counts_text(counts: dict[str, int], lang: str) -> str:
    i = 0 if lang == "zh" else 1
    sep = "、" if lang == "zh" else ", "
    return sep.join(count_en(n, KIND_NAMES[k][i]) if lang == "en" else f"{KIND_NAMES[k][i]} {n:,} 个"
                    for k, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def _cad_layers_text(layers: pd.Series, n: int = 8) -> str:
    counts = layers.fillna("").value_counts()
    shown = [f"{name or '0'}（{c:,}）" for name, c in counts.head(n).items()]
    return "、".join(shown) + ("…" if len(counts) > n else "")


def read_dxf(path: Path, *, layer: str | None, role: str | None, encoding: str | None,
             encoding_default: str | None = None):
    """Read the entities of a DXF drawing that a role can use.

    Parameters
    ----------
    path
        The ``.dxf`` file (ASCII; binary DWG is refused with how to save it as DXF).
    layer
        CAD layer name(s) to take, e.g. ``道路中心线`` or ``主干路,次干路`` (``PATH:LAYER``); by
        default every CAD layer.
    role
        The layer's role: which geometry is kept (lines for roads; closed polylines become
        polygons for villages; points and block inserts for places).
    encoding, encoding_default
        As for shapefiles: over the header's code page, or only where the text is not UTF-8.

    Returns
    -------
    RawLayer
        Geometry in the drawing's own coordinates (no CRS), the columns ``Layer`` (CAD layer),
        ``Text`` and ``BlockName`` where present, feature ids ``handle XXXX``.
    """
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if is_dwg(head):
        raise dwg_error(path, renamed=True)
    enc = dxf_encoding(path, encoding, default=encoding_default)
    points = role is not None and "Point" in ROLES[role].geometry
    # Raw bytes (ISO-8859-1) decoded here; symbols as one point each for point roles.
    # Raw code values: survey software (CASS …) puts each entity's feature code in its extended data.
    options = {"DXF_ENCODING": "ISO-8859-1", "DXF_INLINE_BLOCKS": "FALSE" if points else None,
               "DXF_INCLUDE_RAW_CODE_VALUES": "TRUE"}
    # GDAL's config options are process-wide: one DXF read at a time sets and restores them.
    with _GDAL_OPTIONS:
        gdf = _read_entities(path, options)
    apps = None
    if "RawCodeValues" in gdf:
        raw = gdf.pop("RawCodeValues")
        gdf["XData"], apps = raw.map(_xdata_code), raw.map(_xdata_app)
    _decode_columns(gdf, enc.encoding, path)
    ids = (gdf["EntityHandle"].map(lambda h: f"handle {h}" if isinstance(h, str) and h else None)
           if "EntityHandle" in gdf else pd.Series(None, index=gdf.index, dtype=object))
    ids = ids.fillna(pd.Series([f"FID {i}" for i in gdf.index], index=gdf.index))
    problems: list[Problem] = []
    where = dict(file=str(path), layer=layer)
    if layer and layer != "entities":
        wanted = [s.strip() for s in re.split(r"[,，;；]", layer) if s.strip()]
        have = gdf["Layer"].fillna("0").astype(str)
        missing = [w for w in wanted if w not in set(have)]
        if missing:
            raise LayerNotFoundError(
                f"图纸中没有 CAD 图层“{'、'.join(missing)}”；现有图层：{_cad_layers_text(have, 30)}",
                f"no CAD layer {', '.join(missing)} in the drawing; its layers: {_cad_layers_text(have, 30)}",
                fix_zh="用 文件.dxf:图层名 指定其中的图层，多个用逗号分隔，如 roads.dxf:主干路,次干路。",
                fix_en="name its layers as FILE.dxf:LAYER, several separated by commas, e.g. roads.dxf:主干路,次干路.",
                file=str(path), layer=layer)
        gdf, ids = gdf[have.isin(wanted)], ids[have.isin(wanted)]
        apps = apps[have.isin(wanted)] if apps is not None else None
    kinds = _kinds(gdf)
    keep = _keep(role, kinds) if role in ROLES else set(kinds) - {"paper", "empty"}
    chosen = kinds.isin(keep)
    dropped = {k: int(n) for k, n in kinds[~chosen].value_counts().items()}
    all_counts = {k: int(n) for k, n in kinds.value_counts().items()}
    role_zh = ROLES[role].zh if role in ROLES else "图层"
    if not chosen.any():
        raise GeometryTypeError(
            f"DXF 图纸中没有“{role_zh}”可用的要素：图纸里有{_counts_text(all_counts, 'zh') or '（空）'}；"
            f"CAD 图层：{_cad_layers_text(gdf['Layer']) if 'Layer' in gdf else '—'}",
            f"the DXF drawing holds nothing a {role} layer can use: it has "
            f"{_counts_text(all_counts, 'en') or 'nothing'}",
            fix_zh=_need_fix(role)[0], fix_en=_need_fix(role)[1], **where)
    if dropped:
        problems.append(Problem(
            "warning", "dxf_dropped",
            f"CAD 图纸中{_counts_text(dropped, 'zh')}不是“{role_zh}”图层需要的几何，已略去",
            f"{_counts_text(dropped, 'en')} in the CAD drawing {plural_en(sum(dropped.values()), 'is')} not what a {role} layer uses; left out",
            fix_zh=_need_fix(role)[0], fix_en=_need_fix(role)[1], role=role, **where))
    if role in ("roads", "rivers", "railways") and not (layer and layer != "entities"):
        chosen, note = _role_layers(gdf, chosen, role, where, apps)
        problems += note
    gdf, ids, kinds = gdf[chosen].copy(), ids[chosen], kinds[chosen]
    # Closed polylines are areas for every role but the line ones (a roundabout stays a road).
    to_area = (kinds == "closed") & (role not in LINE_ROLES)
    if to_area.any():
        geoms = gdf.geometry.values.copy()
        mask = to_area.to_numpy()
        geoms[mask] = shapely.make_valid(np.array([shapely.Polygon(shapely.get_coordinates(g))
                                                   for g in geoms[mask]], dtype=object))
        gdf = gdf.set_geometry(geoms)
    if role in ("roads", "railways", "rivers"):
        problems += _edge_lines_warning(gdf, role, where)
    cols = [c for c in ("Layer", "Text", "BlockName", "XData") if c in gdf and gdf[c].notna().any()]
    gdf = gpd.GeoDataFrame(gdf[cols], geometry=shapely.force_2d(gdf.geometry.values), crs=None, index=gdf.index)
    return RawLayer(gdf, str(path), layer, "DXF", enc, problems=problems, ids=ids)


def _xdata_code(raw) -> str | None:
    """An entity's feature code from its extended data (``1001 SOUTH``, ``1000 164301``): the first
    string (group 1000) that looks like a code, else the first string; None without any."""
    if raw is None or isinstance(raw, float):
        return None
    strings = [str(v)[5:].strip() for v in raw if str(v).startswith("1000 ")]
    strings = [v for v in strings if v]
    coded = [v for v in strings if re.fullmatch(r"\d{4,8}|[A-Za-z]{2}\d{3}", v)]
    return (coded or strings or [None])[0]


def _xdata_app(raw) -> str | None:
    """The application that wrote an entity's extended data (group 1001: ``SOUTH`` for CASS)."""
    if raw is None or isinstance(raw, float):
        return None
    apps = [str(v)[5:].strip().upper() for v in raw if str(v).startswith("1001 ")]
    return apps[0] if apps else None


def _code_theme(code, app) -> str | None:
    """What an entity's extended-data code says it is: CASS's own codes under app SOUTH where
    confirmed (14 居民地, 18 水系), else a GB/T 13923 or FACC code's family (road, railway, water)."""
    if not isinstance(code, str):
        return None
    from ..lineclasses import _feature_code, cass_code_theme
    if app == "SOUTH":
        theme = cass_code_theme(code)
        if theme is not None or code.strip()[:2] in ("13", "15", "16", "17", "19", "20", "21"):
            return theme  # CASS's other sections: not confirmed, the layer decides
    fc = _feature_code(code)
    return fc[0] if fc is not None and fc[0] in ("road", "railway", "water") else None


_ROLE_WORDS = {"roads": ("道路", "roads", "road layers", "道路.dxf:主干路,次干路"),
               "rivers": ("水系", "rivers", "water layers", "地形图.dxf:河流,沟渠"),
               "railways": ("铁路", "railways", "railway layers", "地形图.dxf:铁路")}


def _role_layers(gdf: gpd.GeoDataFrame, chosen: pd.Series, role: str, where: dict,
                 apps: pd.Series | None) -> tuple[pd.Series, list[Problem]]:
    """The lines of a whole survey drawing that a line role takes, by CAD layer name and feature code.

    A survey drawing holds contours, buildings, boundaries and pipes beside the roads, rivers and
    railways, and every line read as a river or railway is a hard barrier. So: when some layers
    (河流, SXSS, 铁路, 城市道路) or codes (21xxxx, 41xxxx, 43xxxx; CASS 18xxxx) say the role, only
    those lines are read; else the lines of layers that say nothing (0, Layer1) are read and the
    layers of other themes (DGX 等高线, JMD 居民地) left out; a drawing of nothing but other themes is
    refused. Each layer read and left out is said, with how to choose layers (FILE.dxf:L1,L2).
    """
    from ..lineclasses import ROLE_THEMES, cad_layer_theme
    layers = gdf["Layer"].fillna("0").astype(str) if "Layer" in gdf else pd.Series("0", index=gdf.index)
    own, neutral = ROLE_THEMES[role]
    family = {"roads": "road", "rivers": "water", "railways": "railway"}[role]
    by_layer = layers.map({name: cad_layer_theme(name) for name in layers[chosen].unique()})
    codes = gdf["XData"] if "XData" in gdf else pd.Series(None, index=gdf.index, dtype=object)
    app = apps if apps is not None else pd.Series(None, index=gdf.index, dtype=object)
    by_code = pd.Series([_code_theme(c, a) for c, a in zip(codes, app)], index=gdf.index, dtype=object)
    # An entity's own code is surer than its layer (a river line coded 210101 on layer 0).
    theme = by_code.where(by_code.notna(), by_layer)
    says_role = theme.isin(own) | (by_code == family)
    says_nothing = theme.isna() | theme.isin(neutral)
    zh_role, en_role, en_layers, example = _ROLE_WORDS[role]
    fix_zh = f"用 文件.dxf:图层1,图层2 指定要读的{zh_role}图层（如 {example}）。"
    fix_en = f"name the {en_layers} to read as FILE.dxf:LAYER1,LAYER2 (e.g. {example})."
    if (chosen & says_role).any():
        taken = chosen & says_role
    elif (chosen & says_nothing).any():
        taken = chosen & says_nothing
    else:
        shown = _layers_read_text(layers[chosen], by_code[chosen], by_layer[chosen], "zh")
        raise GeometryTypeError(
            f"DXF 图纸中没有{zh_role}图层：图层都是其他要素（{shown}），不能当作{zh_role}读入",
            f"the DXF drawing has no {en_layers}: its layers hold other features "
            f"({_layers_read_text(layers[chosen], by_code[chosen], by_layer[chosen], 'en')}) and cannot be read "
            f"as {en_role}", fix_zh=fix_zh, fix_en=fix_en, **where)
    left = chosen & ~taken
    n_taken, n_left = int(taken.sum()), int(left.sum())
    read_zh = _layers_read_text(layers[taken], by_code[taken], by_layer[taken], "zh")
    read_en = _layers_read_text(layers[taken], by_code[taken], by_layer[taken], "en")
    if not left.any():
        if (taken & says_role).any():
            return taken, []  # every line is on a layer of the role: nothing to say
        return taken, [Problem(
            "warning", "dxf_layers_unnamed",
            f"CAD 图层名（{read_zh}）和要素代码都没有说明哪些线是{zh_role}，已读入全部 {n_taken:,} 条线；"
            f"若图中还有等高线、房屋等其他线，它们也会被当作{zh_role}",
            f"neither the CAD layer names ({read_en}) nor feature codes say which lines are {en_role}; all "
            f"{count_en(n_taken, 'line')} {plural_en(n_taken, 'was')} read, and any contours or building outlines "
            f"among them are taken as {en_role} too", fix_zh=fix_zh, fix_en=fix_en, role=role, **where)]
    left_zh = _layers_read_text(layers[left], by_code[left], by_layer[left], "zh")
    left_en = _layers_read_text(layers[left], by_code[left], by_layer[left], "en")
    if (taken & says_role).any():
        zh = (f"按 CAD 图层名和要素代码认出{zh_role}：已读入 {n_taken:,} 条（{read_zh}）；其他图层的 {n_left:,} 条线"
              f"（{left_zh}）不是{zh_role}图层，未读入")
        en = (f"{en_role} recognised by CAD layer name and feature code: {count_en(n_taken, 'line')} read ({read_en}); "
              f"{count_en(n_left, 'line')} on other layers ({left_en}), which are not {en_layers}, "
              f"{plural_en(n_left, 'was')} left out")
    else:
        zh = (f"没有 CAD 图层名或要素代码说明哪些线是{zh_role}：已读入名称不表示其他要素的图层 {n_taken:,} 条"
              f"（{read_zh}）；其他要素图层的 {n_left:,} 条线（{left_zh}）未读入")
        en = (f"no CAD layer name or feature code says which lines are {en_role}: {count_en(n_taken, 'line')} on "
              f"layers whose names say nothing {plural_en(n_taken, 'was')} read ({read_en}); "
              f"{count_en(n_left, 'line')} on layers of other features ({left_en}) {plural_en(n_left, 'was')} left out")
    # Lines left out that another barrier role reads (the 铁路 layer of a drawing given as rivers):
    # said with the option that takes them, else they would seem lost.
    elsewhere_zh, elsewhere_en = [], []
    for other, fam in (("roads", "road"), ("rivers", "water"), ("railways", "railway")):
        sel = left & ((theme == fam) | theme.isin(ROLE_THEMES[other][0]))
        if other != role and sel.any():
            names = ",".join(dict.fromkeys(str(x or "0") for x in layers[sel]))
            elsewhere_zh.append(f"{_ROLE_WORDS[other][0]}图层可用 --{other} 文件.dxf:{names} 读入")
            elsewhere_en.append(f"the {_ROLE_WORDS[other][2]} can be read with --{other} FILE.dxf:{names}")
    if elsewhere_zh:
        zh += "（" + "；".join(elsewhere_zh) + "）"
        en += " (" + "; ".join(elsewhere_en) + ")"
    return taken, [Problem(
        "warning", f"dxf_{role[:-1]}_layers", zh, en,
        fix_zh=f"若其他图层中也有{zh_role}，" + fix_zh, fix_en=f"if other layers hold {en_role} too, " + fix_en,
        role=role, **where)]


def _layers_read_text(layers: pd.Series, by_code: pd.Series, by_layer: pd.Series, lang: str, n: int = 8) -> str:
    """``河流（3）、SXSS（1，水系）、0（2，要素代码：水系）``: each CAD layer with its count and, where
    its name is not Chinese, what it was read as (the name's theme, or the entities' codes)."""
    from ..lineclasses import THEME_NAMES
    i = 0 if lang == "zh" else 1
    out = []
    counts = layers.value_counts()
    for name, c in counts.head(n).items():
        sel = layers == name
        code_themes = list(dict.fromkeys(t for t in by_code[sel] if isinstance(t, str)))
        note = []
        if code_themes:
            words = "/".join(THEME_NAMES.get(t, (t, t))[i] for t in code_themes)
            note.append(f"要素代码：{words}" if lang == "zh" else f"feature code: {words}")
        theme = by_layer[sel].iloc[0]
        if isinstance(theme, str) and not re.search(r"[\u4e00-\u9fff]", name) and not code_themes:
            note.append(THEME_NAMES.get(theme, (theme, theme))[i])
        shown = name or "0"
        if lang == "zh":
            out.append(f"{shown}（{c:,}" + (f"，{'，'.join(note)}" if note else "") + "）")
        else:
            out.append(f"{shown} ({c:,}" + (f", {', '.join(note)}" if note else "") + ")")
    more = "…" if len(counts) > n else ""
    return ("、" if lang == "zh" else ", ").join(out) + more


def _need_fix(role: str | None) -> tuple[str, str]:
    """How a role's features must be drawn in CAD (zh, en)."""
    if role in LINE_ROLES or role == "rivers":
        return ("线要素要在模型空间中用直线或多段线（LINE/PLINE）绘制；文字、标注、填充和图块不作为线读取。"
                "若图纸中有多个 CAD 图层，可用 文件.dxf:图层名 只读其中的中心线图层。",
                "lines must be LINE/PLINE entities in model space; text, dimensions, hatches and blocks are not read "
                "as lines. To take only the centre-line layer, name it as FILE.dxf:LAYER.")
    if role in AREA_ROLES or role is None:
        return ("面要素（村界、林地等）要画成闭合多段线：在 CAD 中用 PEDIT 选“闭合”，或用 BOUNDARY 命令生成边界。",
                "areas (village boundaries, forest) must be closed polylines: close them with PEDIT, or make them "
                "with the BOUNDARY command.")
    return ("点要素（场所、站点等）要画成点（POINT）或图块；文字注记不作为点读取，可把场所整理到 Excel 表中再导入。",
            "points (places, stations) must be POINT entities or block inserts; text labels are not read as points; "
            "a table of places in Excel works too.")


def _edge_lines_warning(gdf: gpd.GeoDataFrame, role: str, where: dict) -> list[Problem]:
    """A road drawing with both centre lines and edge lines (道路边线): edges would double every road."""
    if "Layer" not in gdf:
        return []
    names = set(gdf["Layer"].dropna().astype(str))
    centre = sorted(n for n in names if "中心线" in n)
    edges = sorted(n for n in names if re.search(r"边线|边界|路沿|路缘|岸线", n))
    if not (centre and edges):
        return []
    return [Problem(
        "warning", "dxf_edge_lines",
        f"图纸同时有中心线图层（{'、'.join(centre)}）和边线图层（{'、'.join(edges)}），已全部读入，边线会使线路重复",
        f"the drawing has centre-line layers ({', '.join(centre)}) and edge-line layers ({', '.join(edges)}); both "
        "were read, and the edges double the lines",
        fix_zh=f"只读中心线：--{role} 文件.dxf:{','.join(centre)}", fix_en=f"take the centre lines only: --{role} "
        f"FILE.dxf:{','.join(centre)}", role=role, **where)]


__all__ = ["dxf_encoding", "dwg_error", "is_dwg", "read_dxf"]


def _read_entities(path: Path, options: dict) -> "gpd.GeoDataFrame":
    """The drawing's entities read with GDAL ``options`` set, then the previous values back."""
    before = {k: pyogrio.get_gdal_config_option(k) for k in options}
    try:
        pyogrio.set_gdal_config_options(options)
        return pyogrio.read_dataframe(path, layer="entities", fid_as_index=True)
    except Exception as exc:  # GDAL's DataSourceError with a C-level message
        zh, en = plain_reason(exc)
        raise UnsupportedFormatError(
            f"无法读取 DXF 图纸：{zh}", f"cannot read the DXF drawing: {en}",
            fix_zh="在 CAD 中打开图纸，用“另存为”重新保存为 DXF（ASCII 格式，如 AutoCAD 2013 DXF）后再导入。",
            fix_en="open the drawing in CAD and save it again as DXF (ASCII, e.g. AutoCAD 2013 DXF), then import that.",
            file=str(path)) from exc
    finally:
        pyogrio.set_gdal_config_options(before)
