"""The command line as a planner's script uses it: import, info, validate, demo."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pyogrio
import pytest

from gridtool.cli import main


def _flags(written) -> list[str]:
    return [f"--{role}={spec}" for role, spec in written.items()]


def test_import_writes_a_project_and_info_prints_it(tmp_path, written, capsys):
    out = tmp_path / "project.gpkg"
    assert main(["--lang", "en", "import", *_flags(written), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "project written" in text and out.exists()
    assert main(["info", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["layers"]["households"]["features"] == 60
    assert info["layers"]["households"]["households"] > 60
    assert info["layers"]["villages"]["features"] == 2
    assert "EPSG:4545" in info["crs"]
    assert set(info["layers"]["households"]["sensitive"]) == {"户主姓名", "联系电话"}


def test_info_on_plain_files(tmp_path, written, capsys):
    src = written["villages"].split(":")[0]
    assert main(["info", src]) == 0
    text = capsys.readouterr().out
    assert "villages" in text and "households" in text and "要素：60" in text  # field labels in Chinese (default)


def test_info_on_a_roster_says_its_missing_crs_in_chinese(tmp_path, capsys):
    # `info 花名册.xlsx` printed 坐标系：(none: lon/lat or --crs-in), and an empty 坐标系： on the first line.
    import pandas as pd
    pd.DataFrame({"东经": [120.31, 120.32], "北纬": [31.51, 31.52], "户数": [3, 4]}).to_excel(tmp_path / "花名册.xlsx", index=False)
    assert main(["info", str(tmp_path / "花名册.xlsx")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "花名册.xlsx"
    assert "坐标系：无（经纬度，或用 --crs-in 声明）" in lines[1] and "none" not in "\n".join(lines)
    assert main(["--lang", "en", "info", str(tmp_path / "花名册.xlsx")]) == 0
    assert "crs=(none: lon/lat or --crs-in)" in capsys.readouterr().out


def test_validate_exit_codes(tmp_path, written, township, capsys):
    assert main(["--lang", "en", "validate", *_flags(written)]) == 0
    bad = township["households"].copy()
    bad["户数"] = -1
    path = tmp_path / "bad.gpkg"
    bad.to_file(path, layer="households")
    assert main(["--lang", "en", "validate", f"--households={path}", f"--villages={written['villages']}"]) == 1
    text = capsys.readouterr().out
    assert "negative" in text and "bad.gpkg" in text


def test_validate_heads_each_layer_by_its_chinese_name(written, capsys):
    # Under the default Chinese output the column lines are headed 住户（households）, as import and
    # info head them, not by the bare internal key "households".
    assert main(["validate", *_flags(written)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "  住户（households）" in lines
    assert not any(line.strip() in {"households", "villages"} for line in lines)


def test_import_progress_log_only_goes_forward(tmp_path, written, capsys):
    # In a log (not a terminal) each step is a line: reading the layers must not say 完成 at 100 %
    # and then go back to 数据检查 at 95 % and 写入项目 at 99 %.
    assert main(["import", *_flags(written), "--out", str(tmp_path / "p.gpkg")]) == 0
    steps = re.findall(r"^\[\s*([\d.]+)%\] (.+)$", capsys.readouterr().err, flags=re.M)
    fractions = [float(f) for f, _ in steps]
    assert fractions == sorted(fractions)
    assert [m for _, m in steps][-2:] == ["数据检查", "写入项目"]
    assert "完成" not in [m for _, m in steps]


def test_a_new_project_is_named_after_its_file(tmp_path, written, capsys):
    # Not after the first input (a roster 花名册.xlsx made every project "花名册" in info, the app's
    # title and the exports' metadata); --name still chooses.
    assert main(["import", *_flags(written), "--out", str(tmp_path / "东港镇.gpkg")]) == 0
    capsys.readouterr()
    assert main(["info", str(tmp_path / "东港镇.gpkg"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "东港镇"
    assert main(["import", *_flags(written), "--name", "东港镇网格", "--out", str(tmp_path / "p.gpkg")]) == 0
    capsys.readouterr()
    assert main(["info", str(tmp_path / "p.gpkg"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "东港镇网格"


def test_bad_input_exits_2_with_a_fix_and_no_traceback(tmp_path, capsys):
    code = main(["import", "--households", str(tmp_path / "missing.xlsx"), "--out", str(tmp_path / "p.gpkg")])
    err = capsys.readouterr().err
    assert code == 2
    assert "找不到文件" in err and "missing.xlsx" in err and "Traceback" not in err
    assert not (tmp_path / "p.gpkg").exists()


def test_crs_in_and_field_options(tmp_path, capsys):
    import pandas as pd
    csv = tmp_path / "amap.csv"
    pd.DataFrame({"东经坐标": [116.38404722455657], "北纬坐标": [39.91334545536069], "人家": [5]}).to_csv(csv, index=False)
    out = tmp_path / "p.gpkg"
    assert main(["import", f"--households={csv}", "--crs-in", "gcj02", "--field", "lon=东经坐标",
                 "--field", "lat=北纬坐标", "--field", "hh=人家", "--out", str(out)]) == 0
    gdf = pyogrio.read_dataframe(out, layer="households").to_crs(4326)
    assert gdf.geometry.iloc[0].x == pytest.approx(116.377817, abs=5e-5)
    assert gdf["hh"].iloc[0] == 5


def test_gridtool_console_script_runs():
    out = subprocess.run([sys.executable, "-m", "gridtool", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and "gridtool" in out.stdout


@pytest.mark.skipif(not (Path(__file__).resolve().parents[1] / "sample_data" / "liechtenstein.gpkg").exists(),
                    reason="sample data not built")
def test_demo_on_the_bundled_samples(tmp_path, capsys):
    assert main(["--lang", "en", "demo", "--out", str(tmp_path)]) == 0
    cap = capsys.readouterr()
    # One total: the line the demo prints adds up to the households in the saved project.
    for name in ("liechtenstein", "nanjing-xuanwu"):
        hh = pyogrio.read_dataframe(tmp_path / f"{name}.gpkg", layer="households", read_geometry=False)["hh"]
        m = re.search(rf"sample {name}:.*?\n(?:.*\n)*?\s+([\d,]+) households = base grids ([\d,]+) \+ special "
                      r"grids ([\d,]+) \+ exception grids ([\d,]+) \+ unassigned ([\d,]+)", cap.out)
        assert m, cap.out
        total, *parts = (int(g.replace(",", "")) for g in m.groups())
        assert total == sum(parts) == int(hh.fillna(0).sum())
        # Grids counted as the totals count them: an exception grid is not a base grid.
        g = pyogrio.read_dataframe(tmp_path / f"{name}.gpkg", layer="grids", read_geometry=False)
        exc = int((g["status"] == "exception").sum())
        words = f"{len(g) - exc} base grids" + (f", {exc} exception grid{'s' * (exc != 1)}" if exc else "")
        assert words + " (" in cap.out
        md = (tmp_path / f"{name}-summary.md").read_text(encoding="utf-8")  # --lang en: English only
        assert f"- {words} (" in md
        assert not re.search(r"基础网格|户数|数据检查|网格划分", md)
        # The wall map's title line says the same (its panel lists them on separate lines).
        wall = subprocess.run(["pdftotext", str(next(tmp_path.glob(f"{name}-wall-*.pdf"))), "-"],
                              capture_output=True, text=True, check=True).stdout
        assert f"基础网格 {len(g) - exc} 个" + (f"、例外网格 {exc} 个" if exc else "") in wall
    # The progress a user watches only moves forward and ends at 100 %.
    shown = [float(m) for m in re.findall(r"^\[\s*([\d.]+)%\]", cap.err, flags=re.M)]
    assert len(shown) > 20 and shown[-1] == 100.0
    assert all(b >= a for a, b in zip(shown, shown[1:])), shown
    summary = json.loads((tmp_path / "liechtenstein-summary.json").read_text(encoding="utf-8"))
    villages = summary["villages"]
    assert len(villages) == 11
    assert all(v["households"] > 0 for v in villages)
    assert summary["problems"]["errors"] == 0
    md = (tmp_path / "nanjing-xuanwu-summary.md").read_text(encoding="utf-8")
    assert "社区" in md
    assert {"households", "villages", "roads", "gridtool_meta"} <= {
        str(n) for n, _ in pyogrio.list_layers(tmp_path / "liechtenstein.gpkg")}


@pytest.mark.parametrize("argv, zh, en, near", [
    (["partition", "p.gpkg"], "必须给出其中一个参数：--out --out-dir",
     "one of the arguments --out --out-dir is required", None),
    (["partiton", "p.gpkg"], "没有命令 'partiton'", "invalid choice: 'partiton'", "partition"),
    (["partition", "p.gpkg", "--out", "o.gpkg", "--min-hh", "300"], "没有这个选项：--min-hh（值 300）",
     "unknown option: --min-hh (value 300)", "--min"),
    (["partition", "p.gpkg", "--out", "o.gpkg", "--min", "abc"], "参数 --min 的值 'abc' 不是有效的整数",
     "argument --min: invalid int value: 'abc'", None),
    (["coverage", "p.gpkg", "--sites", "-3"], "参数 --sites：--sites 应为正整数或 auto", "--sites takes a positive number", None),
])
def test_usage_errors_in_chinese_then_english_with_the_fix(argv, zh, en, near, capsys):
    """A mistyped command line is refused with exit 2 as argparse does, but in Chinese (the
    default), naming the nearest valid command or option and the --help to read; --lang en and
    --lang both give English."""
    with pytest.raises(SystemExit) as ex:
        main(["--lang", "zh", *argv])
    assert ex.value.code == 2
    err = capsys.readouterr().err
    assert "错误：" + zh in err and "解决办法：" in err and "--help" in err
    # The usage of the command being typed (not the top level's), its one English word translated.
    assert err.startswith("用法：gridtool " + ("[-h]" if argv[0] == "partiton" else argv[0] + " "))
    assert "error:" not in err and not re.search(r"[A-Za-z]{4,} [a-z]{4,} [a-z]{4,}", err.split("错误：")[1])
    if near:
        assert f"是不是要输入 {near}？" in err
    with pytest.raises(SystemExit):
        main(["--lang", "both", *argv])
    err = capsys.readouterr().err
    assert zh in err and en in err and "Fix: " in err and (near is None or f"did you mean {near}?" in err)


def test_import_summary_in_chinese_has_no_english_words(tmp_path, township, written, capsys):
    """A roster with 经度/纬度 and no CRS: in Chinese output the CRS note and the key columns are
    in Chinese (（推定）, 经度:经度), not the summary's internal words ((assumed), lon:经度)."""
    pts = township["households"].to_crs(4326)
    csv = tmp_path / "花名册.csv"
    csv.write_text("经度,纬度,户数\n" + "".join(f"{p.x:.6f},{p.y:.6f},{h}\n" for p, h in
                                             zip(pts.geometry, township["households"]["户数"])), encoding="utf-8")
    out = tmp_path / "p.gpkg"
    assert main(["--lang", "zh", "import", "--households", str(csv), "--villages", written["villages"],
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    line = next(x for x in text.splitlines() if x.strip().startswith("住户（households）"))  # the layer by its Chinese name
    assert "所用列：经度:经度,纬度:纬度,户数:户数" in line, line
    assert "（推定）" in text and "(assumed)" not in text
    assert not re.search(r"\b(lon|lat|hh):", text), text


@pytest.mark.parametrize("argv, typo, value, near", [
    (["export", "--papr", "A3", "x.gpkg"], "--papr", "A3", "--paper"),
    (["export", "x.gpkg", "--atlass", "a.pdf", "--html", "m.html"], "--atlass", "a.pdf", "--atlas"),
    (["partition", "--mn", "300", "p.gpkg", "--out", "o.gpkg"], "--mn", "300", "--min"),
    (["import", "--housholds", "h.xlsx", "--out", "p.gpkg"], "--housholds", "h.xlsx", "--households"),
    (["validate", "--housholds", "h.shp"], "--housholds", "h.shp", "--households"),
    (["patrol", "--tems", "3", "p.gpkg", "--out", "o.gpkg"], "--tems", "3", "--teams"),
    (["coverage", "--minuts", "10", "p.gpkg"], "--minuts", "10", "--minutes"),
    # words for what an option does (difflib took --cover for --rivers, export's --out for --unit)
    (["coverage", "p.gpkg", "--cover", "places", "--out", "c"], "--cover", "places", "--demand"),
    (["export", "p.gpkg", "--out", "x"], "--out", "x", "--html MAP.html / --pdf WALL.pdf / --gpkg GIS.gpkg"),
])
def test_a_mistyped_option_is_named_not_the_file_after_it(argv, typo, value, near, capsys):
    """``export --papr A3 x.gpkg``: argparse would read A3 as the project and blame x.gpkg; every
    command names the mistyped option, the value typed with it, and the option meant."""
    with pytest.raises(SystemExit) as ex:
        main(argv)
    assert ex.value.code == 2
    err = capsys.readouterr().err
    (line,) = [x for x in err.splitlines() if x.startswith("错误：")]
    assert line == f"错误：没有这个选项：{typo}（值 {value}）", err
    assert f"是不是要输入 {near}？运行 gridtool {argv[0]} --help 查看用法。" in err
    with pytest.raises(SystemExit):
        main(["--lang", "en", *argv])
    err = capsys.readouterr().err
    assert f"error: unknown option: {typo} (value {value})" in err and f"did you mean {near}?" in err
    assert not re.search(r"[\u4e00-\u9fff]", err.split("error:")[1])


def test_gridtools_own_option_after_the_command_is_shown_where_it_goes(capsys):
    with pytest.raises(SystemExit) as ex:
        main(["info", "x.gpkg", "--lang", "en"])
    assert ex.value.code == 2
    assert "error: option --lang goes before the command: gridtool --lang en info x.gpkg" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--help"], ["export", "--help"], ["join", "-h"]])
def test_help_speaks_the_language_asked(argv, capsys):
    """argparse's own words (usage, positional arguments, options, the -h help) in Chinese by default,
    in English with --lang en, both with --lang both; the help still comes first with a typo beside it."""
    english = ("usage:", "positional arguments", "options:", "show this help message and exit")
    chinese = ("用法：gridtool", "选项:", "显示本帮助并退出")
    for lang, present, absent in (("zh", chinese, english), ("en", english, chinese),
                                  ("both", ("用法 / usage: gridtool", "选项 / options:",
                                            "显示本帮助并退出 / show this help message and exit"), ())):
        with pytest.raises(SystemExit) as ex:
            main(["--lang", lang, *argv, "--typo"])
        assert ex.value.code == 0
        out = capsys.readouterr().out
        assert all(w in out for w in present) and not any(w in out for w in absent), (lang, out)
        if argv != ["--help"]:
            assert ("位置参数" in out) == (lang != "en") and ("positional arguments" in out) == (lang != "zh")


def test_summary_markdown_in_the_language_asked(tmp_path, written, capsys):
    """The summary a planner opens is Chinese only by default, English only with en, both with both."""
    from gridtool.partition.summary import summary_markdown, village_totals
    from gridtool.project import Project
    out = tmp_path / "p.gpkg"
    assert main(["import", *_flags(written), "--out", str(out)]) == 0
    project = Project.open(out)
    totals = village_totals(project)
    zh, en, both = (summary_markdown(project, totals, lang=lang) for lang in ("zh", "en", "both"))
    assert "| 住户 | 60 |" in zh and "## 各村户数（基础网格 300–500）" in zh and "## 数据检查：" in zh
    assert "坐标系：" in zh and "（EPSG:4545）" in zh
    assert " / " not in zh and not re.search(r"\b(households|layer|features|validation|village)\b", zh)
    assert "| households | 60 |" in en and "## households per village (base grids 300–500)" in en
    assert not re.search(r"住户|图层|数据检查|坐标系|诊断", en)  # 户数 is a column of the data
    assert "住户 / households" in both and "数据检查" in both and "validation" in both


def test_abbreviated_options_are_still_taken(tmp_path, capsys):
    """argparse takes a unique prefix of an option (--lan for --landscape): not refused as unknown."""
    assert main(["--lang", "en", "export", str(tmp_path / "nope.gpkg"), "--lan", "--pape", "A4",
                 "--pd", str(tmp_path / "w.pdf")]) == 2
    err = capsys.readouterr().err
    assert "not found" in err and "unknown option" not in err
