"""Printed route cards list the places the plan leaves out, as the app's routes panel and the
console do (``必到地点未安排 N 处（…）：…``): before, the cards said nothing of them, so whoever
handed them out did not see that 17 schools had no team."""

from __future__ import annotations

import subprocess

import pypdf

from gridtool.maps.cards import write_route_cards
from gridtool.routing.patrol import unserved_lines

from .maps_data import make_project

LEFT_OUT = [
    {"place": "永新超市", "category": "supermarket", "must": False, "reason_zh": "班次内排不下",
     "reason_en": "does not fit in the shift"},
    {"place": "育才小学", "category": "school", "must": True,
     "reason_zh": "时间窗 07:30-08:00 不在班次 08:00–12:00 内；可改 --start 07:00 或 --shift 570",
     "reason_en": "time window 07:30-08:00 outside the shift 08:00–12:00; try --start 07:00 or --shift 570"},
    {"place": "李四代销点 13912345678", "category": "market", "must": False, "reason_zh": "班次内排不下",
     "reason_en": "does not fit in the shift"},
    {"place": "城南银行", "category": "bank", "must": True, "reason_zh": "班次内排不下",
     "reason_en": "does not fit in the shift"},
]


def _pages(pdf) -> list[str]:
    n = len(pypdf.PdfReader(str(pdf)).pages)
    return [subprocess.run(["pdftotext", "-f", str(k), "-l", str(k), str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout for k in range(1, n + 1)]


def test_cards_end_with_the_places_left_out_must_visit_first(tmp_path):
    plain = _pages(write_route_cards(make_project(), tmp_path / "none.pdf"))
    assert not any("未安排" in p for p in plain)  # every place served: no extra page
    project = make_project()
    project.parameters["patrol_unserved"] = LEFT_OUT  # as gridtool patrol and the app keep them
    pages = _pages(write_route_cards(project, tmp_path / "cards.pdf"))
    assert len(pages) == len(plain) + 1 and not any("未安排" in p for p in pages[:-1])
    last = "".join(pages[-1].split())  # wrapped lines joined again
    assert last.startswith("未安排地点") and f"第{len(pages)}页/共{len(pages)}页" in last
    # the panel's words, the command's options named as the app names them
    must_school = last.index("必到地点未安排1处（时间窗07:30-08:00不在班次08:00–12:00内；可改出发时间07:00或班次时长570分钟）")
    must_bank = last.index("必到地点未安排1处（班次内排不下）：城南银行")
    optional = last.index("未安排2处（班次内排不下）：永新超市、")
    assert must_school < must_bank < optional and "育才小学" in last[must_school:must_bank]
    assert "--start" not in last and "13912345678" not in last and "代销点" in last  # the phone masked
    assert len(unserved_lines(LEFT_OUT)) == 3  # one line a reason, as the panel shows them


def test_cards_print_the_phone_when_personal_data_is_asked_for(tmp_path):
    project = make_project()
    project.parameters["patrol_unserved"] = LEFT_OUT
    last = _pages(write_route_cards(project, tmp_path / "cards.pdf", include_personal=True))[-1]
    assert "13912345678" in "".join(last.split())


def test_a_long_list_goes_on_over_pages_headed_continued(tmp_path):
    project = make_project()
    project.parameters["patrol_unserved"] = [
        {"place": f"第{k:03d}号重点场所", "category": "school", "must": k % 2 == 0, "reason_zh": f"原因{k % 40}",
         "reason_en": f"reason {k % 40}"} for k in range(400)]
    pages = _pages(write_route_cards(project, tmp_path / "long.pdf"))
    left = [p for p in pages if "未安排地点" in p]
    assert len(left) >= 2 and "未安排地点（续）" in left[1]
    text = "".join("".join(p.split()) for p in left)
    assert all(f"第{k:03d}号重点场所" in text for k in range(400))  # none lost at a page break
