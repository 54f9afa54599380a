"""``gridtool export`` with several outputs, some of which cannot be made.

Before: the first output that could not be made stopped the command (项目中没有网格，无法生成台账),
the outputs after it were never made and those before it were written but never listed. Now every
output that can be made is made and listed, each one that cannot is named up front (a missing
layer is known before any render) and again at the end with its reason and fix, the exit code is
2, and a failed output leaves no file behind.

An output that fails while being made (a full disk, a column only the drawing finds missing) gives
up the whole set: the files already made are not put in place, so the folder keeps the old set
whole instead of a new map beside an old ledger (one total everywhere)."""

from __future__ import annotations

import pytest

from gridtool.cli import main

from .maps_data import make_project


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    d = tmp_path_factory.mktemp("partial")
    out = {}
    for name, drop in (("full", ()), ("nogrids", ("grids", "subgrids")), ("noroutes", ("routes", "route_stops"))):
        p = make_project()
        for role in drop:
            p.layers.pop(role, None)
        out[name] = p.save(d / f"{name}.gpkg")
    return out


def _export(projects, name, out, *extra, lang="zh"):
    return main(["--lang", lang, "export", str(projects[name]), "--quiet", "--ledger", str(out / "台账.xlsx"),
                 "--route-cards", str(out / "路线卡.pdf"), "--html", str(out / "网格图.html"), *extra])


@pytest.mark.parametrize("name, missing, why, fix", [
    ("nogrids", "台账.xlsx", "项目中没有网格，无法生成台账", "解决办法：先运行 gridtool partition 划分网格"),
    ("noroutes", "路线卡.pdf", "项目中没有巡逻路线，无法生成路线卡", "解决办法：先运行 gridtool patrol 规划巡逻路线"),
])
def test_every_output_that_can_be_made_is_made_and_the_others_named_with_the_fix(projects, tmp_path, capsys,
                                                                                   name, missing, why, fix):
    out = tmp_path / "out"
    assert _export(projects, name, out) == 2  # scripts notice
    std = capsys.readouterr()
    made = sorted({"台账.xlsx", "路线卡.pdf", "网格图.html"} - {missing})
    assert sorted(p.name for p in out.iterdir()) == made  # nothing of the failed one, no temporary files
    assert "已导出 2 个文件" in std.out and all(str(out / m) in std.out for m in made)
    assert str(out / missing) not in std.out
    err = std.err.splitlines()
    option = "--ledger" if missing == "台账.xlsx" else "--route-cards"
    named = f"（{option} {out / missing}）"
    # named before any render, the reason and fix at the end
    assert err[0] == "以下文件无法导出，其余照常导出（原因和解决办法见最后）：" and named in err[1] and why in err[1]
    end = err.index("未能导出 1 个文件（其余已导出）：")
    assert end > 1 and named in err[end + 1] and err[end + 2].strip().startswith(why) and err[end + 3].strip() == fix


def test_an_output_failing_while_made_leaves_the_old_set_and_says_so(projects, tmp_path, capsys):
    out = tmp_path / "out"
    assert _export(projects, "full", out, "--title", "旧图") == 0
    old = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    # a five-colour map of a column the grids do not have: found only when that map is drawn,
    # after the HTML map and the ledger were made
    assert _export(projects, "full", out, "--title", "新图", "--assessment", "考核得分",
                   "--assessment-out", str(out / "五色图.pdf"), lang="en") == 2
    std = capsys.readouterr()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == old  # the old set, no new file, no temporary one
    assert "exported" not in std.out and "cannot be made" not in std.err  # nothing was known up front
    assert "none of this export's files were written; the files already there are as they were" in std.err
    assert f"x assessment map (--assessment 考核得分 → {out / '五色图.pdf'})" in std.err and "Fix:" in std.err
    assert str(out / "网格图.html") in std.err.split("not written")[1]  # made, but not put in place
    assert str(out / "路线卡.pdf") in std.err.split("not written")[1]  # after the failure: not made at all


@pytest.mark.parametrize("how", ["disk full", "cancelled"])
def test_the_last_writer_failing_replaces_none_of_the_set(projects, tmp_path, capsys, monkeypatch, how):
    """The route cards are written last: their failure (or a Cancel there) must not leave the new
    HTML map, ledger and GeoPackage beside the old cards."""
    import errno

    from gridtool.errors import CancelledError
    from gridtool.maps import cards

    out = tmp_path / "out"
    extra = ("--gpkg", str(out / "网格.gpkg"), "--shp", str(out / "shp"))
    assert _export(projects, "full", out, "--title", "旧图", *extra) == 0
    old = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert "旧图" in (out / "网格图.html").read_text(encoding="utf-8")
    capsys.readouterr()
    real = cards.write_route_cards

    def failing(project, path, **kw):
        real(project, path, **kw)  # made, then the disk fills (or Cancel) as it is put in place
        if how == "cancelled":
            raise CancelledError()
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(cards, "write_route_cards", failing)
    rc = _export(projects, "full", out, "--title", "新图", *extra)
    std = capsys.readouterr()
    assert rc != 0 and ("已取消" in std.err if how == "cancelled" else rc == 2)
    now = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert now == old  # every old file as it was: no new HTML beside old cards, no temporary file
    if how == "disk full":
        assert "已导出" not in std.out
        assert "为使各文件一致，本次导出的文件都没有写入，已有的文件保持原样" in std.err
        assert "路线卡（--route-cards" in std.err and "磁盘" in std.err
    # the same export without the failure replaces the whole set
    monkeypatch.setattr(cards, "write_route_cards", real)
    assert _export(projects, "full", out, "--title", "新图", *extra) == 0
    assert "新图" in (out / "网格图.html").read_text(encoding="utf-8")


def test_when_nothing_can_be_made_every_reason_is_given(projects, tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(["--lang", "zh", "export", str(projects["nogrids"]), "--quiet", "--ledger", str(out / "台账.xlsx"),
               "--atlas", str(out / "图册.pdf")])
    std = capsys.readouterr()
    assert rc == 2 and not out.exists() and "已导出" not in std.out
    assert "未能导出 2 个文件：" in std.err
    assert "项目中没有网格，无法生成台账" in std.err and "项目中没有网格，无法生成图册" in std.err
    assert "以下文件无法导出" not in std.err  # nothing else to make: said once, at the end
