"""CAD drawings (DXF R12, ASCII) written by hand for the reader's tests: ezdxf is not a dependency."""

from __future__ import annotations

from pathlib import Path

# A corner of Nanjing in CGCS2000 3-degree Gauss-Krüger, central meridian 120°E (EPSG:4549).
X0, Y0 = 383_000.0, 3_546_000.0


def _pairs(*kv) -> str:
    return "".join(f"{code}\n{value}\n" for code, value in kv)


def line(layer: str, a, b) -> str:
    return _pairs((0, "LINE"), (8, layer), (10, a[0]), (20, a[1]), (30, 0), (11, b[0]), (21, b[1]), (31, 0))


def polyline(layer: str, pts, closed: bool = False) -> str:
    out = _pairs((0, "POLYLINE"), (8, layer), (66, 1), (70, 1 if closed else 0))
    for x, y in pts:
        out += _pairs((0, "VERTEX"), (8, layer), (10, x), (20, y), (30, 0))
    return out + _pairs((0, "SEQEND"), (8, layer))


def text(layer: str, xy, value: str) -> str:
    return _pairs((0, "TEXT"), (8, layer), (10, xy[0]), (20, xy[1]), (30, 0), (40, 2.5), (1, value))


def point(layer: str, xy) -> str:
    return _pairs((0, "POINT"), (8, layer), (10, xy[0]), (20, xy[1]), (30, 0))


def circle(layer: str, xy, r: float) -> str:
    return _pairs((0, "CIRCLE"), (8, layer), (10, xy[0]), (20, xy[1]), (30, 0), (40, r))


def write_dxf(path: Path, entities: str, *, codepage: str = "ANSI_936", encoding: str = "gbk",
              version: str = "AC1009") -> Path:
    """A drawing with a header (``$ACADVER``, ``$DWGCODEPAGE``) and the entities, in ``encoding``."""
    doc = (_pairs((0, "SECTION"), (2, "HEADER"), (9, "$ACADVER"), (1, version), (9, "$DWGCODEPAGE"), (3, codepage),
                  (0, "ENDSEC"), (0, "SECTION"), (2, "ENTITIES"))
           + entities + _pairs((0, "ENDSEC"), (0, "EOF")))
    path.write_bytes(doc.encode(encoding))
    return path


def graded_roads() -> str:
    """Roads on CAD layers named by grade, with a street name label, a survey point and a manhole."""
    return (line("主干路", (X0, Y0), (X0 + 500, Y0)) + line("次干路", (X0, Y0), (X0, Y0 + 400))
            + polyline("支路", [(X0 + 100, Y0), (X0 + 200, Y0 + 150), (X0 + 300, Y0)])
            + text("注记", (X0 + 50, Y0 + 50), "中山路") + point("控制点", (X0 + 10, Y0 + 10))
            + circle("检查井", (X0 + 20, Y0 + 20), 0.6))


def centre_lines(n: int = 24, layer: str = "道路中心线", x0: float = X0) -> str:
    """A street grid of ``n`` lines on one CAD layer."""
    out = ""
    for i in range(n // 2):
        out += line(layer, (x0 + 100 * i, Y0), (x0 + 100 * i, Y0 + 1000))
        out += line(layer, (x0, Y0 + 80 * i), (x0 + 1200, Y0 + 80 * i))
    return out
