"""Party-member links ("1+10", 党员联系户) as a township's 组织委员 runs them: a 党员名册 in Excel
with 姓名, 是否流动党员 and 备注, members who must not be given households, and the totals."""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import Transformer

sys.path.insert(0, str(Path(__file__).parent))
from partition_data import GK108, make_villages  # noqa: E402

from gridtool.layers import load_layer
from gridtool.partition.engine import GridPartitioner


@pytest.fixture(scope="module")
def plan():
    layers = make_villages(households=1300, river=False, apartments=0, seed=9)
    gp = GridPartitioner(corridor_width=0, subgrids=False).fit(layers)
    return layers, gp


def _roster(tmp_path: Path, gp, rows_extra=()) -> Path:
    """A 党员名册 sheet: two members at households of each grid, located by 经度/纬度."""
    to_ll = Transformer.from_crs(GK108, 4326, always_xy=True)
    rows = []
    for code in gp.grids_["code"]:
        hs = gp.households_[gp.households_["grid"] == code]
        for i in range(2):
            p = hs.geometry.iloc[i * 7].representative_point()
            lon, lat = to_ll.transform(p.x, p.y)
            rows.append({"姓名": "王建国" if i == 0 else f"李{code[-2:]}", "性别": "男", "联系电话": "13800001111",
                         "所属党支部": "第一党支部", "是否流动党员": "否", "备注": "", "经度": lon, "纬度": lat})
    rows.extend(rows_extra)
    path = tmp_path / "党员名册.xlsx"
    pd.DataFrame(rows).to_excel(path, index=False)
    return path


def test_a_roster_headed_xingming_names_its_members_in_the_links(tmp_path, plan):
    layers, gp = plan
    members = load_layer("party_members", str(_roster(tmp_path, gp)), crs_in="wgs84")
    assert members.gdf["name"].iloc[0] == "王建国" and members.gdf["name"].notna().all()
    assert members.sensitive.get("name") == "name"  # masked in every output
    links = GridPartitioner(corridor_width=0, subgrids=False).fit(
        dict(layers, party_members=members.gdf.to_crs(GK108))).links_
    assert links["member"].notna().all() and "王建国" in set(links["member"])
