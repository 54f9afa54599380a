"""How a layer's CRS or encoding was found, as :class:`gridtool.layers.Layer` records it
(``EPSG:4326 (assumed)``, ``gbk (cpg)``), in Chinese words: shared by the command line's summaries
and the app's log, so both say the same."""

from __future__ import annotations

import re

#: The English provenance marks and their Chinese words (longest first where one contains another).
HOW_ZH = (("(cpg)", "（.cpg 文件）"), ("(detected)", "（自动检测）"), ("(user)", "（指定）"), ("(default)", "（默认）"),
          ("(ldid)", "（dBase 语言标记）"),
          ("(dwgcodepage)", "（DXF 文件头 $DWGCODEPAGE）"), (" (assumed)", "（推定）"), ("(assumed)", "（推定）"),
          # info on a file without a CRS of its own (gridtool.fileinfo)
          ("(none: lon/lat or --crs-in)", "无（经纬度，或用 --crs-in 声明）"), ("(none: --crs-in)", "无（用 --crs-in 声明）"),
          ("(none)", "无"))


def how_zh(text: str) -> str:
    """``text`` with its provenance marks in Chinese: ``EPSG:4326（推定）``."""
    for en_word, zh_word in HOW_ZH:
        text = text.replace(en_word, zh_word)
    return text


def one_line(text: str) -> str:
    """``text`` on one line: a header typed with Alt+Enter in Excel (报警⏎时间) in a summary of the
    columns used, shown ``报警 时间``."""
    return re.sub(r"\s*[\r\n]+\s*", " ", text)
