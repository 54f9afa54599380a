"""The ridge lines (山脊线) a partition followed, on the HTML map: on by default, because they
explain why a grid border leaves the roads and climbs a mountainside; a thin brown dashed line,
like the wall map's, with the ridge's length and the elevation model it was traced on.
"""

from __future__ import annotations

from .html_columns import _col, _int_col
from .privacy import escape_html
from .style import RIDGE, ridge_label


def add_ridges(b) -> None:
    """The project's ``ridges`` layer (:mod:`gridtool.partition.ridgelines`) as one layer group."""
    r = b.layers.get("ridges")
    if r is None:
        return
    cols = {"village": _col(r, "village"), "m": _int_col(r, "length_m"), "dem": _col(r, "dem")}
    label = b.t(ridge_label(r, "zh"), ridge_label(r, "en"))
    grp = b.group(b.t("山脊线", "ridge lines"))
    b.add(grp, "line", r, cols, count_as="ridges", tolerance=b.tolerance * 2,
          style={"color": RIDGE, "weight": 1.5, "opacity": 0.85, "dashArray": "6 3"},
          tip=b.tt("<b>山脊线</b>[[ · {m} 米]][[<br>{village}]][[<br>高程模型 {dem}]]<br>网格边界沿山脊划分",
                   "<b>Ridge line</b>[[ · {m} m]][[<br>{village}]][[<br>elevation model {dem}]]"
                   "<br>grid borders follow it"))
    b.legend.append(f'<div class="gt-row"><span class="gt-line" style="border-top:1.5px dashed {RIDGE}"></span>'
                    f'{escape_html(label)}</div>')


__all__ = ["add_ridges"]
