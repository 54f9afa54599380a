"""What an export made with ``--include-personal`` shows unmasked: which outputs, which layers and
columns (names, ID-card and phone numbers), found as the masking finds them
(:func:`gridtool.maps.privacy.personal_columns`), and the warning that says so.

Each export draws on some layers of the project and, for the print exports, only on some of their
columns (a wall map labels a grid with its worker's name and nothing else personal);
:data:`EXPORT_LAYERS` lists them, so that the warning names what a reader of that file can see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from .privacy import personal_columns
from .style import LAYER_ZH

_STAFF = ("worker", "worker_phone", "phone", "联系电话", "head", "网格员", "网格长")
#: Per kind of export: layer → the columns it shows (a column name or a kind such as ``name``;
#: None: all of them). The GIS files show the layers asked for (:func:`gis_layers`).
EXPORT_LAYERS: dict[str, dict[str, tuple[str, ...] | None]] = {
    "html": dict.fromkeys(("grids", "subgrids", "special_grids", "corridors", "villages", "households", "places",
                           "routes", "route_stops", "circles", "incidents", "hotspots", "stations", "party_links",
                           "party_members")),
    "gpx": dict.fromkeys(("routes", "route_stops")),
    "ledger": {**dict.fromkeys(("grids", "subgrids", "special_grids", "households")),
               "party_members": ("name",)},  # the 党员联户 sheet: the members' names
    "wall": {"grids": ("worker",)},  # the label: code, households, worker
    "atlas": {"grids": _STAFF, "party_members": ("name",)},  # the grid worker and phone; the members' names
    "route_cards": dict.fromkeys(("routes", "route_stops")),
}
KIND_WORDS = {"name": ("姓名", "names"), "phone": ("电话号码", "phone numbers"),
              "id_number": ("身份证号", "ID-card numbers"), "address": ("住址", "addresses"), "personal": ("个人信息", "personal data"),
              "text": ("文字中的电话、身份证号和姓名", "phone and ID numbers and names in the text")}


def gis_layers(roles: Sequence[str] | None) -> dict[str, None]:
    """The layers of a GIS export (``--layers``, else :data:`gridtool.maps.gis.GIS_LAYERS`)."""
    from .gis import GIS_LAYERS
    return dict.fromkeys(roles or GIS_LAYERS)


#: Layers of the routing commands' files that no project layer names.
OUTPUT_LAYER_ZH = {"sites": "站点与选址", "exits": "卡口", "stations": "站点", "seal_paths": "封控路线",
                   "seal": "封控表", "hotspot_streets": "热点街道", "unserved": "未安排地点", "villages_table": "各村覆盖"}


def _layer_zh(role: str) -> str:
    """grids → 基础网格 (as the maps name them), party_members → 党员 (as the roles do)."""
    from ..roles import ROLES
    if role.startswith("uncovered_"):
        return f"未覆盖（{role.removeprefix('uncovered_')}）"
    return LAYER_ZH.get(role) or OUTPUT_LAYER_ZH.get(role) or (ROLES[role].zh if role in ROLES else role)


@dataclass
class Unmasked:
    """One output with personal data shown as it is: its ``path`` and, per layer, column → kind."""

    path: str
    layers: dict[str, dict[str, str]]

    def text(self, lang: str = "zh") -> str:
        """``map.html：住户（Owner 姓名、联系电话 电话号码）`` / ``map.html: households (Owner names, …)``."""
        zh = lang == "zh"
        parts = []
        for role, cols in self.layers.items():
            words = ("、" if zh else ", ").join(f"{c} {KIND_WORDS.get(k, (k, k))[0 if zh else 1]}"
                                               for c, k in cols.items())
            parts.append(f"{_layer_zh(role)}（{words}）" if zh else f"{role} ({words})")
        return f"{self.path}{'：' if zh else ': '}" + ("；" if zh else "; ").join(parts)


def unmasked_outputs(project, outputs: Sequence[tuple[str, str, Mapping[str, tuple[str, ...] | None]]]
                     ) -> list[Unmasked]:
    """The outputs that show personal data unmasked, with the columns each shows.

    Parameters
    ----------
    project
        A :class:`gridtool.project.Project`.
    outputs
        ``(path, kind, layers)`` per output written with ``include_personal=True``; ``layers`` as in
        :data:`EXPORT_LAYERS` (``kind`` is kept for the caller; the layers decide).

    Returns
    -------
    list of Unmasked
        Only the outputs that show any; empty when the project holds no personal data.
    """
    found: dict[str, dict[str, str]] = {}  # each layer looked at once, whatever the outputs
    out = []
    for path, _kind, layers in outputs:
        shown = {}
        for role, only in layers.items():
            lyr = project.layers.get(role)
            if lyr is None or lyr.gdf is None:
                continue
            if role not in found:
                found[role] = personal_columns(lyr)
            cols = {c: k for c, k in found[role].items() if only is None or c in only or k in only}
            if cols:
                shown[role] = cols
        if shown:
            out.append(Unmasked(str(path), shown))
    return out


def unmasked_tables(outputs: Sequence[tuple[str, Mapping[str, object]]], *, personal_layers: Sequence[str] = ()
                    ) -> list[Unmasked]:
    """:func:`unmasked_outputs` for files written from tables that are no project layers (``coverage``,
    ``seal`` and ``patrol`` results): ``(path, {layer name: DataFrame})`` per file written with
    ``include_personal=True``; ``personal_layers`` are about people (uncovered households)."""
    from .privacy import frame_personal_columns
    out = []
    for path, layers in outputs:
        shown = {}
        for name, df in layers.items():
            cols = frame_personal_columns(df, personal_role=name in personal_layers)
            if cols:
                shown[name] = cols
        if shown:
            out.append(Unmasked(str(path), shown))
    return out


def warning_lines(unmasked: Sequence[Unmasked], lang: str = "zh") -> list[str]:
    """The warning printed after an export with ``--include-personal`` (empty: nothing to warn of)."""
    if not unmasked:
        return []
    if lang == "zh":
        return (["警告：以下文件含未脱敏的个人信息（按 --include-personal 导出）："]
                + [f"  {u.text('zh')}" for u in unmasked]
                + ["  姓名、身份证号、电话号码受《中华人民共和国个人信息保护法》保护：仅限工作需要使用，"
                   "妥善保管，不得公开、外传或上传到网上；对外提供请去掉 --include-personal 重新导出。"])
    return (["warning: these files hold personal data unmasked (exported with --include-personal):"]
            + [f"  {u.text('en')}" for u in unmasked]
            + ["  Names, ID-card and phone numbers are protected by law (PRC Personal Information Protection "
               "Law): use them only for the work, keep the files safe, do not publish, pass on or upload them; "
               "for anyone else, export again without --include-personal."])


__all__ = ["EXPORT_LAYERS", "KIND_WORDS", "OUTPUT_LAYER_ZH", "Unmasked", "gis_layers", "unmasked_outputs", "unmasked_tables",
           "warning_lines"]
