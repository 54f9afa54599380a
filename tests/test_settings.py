"""gridtool.settings: folders, language, limits and the config file, each from the environment, the
user's config file or the default, and refused clearly when wrong."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from gridtool import limits, settings
from gridtool.cli import main


@pytest.fixture
def env(monkeypatch, tmp_path):
    """No GRIDTOOL_* variable of the developer's, and the user folders inside tmp_path."""
    for k in list(os.environ):
        if k.startswith("GRIDTOOL_"):
            monkeypatch.delenv(k)
    for k, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache"),
                   ("APPDATA", "appdata"), ("LOCALAPPDATA", "local")):
        monkeypatch.setenv(k, str(tmp_path / sub))
    return monkeypatch


def _config(tmp_path: Path, text: str, env) -> Path:
    p = tmp_path / "my.toml"
    p.write_text(text, encoding="utf-8")
    env.setenv("GRIDTOOL_CONFIG", str(p))
    return p


def test_defaults(env, tmp_path):
    s = settings.current()
    assert s.lang == "zh" and s.config_file is None and s.temp_dir is None and s.cjk_font is None
    assert s.sample_data == Path(settings.__file__).resolve().parent / "sample_data"
    assert (s.sample_data / "nanjing-xuanwu.gpkg").is_file()
    assert s.autosave_ms == 180_000
    if sys.platform.startswith("linux"):
        assert s.data_dir == tmp_path / "data" / "gridtool" and s.cache_dir == tmp_path / "cache" / "gridtool"
        assert settings.default_config_file() == tmp_path / "config" / "gridtool" / "config.toml"
    assert set(s.sources.values()) == {"default"}
    assert limits.current() == limits.DEFAULT


def test_environment_variables(env, tmp_path):
    env.setenv("GRIDTOOL_LANG", "EN")
    env.setenv("GRIDTOOL_DATA", str(tmp_path / "d"))
    env.setenv("GRIDTOOL_CACHE", str(tmp_path / "c"))
    env.setenv("GRIDTOOL_TMP", str(tmp_path / "t"))
    env.setenv("GRIDTOOL_AUTOSAVE_MS", "60000")
    s = settings.current()
    assert (s.lang, s.data_dir, s.cache_dir, s.autosave_ms) == ("en", tmp_path / "d", tmp_path / "c", 60_000)
    assert s.sources["lang"] == "env"
    assert settings.data_dir().is_dir() and settings.temp_dir() == str(tmp_path / "t") and (tmp_path / "t").is_dir()
    # Where the modules that keep files look now.
    from gridtool.errorlog import log_folder
    assert log_folder() == tmp_path / "c" / "logs"
    # The older name of the data folder variable still works (the app's tests and users' scripts set it).
    env.delenv("GRIDTOOL_DATA")
    env.setenv("GRIDTOOL_DATA_DIR", str(tmp_path / "old"))
    assert settings.current().data_dir == tmp_path / "old"


def test_config_file_and_its_order_below_the_environment(env, tmp_path, capsys):
    font = tmp_path / "font.ttf"
    _config(tmp_path, f'lang = "en"\ndata_dir = "{(tmp_path / "cfgdata").as_posix()}"\ncjk_font = "{font.as_posix()}"\n'
                      '[limits]\nhh_per_village = 300000\nduplicates = "warning"\n', env)
    s = settings.current()
    assert s.lang == "en" and s.sources["lang"] == "config" and s.data_dir == tmp_path / "cfgdata"
    assert s.cjk_font == font
    lim = limits.current()
    assert lim.hh_per_village == 300_000 and lim.duplicates == "warning" and lim.hh_per_point == limits.DEFAULT.hh_per_point
    # GRIDTOOL_LIMITS over the config file, --limit (override) over both.
    env.setenv("GRIDTOOL_LIMITS", "hh_per_village=5000")
    assert limits.current().hh_per_village == 5000 and limits.current().duplicates == "warning"
    with limits.override(hh_per_village=7):
        assert limits.current().hh_per_village == 7
    env.setenv("GRIDTOOL_LANG", "zh")
    assert settings.current().lang == "zh"
    # The command line takes its default language from the settings: English messages here.
    env.delenv("GRIDTOOL_LANG")
    assert main(["import", "--households", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "p.gpkg")]) == 2
    err = capsys.readouterr().err
    assert "file not found" in err.lower() and "找不到" not in err
    # A font file named in the config that is not there is reported with the fix, not ignored.
    from gridtool.errors import GridtoolError
    from gridtool.maps.fonts import cjk_font_path
    with pytest.raises(GridtoolError, match="font.ttf"):
        cjk_font_path()


@pytest.mark.parametrize("text, words", [
    ('lang = "fr"\n', ("未知的语言", "unknown language", "lang")),
    ('langue = "zh"\n', ("未知的设置", "langue", "unknown setting")),
    ("lang = zh\n", ("配置文件无法读取", "cannot be read")),
    ('limits = 3\n', ("[limits]",)),
    ('[limits]\nhh_per_villages = 3\n', ("未知的限制", "hh_per_villages")),
    ('autosave_ms = 5\n', ("autosave_ms",)),
])
def test_a_bad_config_file_is_refused_with_the_fix(env, tmp_path, capsys, text, words):
    path = _config(tmp_path, text, env)
    assert main(["--lang", "both", "info", str(tmp_path / "x.gpkg")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
    assert "解决办法" in err and "Fix:" in err
    for w in words:
        assert w in err, err
    assert path.name in err


def test_bad_environment_and_missing_config_file(env, tmp_path, capsys):
    env.setenv("GRIDTOOL_LANG", "fr")
    assert main(["info", str(tmp_path / "x.gpkg")]) == 2
    err = capsys.readouterr().err
    assert "GRIDTOOL_LANG" in err and "unknown language" in err and "未知的语言" in err
    env.delenv("GRIDTOOL_LANG")
    env.setenv("GRIDTOOL_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(settings.SettingsError, match="nope.toml"):
        settings.current()


def test_sample_data_folder_from_the_settings(env, tmp_path):
    from gridtool.errors import InputFileError
    from gridtool.samples import sample_data_dir, sample_sources
    assert "households" in sample_sources("nanjing-xuanwu")
    env.setenv("GRIDTOOL_SAMPLE_DATA", str(tmp_path / "none"))
    with pytest.raises(InputFileError, match="GRIDTOOL_SAMPLE_DATA"):
        sample_data_dir()


def test_no_module_reads_gridtool_variables_itself():
    """The settings are the one reader of GRIDTOOL_* variables (limits reads its own GRIDTOOL_LIMITS)."""
    import re
    root = Path(settings.__file__).resolve().parent
    pattern = re.compile(r"""environ(?:\.get)?\s*[\[(]\s*["']GRIDTOOL_""")
    readers = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                     if pattern.search(p.read_text(encoding="utf-8")))
    assert readers == ["limits.py", "settings.py"], readers
