"""Follow-ups of the 110 接处警 export probe: the incident number stays readable in exports."""

from __future__ import annotations

import pandas as pd

from gridtool.maps.privacy import mask_frame, mask_layer
from gridtool.personal import is_id_number, is_record_number_header
from gridtool.project import Project
from tests.test_incidents_110_export import write_110_export


def test_incident_number_is_not_masked_as_an_id_card_number(tmp_path):
    """Before: 警情编号 320102202611060001 (18 digits, a date inside) was flagged 身份证号 by content
    and masked in every export (3201022026********), hiding the key the officer looks the call up
    by. Now a number failing the check character is no ID by content, and a column headed as a
    record's number is never one by content (0001 passes the check by chance); a column headed
    身份证号 is masked even with typo'd check characters."""
    path = tmp_path / "警情.xlsx"
    write_110_export(path)
    lyr = Project.from_sources({"incidents": str(path)}, crs_in="bd09").layers["incidents"]
    assert "警情编号" not in lyr.sensitive and lyr.sensitive.get("联系电话") == "phone"
    out = mask_layer(lyr)
    assert out["警情编号"].tolist() == lyr.gdf["警情编号"].tolist()
    assert "320102202611060001" in out["警情编号"].tolist()
    assert not out["联系电话"].astype(str).str.contains("13812340000").any()

    # by content: the check character decides; by header: 身份证号 is masked whatever its digits
    assert not is_id_number("320102202611060002") and is_id_number("11010519491231002X")
    assert is_record_number_header("警情编号") and is_record_number_header("接警 流水号")
    assert not is_record_number_header("身份证编号") and not is_record_number_header("备注")
    df = pd.DataFrame({"案件编号": ["11010519491231002X", "110105194912310029"],
                       "身份证号": ["110101199003071235", "110101199003071236"],
                       "号码": ["11010519491231002X", "11010519491231002X"]})
    masked = mask_frame(df)
    assert masked["案件编号"].tolist() == df["案件编号"].tolist()
    assert not masked["身份证号"].isin(df["身份证号"]).any()
    assert not masked["号码"].isin(df["号码"]).any()  # valid IDs under no header: by content
