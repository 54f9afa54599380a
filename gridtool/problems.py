"""A problem found in the input data: where it is, what is wrong, and how to fix it, in two languages."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from dataclasses import field as dc_field
from typing import Any

MAX_LISTED = 20  # features named in one message; the full list stays in ``features``


@dataclass
class Problem:
    severity: str  # "error" (must be fixed before partitioning), "warning" or "info" (nothing to fix)
    code: str      # stable identifier, e.g. "invalid_geometry", "hh_negative"
    zh: str
    en: str
    fix_zh: str = ""
    fix_en: str = ""
    role: str | None = None
    file: str | None = None
    layer: str | None = None
    field: str | None = None
    features: list[Any] = dc_field(default_factory=list)  # FIDs / row numbers / IDs
    bounds: tuple[float, float, float, float] | None = None  # in the project CRS, for zoom-to
    repaired: bool = False

    def where(self, lang: str = "en") -> str:
        """File, layer, field and the features named: ``文件：…，要素：第5行、第9行`` in Chinese,
        ``file=…, features row 5, row 9`` in English."""
        from .errors import features_text, where_text
        text = where_text(lang, file=self.file, layer=self.layer, field=self.field)
        if self.features:
            if lang == "zh":
                text += ("，" if text else "") + "要素：" + features_text(self.features, "zh", MAX_LISTED)
            else:  # "features row 5, row 9 … and 12 more", not a Python list
                text += (", " if text else "") + "features " + features_text(self.features, "en", MAX_LISTED)
        return text

    def format(self, lang: str | None = None) -> str:
        tag = {"error": ("错误", "ERROR"), "warning": ("警告", "WARNING"), "info": ("说明", "NOTE")}[self.severity]
        lines = []
        if lang in (None, "zh"):
            where = self.where("zh")
            lines.append(f"[{tag[0]}] {self.zh}" + (f"（{where}）" if where else ""))
            if self.fix_zh:
                lines.append("    解决办法：" + self.fix_zh)
        if lang in (None, "en"):
            where = self.where("en")
            lines.append(f"[{tag[1]}] {self.en}" + (f" ({where})" if where else ""))
            if self.fix_en:
                lines.append("    Fix: " + self.fix_en)
        return "\n".join(lines)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["features"] = [f if isinstance(f, (int, str)) else str(f) for f in self.features]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Problem":
        d = dict(d)
        if d.get("bounds") is not None:
            d["bounds"] = tuple(d["bounds"])
        return cls(**d)
