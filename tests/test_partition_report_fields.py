"""The report says which remedy a village got as fields (remedy, merged_into, relaxed_to,
plan["merged_villages"]), and every reader (app, command line, ledger, Markdown) takes them from
there, in the reader's language, instead of parsing the English words."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from partition_data import GK108, make_villages  # noqa: E402

from gridtool.partition import GridPartitioner, partition_markdown  # noqa: E402
from gridtool.partition.output import write_report  # noqa: E402
from gridtool.partition.report import remedy_of, remedy_words  # noqa: E402

SMALL, HOST = "乌龙池社区", "东方广场社区"


def _small_village_layers():
    """Two villages; the second shrunk to 270 households (too few for a grid of 300–500)."""
    layers = make_villages(n_villages=2, households=1100, river=False, seed=8)
    hs = layers["households"]
    in2 = hs.within(layers["villages"].geometry.iloc[1])
    small = hs[in2].head(40).copy()
    small["hh"] = [7] * 35 + [5] * 5
    layers["households"] = gpd.GeoDataFrame(pd.concat([hs[~in2], small], ignore_index=True), crs=GK108)
    return layers


@pytest.fixture(scope="module")
def layers():
    return _small_village_layers()


@pytest.fixture(scope="module")
def reports(layers):
    return {policy: GridPartitioner(corridor_width=0, subgrids=False, infeasible=policy).fit(layers).report_
            for policy in ("exception", "relax", "merge")}


def test_merge_is_stated_as_fields_with_the_host_code(reports, layers):
    rep = reports["merge"]
    (v,) = rep["plan"]["infeasible_villages"]
    host_code = str(layers["villages"]["code"].iloc[0]) if "code" in layers["villages"] else None
    assert v["village"] == SMALL and v["remedy"] == "merge" and v["merged_into"] == HOST
    assert v["relaxed_to"] is None
    if host_code:
        assert v["merged_into_code"] == host_code
    assert v["applied"] == f"merged into {HOST}"  # the words are kept for printing
    (m,) = rep["plan"]["merged_villages"]
    assert (m["village"], m["merged_into"], m["households"], m["status"]) == (SMALL, HOST, 270, "too_small")
    assert m["code"] == v["code"] and m["merged_into_code"] == v["merged_into_code"]


def test_relax_and_exception_are_stated_as_fields(reports):
    (r,) = reports["relax"]["plan"]["infeasible_villages"]
    assert (r["remedy"], r["relaxed_to"], r["merged_into"]) == ("relax", [270, 500], None)
    (e,) = reports["exception"]["plan"]["infeasible_villages"]
    assert (e["remedy"], e["relaxed_to"], e["merged_into"]) == ("exception", None, None)
    assert reports["relax"]["plan"]["merged_villages"] == [] == reports["exception"]["plan"]["merged_villages"]


def test_an_explicit_merge_of_a_feasible_village_is_listed(layers):
    """merge= on a village that would fit alone: not infeasible, but the report names the merge."""
    rep = GridPartitioner(corridor_width=0, subgrids=False, merge={HOST: SMALL}).fit(layers).report_
    assert [(m["village"], m["merged_into"]) for m in rep["plan"]["merged_villages"]] == [(HOST, SMALL)]
    (line,) = [x for x in partition_markdown(rep, "both").splitlines() if x.startswith("- 合并划分 / merged")]
    assert HOST in line and line.endswith(f"→ {SMALL}")


def test_words_come_from_the_fields_in_each_language(reports):
    v = reports["merge"]["plan"]["infeasible_villages"][0]
    assert remedy_words(v, "zh") == f"已与 {HOST} 合并划分"
    assert remedy_words(v, "en") == f"merged into {HOST}"
    # The fields decide, not the words: a report whose words were edited still reads right.
    assert remedy_words(dict(v, applied="something else"), "zh") == f"已与 {HOST} 合并划分"
    r = reports["relax"]["plan"]["infeasible_villages"][0]
    assert remedy_words(r, "zh") == "已放宽为 270-500 户"
    e = reports["exception"]["plan"]["infeasible_villages"][0]
    assert remedy_words(e, "zh") == "已保留为一个例外网格"
    md = partition_markdown(reports["merge"], "both")
    assert f"已与 {HOST} 合并划分 / merged into {HOST}" in md


def test_the_report_json_gives_the_remedies_in_chinese_and_english(reports, tmp_path):
    """A planner opening the report JSON reads the remedies in Chinese (remedy_zh, remedies_zh), a
    program the English beside them; the codes and the old keys stay."""
    for policy, applied_zh in (("exception", "已保留为一个例外网格"), ("relax", "已放宽为 270-500 户"),
                               ("merge", f"已与 {HOST} 合并划分")):
        path = write_report(tmp_path / f"{policy}.json", reports[policy])
        (v,) = json.loads(path.read_text(encoding="utf-8"))["plan"]["infeasible_villages"]
        assert {"applied", "remedy", "remedies", "merged_into", "relaxed_to"} <= set(v)  # kept for programs
        assert v["remedy_zh"] == applied_zh and v["remedy_en"] == remedy_words(v, "en")
        assert v["remedies_zh"].startswith("保留为一个例外网格（270 户）")
        assert f"与 {HOST} 合并（共 " in v["remedies_zh"] and "放宽为 270–500 户" in v["remedies_zh"]
        assert not re.search(r"[A-Za-z]{3,}", v["remedy_zh"] + v["remedies_zh"])  # no English word
        assert v["remedies_en"].startswith("keep as one exceptional grid of 270 households")
        assert "relax the bounds to 270–500" in v["remedies_en"]


@pytest.mark.parametrize("lang", ["zh", "en", "both"])
def test_partition_markdown_in_one_language_or_both(reports, lang):
    md = partition_markdown(reports["merge"], lang)
    zh_words, en_words = ("网格划分", "已采用", "跨越硬边界", "用时"), ("Partition", "applied", "hard-barrier", "time")
    assert all(w in md for w in zh_words) == (lang != "en")
    assert all(w in md for w in en_words) == (lang != "zh")
    assert not any(w in md for w in (en_words if lang == "zh" else zh_words if lang == "en" else ()))
    assert (" / " in md) == (lang == "both")


def test_a_report_saved_before_the_fields_still_reads(reports):
    """Projects saved by an earlier version carry only the English words."""
    for policy in ("exception", "relax", "merge"):
        new = reports[policy]["plan"]["infeasible_villages"][0]
        old = {k: v for k, v in new.items() if k not in ("remedy", "merged_into", "merged_into_code", "relaxed_to")}
        assert remedy_of(old) == {k: new[k] for k in ("remedy", "merged_into", "relaxed_to")}
        assert remedy_words(old, "zh") == remedy_words(new, "zh")


def test_the_app_shows_the_remedy_from_the_fields(reports, monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    pytest.importorskip("PyQt6.QtWidgets")
    from gridtool.ui import i18n
    from gridtool.ui.grid_panel import applied_text
    before = i18n.language()
    try:
        v = reports["merge"]["plan"]["infeasible_villages"][0]
        i18n.set_language("zh")
        assert applied_text(v) == f"并入 {HOST}"
        assert applied_text(dict(v, applied="garbled")) == f"并入 {HOST}"
        i18n.set_language("en")
        assert applied_text(v) == f"merged into {HOST}"
        r = reports["relax"]["plan"]["infeasible_villages"][0]
        assert applied_text(r) == "bounds relaxed to 270-500"
        e = reports["exception"]["plan"]["infeasible_villages"][0]
        assert applied_text(e) == "kept as one exceptional grid"
    finally:
        i18n.set_language(before)
