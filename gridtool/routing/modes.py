"""Travel modes (kept in a module without heavy imports, for the command line's option lists)."""

MODES = ("walk", "bicycle", "car")
MODE_ZH = {"walk": "步行", "bicycle": "骑行", "car": "驾车"}
