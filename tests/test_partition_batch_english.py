"""``gridtool --lang en partition CITY.gpkg --out-dir OUT``: the summary line of a folder of district
files is English only (it read ``written OUT（2 个区县 / districts）: …``), and the Chinese one Chinese."""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from test_partition_batch import _city, _save_project  # noqa: E402

from gridtool.cli import main  # noqa: E402


def test_the_district_folder_summary_is_in_the_language_asked(tmp_path, capsys):
    path = _save_project(_city(), tmp_path / "city.gpkg")
    out = tmp_path / "out"
    args = ["partition", str(path), "--out-dir", str(out), "--workers", "1", "--no-subgrids", "--quiet"]
    assert main(["--lang", "en", *args]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("written "))
    assert f"written {out} (2 districts): " in line and not re.search(r"[\u4e00-\u9fff]", line), line
    assert main(["--lang", "zh", *args, "--resume"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("已写入 "))
    assert f"已写入 {out}（2 个区县）：" in line and "districts" not in line, line
