"""Personal data in exports: masking names, phone and ID-card numbers, and escaping HTML.

Names, ID-card numbers and phone numbers of residents are protected by law (个人信息保护法), and
maps are shared widely, so every export masks them unless the user asks otherwise
(``include_personal=True``, ``--include-personal`` on the command line).

Hand-written because the rules are the common Chinese display conventions, not a library's:
``张三丰`` → ``张*丰``, ``张三`` → ``张*``, ``13812341234`` → ``138****1234``, an 18-digit ID number
keeps its 6-digit region code and last 4 characters (``110101********123X``). Which columns to
mask comes from the project's ``sensitive`` flags (``gridtool.columns.sensitive_columns`` at load
time, and the column given as ``--field households.name=…``) and, for frames without flags, from the
same header and content rules plus common header words (姓名, 户主, 电话, 手机, 身份证, owner, phone,
tel, id_card …). Content rules (:mod:`gridtool.personal`): in tables about people, a column whose
values mostly look like Chinese names is a name column; in every text column of every layer, phone
and ID numbers inside free text are masked where they stand, and so are the words that look like
names in a cell that holds such a number or a label such as 户主 (备注 "张三 13812345678
身份证110105199001011234" → "张* 138****5678 身份证110105********1234").
"""

from __future__ import annotations

import html
import math
import re
from typing import Any, Iterable, Mapping

import pandas as pd

from ..personal import (ADDRESS_ROLES, KEY_COLUMNS, address_columns, id_check_ok, is_record_number_header,
                        might_hold_personal, name_columns, scrub_text)

#: Kinds of personal data; values of ``Layer.sensitive``.
KINDS = ("name", "phone", "id_number", "address")

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_ID_RE = re.compile(r"^\d{17}[\dXx]$|^\d{15}$")
# A bare code (320102202611060001, JQ2026-0001) in a 警情编号 column: its key, never scrubbed.
_BARE_CODE = re.compile(r"^[0-9A-Za-z_\-]+$")
_PHONE_RE = re.compile(r"^(\+?86[\s-]?)?1[3-9]\d{9}$|^0\d{2,3}[\s-]?\d{7,8}$")
# Header words beyond those of gridtool.columns (which also checks content). Compared against the
# lower-cased header with spaces, hyphens and underscores removed.
_NAME_WORDS = ("姓名", "户主", "联系人", "业主", "房主", "屋主", "负责人", "监护人", "householder", "person_name",
               "personname", "fullname", "owner", "hzxm", "lxr")
_PHONE_WORDS = ("电话", "手机", "联系方式", "phone", "mobile", "telephone", "tel", "lxdh")
_ID_WORDS = ("身份证", "证件号", "公民身份号码", "idcard", "id_card", "idno", "id_no", "sfzh")


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _text(value: Any) -> str:
    """A cell as text; integers stored as floats (13812341234.0) without the ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def mask_name(value: Any) -> Any:
    """Mask a person's name: ``张三丰`` → ``张*丰``, ``张三`` → ``张*``, ``欧阳娜娜`` → ``欧**娜``.

    Latin names keep the first letter of each word: ``John Smith`` → ``J*** S****``. Missing
    values are returned unchanged.
    """
    if _missing(value):
        return value
    s = _text(value)
    if not s:
        return s
    if _CJK.search(s) or " " not in s and len(s) <= 4:
        s = s.replace(" ", "")
        if len(s) == 1:
            return "*"
        if len(s) == 2:
            return s[0] + "*"
        return s[0] + "*" * (len(s) - 2) + s[-1]
    return " ".join(w[0] + "*" * max(len(w) - 1, 1) for w in s.split())


def mask_phone(value: Any) -> Any:
    """Mask a phone number: ``13812341234`` → ``138****1234``, ``025-84561234`` → ``025-****1234``.

    The four digits before the last four are hidden on numbers of 11 digits or more (so a
    ``+86`` prefix and area codes stay readable); shorter numbers keep only their last four.
    Separators are kept where they were.
    """
    if _missing(value):
        return value
    s = _text(value)
    pos = [i for i, ch in enumerate(s) if ch.isdigit()]
    n = len(pos)
    if n == 0:
        return "*" * len(s) if s else s
    digits = "".join(s[i] for i in pos)
    if digits.startswith("0") and not digits.startswith("00") and n >= 10 and not s.lstrip().startswith("+"):
        # a landline: its area code (010/02x: 3 digits, else 4) stays readable, the local number
        # hides all but its last four (0831-2345678 → 0831-***5678, not 083*-***5678)
        area = 3 if digits[1] in "12" else 4
        hide = set(pos[area:n - 4])
    elif n >= 11:
        hide = set(pos[n - 8:n - 4])
    elif n > 4:
        hide = set(pos[:n - 4])
    else:
        hide = set(pos)
    return "".join("*" if i in hide else ch for i, ch in enumerate(s))


def mask_id(value: Any) -> Any:
    """Mask an ID-card number: 18 (or 15) characters keep the first 6 (region) and the last 4.

    ``110101199003071234`` → ``110101********1234``. Other identifiers of 8–14 characters keep
    two at each end; shorter ones only the first.
    """
    if _missing(value):
        return value
    s = _text(value).replace(" ", "")
    n = len(s)
    if n >= 15:
        return s[:6] + "*" * (n - 10) + s[-4:]
    if n >= 8:
        return s[:2] + "*" * (n - 4) + s[-2:]
    return (s[:1] + "*" * (n - 1)) if n else s


_PLACE_PART = re.compile(r".*(?:社区|小区|村|组|镇|乡|街道|路|街|巷|弄|里)")
#: A door, building or flat number (12号, 12#, 3栋, 2单元, 301室): nothing from it on stays readable.
_DOOR_NUMBER = re.compile(r"[\d０-９]+\s*(?:号|#|＃|栋|幢|单元|室|楼)")


def mask_address(value: Any) -> Any:
    """Mask a person's address below the road, village or estate: ``五老村社区3组12号`` →
    ``五老村社区3组***``, ``幸福路18号2单元301`` → ``幸福路*********``; the place stays readable, the
    door does not. An address with no such word keeps its first two characters."""
    if _missing(value):
        return value
    s = _text(value)
    m = _PLACE_PART.match(s)
    # a place alone (五老村社区) is no one's door and stays whole
    keep = m.end() if m else min(2, len(s) - 1) if len(s) > 1 else 0
    door = _DOOR_NUMBER.search(s)
    if door is not None:  # 中山路12号新村3栋: the door comes before the last place word, and goes
        keep = min(keep, door.start())
    return s[:keep] + "*" * (len(s) - keep)


def mask_value(value: Any, kind: str | None = None) -> Any:
    """Mask one value of the given ``kind`` (``"name"``, ``"phone"``, ``"id_number"``).

    Without a kind the value's form decides: an ID-card number, a phone number, else a name.
    ``"address"``: :func:`mask_address`.
    """
    if _missing(value):
        return value
    if kind is None:
        s = _text(value).replace(" ", "")
        kind = "id_number" if _ID_RE.match(s) else "phone" if _PHONE_RE.match(s) else "name"
    if kind == "phone":
        return mask_phone(value)
    if kind == "id_number":
        return mask_id(value)
    if kind == "address":
        return mask_address(value)
    return mask_name(value)


def _scrub_text(text: str) -> str:
    """Phone and ID numbers inside free text masked, and names next to them (:mod:`gridtool.personal`)."""
    return scrub_text(text, mask_number=lambda v, kind: mask_value(v, kind), mask_name=mask_name)


def mask_text(text: str) -> str:
    """:func:`_scrub_text` of a value shown on the console or stored as an example of a column
    ("红旗代销点 13912345678" → "红旗代销点 139****5678"); text without personal numbers as it is."""
    return _scrub_text(text) if might_hold_personal(text) else text



def is_text_column(s: pd.Series) -> bool:
    """Object or string dtype (pandas 3 stores text as ``str``, earlier versions as ``object``)."""
    return pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype)


def _squash(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(name).strip().lower())


def _header_kind(column: str) -> str | None:
    k = _squash(column)
    words = re.split(r"[\s_\-]+", str(column).strip().lower())
    for kind, vocab in (("id_number", _ID_WORDS), ("phone", _PHONE_WORDS), ("name", _NAME_WORDS)):
        for w in vocab:
            sw = _squash(w)
            # Latin words must be whole words ("tel" not in "hotel"); Chinese words anywhere.
            if (sw.isascii() and (sw == k or sw in words)) or (not sw.isascii() and sw in k):
                return kind
    return None


def detect_sensitive(df: pd.DataFrame, flagged: Mapping[str, str] | Iterable[str] | None = None,
                     *, personal_role: bool = False, exclude: Iterable[str] = ()) -> dict[str, str]:
    """Columns of ``df`` holding personal data, with their kind.

    Parameters
    ----------
    df
        Any table (a layer's GeoDataFrame, a roster).
    flagged
        Columns already known to be sensitive: ``Layer.sensitive`` (column → kind) or a list.
    personal_role
        True for tables about people (households, party members): a bare ``name`` column is then
        a person's name, and so is any column whose values mostly look like names (2–4 Han
        characters starting with a common surname). In other layers ``name`` is a village, road or
        place and stays.
    exclude
        Columns never taken as names by their content (the source columns of key columns, such as
        the roster's 所属村; :data:`KEY_COLUMNS` always are).

    Returns
    -------
    dict
        Column → ``"name"``, ``"phone"`` or ``"id_number"``; flagged columns first.
    """
    from ..columns import sensitive_columns

    out: dict[str, str] = {}
    if isinstance(flagged, Mapping):
        # "text": free text with personal numbers inside (备注), scrubbed rather than masked whole
        out.update({c: (k if k in KINDS or k == "text" else "name") for c, k in flagged.items() if c in df.columns})
    elif flagged is not None:
        out.update({c: "" for c in flagged if c in df.columns})
    for col in df.columns:
        if col == "geometry" or col in out:
            continue
        kind = _header_kind(col)
        if kind:
            out[col] = kind
    rest = [c for c in df.columns if c not in out and c != "geometry"]
    if rest:
        plain = pd.DataFrame({c: df[c] for c in rest})
        out.update(sensitive_columns(plain, personal_role=personal_role))
    if personal_role:
        out.update({c: "name" for c in name_columns(df, skip=[*out, *exclude])})
    return out


def mask_frame(df: pd.DataFrame, sensitive_columns: Mapping[str, str] | Iterable[str] | None = None,
               include_personal: bool = False, *, personal_role: bool = False,
               drop: bool = False, exclude: Iterable[str] = ()) -> pd.DataFrame:
    """A copy of ``df`` with personal data masked (or dropped); ``df`` itself is not changed.

    Parameters
    ----------
    df
        Table or GeoDataFrame.
    sensitive_columns
        Known sensitive columns (``Layer.sensitive`` mapping column → kind, or a list). Columns
        found by :func:`detect_sensitive` are added to these.
    include_personal
        True: return the data unmasked (the user's explicit choice).
    personal_role
        The table is about people (households, party members): a ``name`` column is personal.
    drop
        Drop the sensitive columns instead of masking them (GIS exports for other offices).
    exclude
        Columns not to take as names by content (see :func:`detect_sensitive`).

    Returns
    -------
    pandas.DataFrame
        Same type as ``df`` (a GeoDataFrame stays one), masked columns as text.
    """
    out = df.copy()
    if include_personal:
        return out
    found = detect_sensitive(df, sensitive_columns, personal_role=personal_role, exclude=exclude)
    # Free-text columns keep their notes readable, with the numbers in them masked (below), even
    # in the GIS files that leave the personal columns out.
    found = {c: k for c, k in found.items() if k != "text"}
    if drop:  # the free text of the columns left is scrubbed all the same
        out = out.drop(columns=list(found))
    else:
        for col, kind in found.items():
            values = out[col]
            masked = [mask_value(v, kind or None) for v in values.tolist()]
            out[col] = pd.Series(masked, index=out.index, dtype=object)
    # Other text columns: numbers (and the names beside them) written into notes and addresses.
    # src_id is ours (OSM ids are 11-digit numbers too) and stays.
    for col in out.columns:
        if col in found or col in ("geometry", "src_id") or not is_text_column(out[col]):
            continue
        text = out[col]
        code_col = is_record_number_header(col)
        # each distinct value once (rosters repeat their notes and villages); most need no look
        try:
            distinct = pd.unique(text.to_numpy(dtype=object))
        except TypeError:  # unhashable cells (lists): value by value
            distinct = text.tolist()
        new = {}
        for v in distinct:
            if might_hold_personal(v) and not (code_col and _BARE_CODE.match(str(v).strip())):
                m = _scrub_text(v)
                if m != v:
                    new[v] = m
        if new:
            hit = text.isin(list(new))
            out.loc[hit, col] = text[hit].map(new)
    return out


#: Columns gridtool itself writes about staff (the grid worker assigned to a grid, their phone):
#: personal data in every export, whichever layer carries them.
STAFF_COLUMNS = {"worker": "name", "head": "name", "网格员": "name", "网格长": "name",
                 "worker_phone": "phone", "phone": "phone", "联系电话": "phone"}


def staff_columns(df: pd.DataFrame) -> dict[str, str]:
    """The :data:`STAFF_COLUMNS` present in ``df`` (column → kind)."""
    return {c: k for c, k in STAFF_COLUMNS.items() if c in df.columns}


def mask_output(df: pd.DataFrame, include_personal: bool = False, *, personal_role: bool = False,
                flagged: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A table the routing commands write (sites, exits, stops …) masked as exports mask layers:
    the staff columns (:data:`STAFF_COLUMNS`), the columns ``flagged`` when its layer was loaded
    (``Layer.sensitive``, ``--field``) and every column :func:`detect_sensitive` finds."""
    if df is None:
        return df
    known = {c: k for c, k in dict(flagged or {}).items() if c in df.columns}
    known.update({c: k for c, k in staff_columns(df).items() if c not in known})
    return mask_frame(df, known, include_personal, personal_role=personal_role)


def _layer_rules(layer) -> tuple[dict[str, str], dict]:
    """What :func:`mask_layer` masks in a layer: its known personal columns (flagged at load time,
    staff columns, the roster's own name column) and the keywords of :func:`mask_frame`."""
    from ..roles import ROLES

    role = ROLES.get(layer.role)
    known = layer.sensitive or {}
    known = dict(known) if isinstance(known, Mapping) else {c: "" for c in known}
    known.update({c: k for c, k in staff_columns(layer.gdf).items() if c not in known})
    used = getattr(layer, "columns_used", None) or {}
    key_sources = [c for k, c in used.items() if k != "name"]  # 所属村 is a village, not a person
    if role is not None and role.personal and used.get("name") in layer.gdf.columns:
        known.setdefault(used["name"], "name")  # the roster's own name column (--field households.name=…)
    if layer.role in ADDRESS_ROLES:  # a member's address beside their name says who they are
        known.update({c: "address" for c in address_columns(layer.gdf.columns) if c not in known})
    return known, {"personal_role": bool(role and role.personal), "exclude": key_sources}


def mask_layer(layer, *, include_personal: bool = False, drop: bool = False) -> pd.DataFrame:
    """A project layer's GeoDataFrame with its personal data masked (see :func:`mask_frame`): the
    columns flagged when it was loaded, staff columns (:data:`STAFF_COLUMNS`) and those found by
    :func:`detect_sensitive`."""
    known, rules = _layer_rules(layer)
    return mask_frame(layer.gdf, known, include_personal, drop=drop, **rules)


def personal_columns(layer) -> dict[str, str]:
    """The columns of a project layer whose values masking changes: what an export made with
    ``include_personal=True`` shows as it is.

    Returns
    -------
    dict
        Column → ``"name"``, ``"phone"``, ``"id_number"``, ``"personal"`` (flagged without a kind),
        or ``"text"`` (numbers, and the names beside them, inside free text such as 备注); columns
        with nothing to mask are left out.
    """
    gdf = layer.gdf
    if gdf is None or not len(gdf):
        return {}
    known, rules = _layer_rules(layer)
    return _changed_columns(gdf, known, **rules)


def frame_personal_columns(df: pd.DataFrame, *, personal_role: bool = False) -> dict[str, str]:
    """:func:`personal_columns` of a table that is no project layer (the ``sites`` of a coverage
    run, the ``exits`` of a sealing plan): the columns :func:`mask_frame` changes, with their kind."""
    if df is None or not len(df):
        return {}
    return _changed_columns(df, {**staff_columns(df)}, personal_role=personal_role, exclude=())


def _changed_columns(gdf, known, **rules) -> dict[str, str]:
    """The columns of ``gdf`` whose values :func:`mask_frame` changes, with their kind."""
    found = detect_sensitive(gdf, known, **rules)
    masked = mask_frame(gdf, known, **rules)

    def cell(v):
        return None if _missing(v) else _text(v)

    out = {}
    for col in gdf.columns:
        if col == "geometry" or col not in masked:
            continue
        if any(cell(a) != cell(b) for a, b in zip(gdf[col].tolist(), masked[col].tolist())):
            out[col] = (found[col] or "personal") if col in found else "text"
    return out


def escape_html(value: Any) -> str:
    """Text safe inside HTML elements and quoted attributes; missing values become ``""``.

    ``<script>alert(1)</script>`` → ``&lt;script&gt;alert(1)&lt;/script&gt;``.
    """
    if _missing(value):
        return ""
    return html.escape(_text(value) if isinstance(value, float) else str(value), quote=True)


__all__ = ["KEY_COLUMNS", "KINDS", "STAFF_COLUMNS", "detect_sensitive", "escape_html", "id_check_ok",
           "frame_personal_columns", "is_text_column", "mask_address", "mask_frame", "mask_output", "mask_id", "mask_layer", "mask_name", "mask_phone", "mask_value",
           "personal_columns", "staff_columns"]
