"""gridtool's settings in one place: folders, language, limits, the autosave interval.

Every setting is read, highest first, from

1. the command line where it has a flag (``--lang``, ``--limit KEY=VALUE``),
2. an environment variable,
3. the user's config file (TOML, optional),
4. the default.

==========================  ==========================  ========================================================
environment variable        config file key             what (default)
==========================  ==========================  ========================================================
``GRIDTOOL_LANG``           ``lang``                    language of messages and outputs: ``zh`` (default),
                                                        ``en`` or ``both`` (the app takes ``zh``/``en``)
``GRIDTOOL_DATA``           ``data_dir``                the user's data folder: the app's log and autosaved
                                                        recovery copies (``GRIDTOOL_DATA_DIR``, the older name,
                                                        is read too). Default: ``~/.local/share/gridtool``
                                                        (``$XDG_DATA_HOME``), ``%LOCALAPPDATA%\\gridtool``,
                                                        ``~/Library/Application Support/gridtool``
``GRIDTOOL_CACHE``          ``cache_dir``               the cache folder; internal-error logs go to its
                                                        ``logs``. Default: ``~/.cache/gridtool``
                                                        (``$XDG_CACHE_HOME``), ``%LOCALAPPDATA%\\gridtool``,
                                                        ``~/Library/Caches/gridtool``
``GRIDTOOL_TMP``            ``temp_dir``                where archives (.zip, .kmz) and converted files are
                                                        unpacked while read; default the system's temporary
                                                        folder. Outputs are always staged next to the output
                                                        (atomic saves), never here
``GRIDTOOL_SAMPLE_DATA``    ``sample_data``             the samples ``gridtool demo`` runs on; default the
                                                        packaged ``gridtool/sample_data``
``GRIDTOOL_CJK_FONT``       ``cjk_font``                a TrueType CJK font for maps; default the bundled
                                                        Noto Sans SC
``GRIDTOOL_AUTOSAVE_MS``    ``autosave_ms``             the app's autosave interval (180000: 3 minutes)
``GRIDTOOL_PROCESSES``      ``processes``               worker processes a partition draws sub-grids on (1: none;
                                                        default the cores, at most 4, for 100,000 households or
                                                        more). The plan does not depend on it
``GRIDTOOL_LIMITS``         ``[limits]`` table          the limits of :mod:`gridtool.limits`
                                                        (``KEY=VALUE,KEY=VALUE`` in the variable)
``GRIDTOOL_CONFIG``         —                           the config file itself
==========================  ==========================  ========================================================

The config file is ``$GRIDTOOL_CONFIG``, else ``config.toml`` in the user's config folder
(``~/.config/gridtool`` or ``$XDG_CONFIG_HOME/gridtool``; ``%APPDATA%\\gridtool``;
``~/Library/Application Support/gridtool``); it need not exist. For example::

    lang = "zh"
    data_dir = "D:/网格/gridtool"
    temp_dir = "D:/temp"

    [limits]
    hh_per_village = 300000
    duplicates = "warning"

A setting gridtool does not know, or a value it cannot use, is refused with a
:class:`SettingsError` that names the file or variable and the fix: never ignored silently.
The limits themselves (names, defaults, checks) live in :mod:`gridtool.limits`; this module
only finds them in the config file (:func:`config_limits`), and :func:`gridtool.limits.current`
puts them under ``GRIDTOOL_LIMITS`` (so ``limits`` imports ``settings``, never the reverse).
"""

from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import GridtoolError
from .plurals import plural_en

LANGS = ("zh", "en", "both")
APP_NAME = "gridtool"
AUTOSAVE_MS = 180_000
_PACKAGE = Path(__file__).resolve().parent

#: Config-file keys -> environment variables (the variable wins).
_ENV = {"lang": "GRIDTOOL_LANG", "data_dir": "GRIDTOOL_DATA", "cache_dir": "GRIDTOOL_CACHE",
        "temp_dir": "GRIDTOOL_TMP", "sample_data": "GRIDTOOL_SAMPLE_DATA", "cjk_font": "GRIDTOOL_CJK_FONT",
        "autosave_ms": "GRIDTOOL_AUTOSAVE_MS", "processes": "GRIDTOOL_PROCESSES"}
_OLD_ENV = {"data_dir": "GRIDTOOL_DATA_DIR"}


class SettingsError(GridtoolError):
    """The config file or a ``GRIDTOOL_*`` environment variable holds something gridtool cannot use."""


@dataclass(frozen=True)
class Settings:
    """The settings in force (see the module docstring); ``sources`` says where each came from
    (``"env"``, ``"config"`` or ``"default"``)."""

    lang: str
    data_dir: Path
    cache_dir: Path
    temp_dir: Path | None
    sample_data: Path
    cjk_font: Path | None
    autosave_ms: int
    processes: int | None
    config_file: Path | None
    limits: dict
    sources: dict

    @property
    def log_dir(self) -> Path:
        """Where internal-error logs go."""
        return self.cache_dir / "logs"


def _home(var: str, *default: str) -> Path:
    v = os.environ.get(var)
    return Path(v) if v else Path.home().joinpath(*default)


def default_data_dir() -> Path:
    if sys.platform.startswith("win"):
        return _home("LOCALAPPDATA", "AppData", "Local") / APP_NAME
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_NAME
    return _home("XDG_DATA_HOME", ".local", "share") / APP_NAME


def default_cache_dir() -> Path:
    if sys.platform.startswith("win"):
        return _home("LOCALAPPDATA", "AppData", "Local") / APP_NAME
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / APP_NAME
    return _home("XDG_CACHE_HOME", ".cache") / APP_NAME


def default_config_file() -> Path:
    if sys.platform.startswith("win"):
        return _home("APPDATA", "AppData", "Roaming") / APP_NAME / "config.toml"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_NAME / "config.toml"
    return _home("XDG_CONFIG_HOME", ".config") / APP_NAME / "config.toml"


def config_file() -> Path | None:
    """The config file in use: ``$GRIDTOOL_CONFIG`` (which must exist), else the default one if it exists."""
    env = os.environ.get("GRIDTOOL_CONFIG")
    if env:
        p = Path(env).expanduser()
        if not p.is_file():
            raise SettingsError("找不到 GRIDTOOL_CONFIG 指定的配置文件", "the config file GRIDTOOL_CONFIG names is missing",
                                fix_zh="检查路径，或删除环境变量 GRIDTOOL_CONFIG。",
                                fix_en="check the path, or unset GRIDTOOL_CONFIG.", file=str(p))
        return p
    p = default_config_file()
    return p if p.is_file() else None


@lru_cache(maxsize=8)
def _read_config(path: str, mtime_ns: int) -> dict:
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError("配置文件无法读取", f"the config file cannot be read: {exc}", file=path,
                            fix_zh=f"按 TOML 格式修改（如 lang = \"zh\"），或删除该文件。（{exc}）",
                            fix_en="fix it as TOML (e.g. lang = \"zh\"), or delete it.") from None
    known = set(_ENV) | {"limits"}
    bad = sorted(set(data) - known)
    if bad:
        raise SettingsError(f"配置文件中有未知的设置：{'、'.join(bad)}", f"unknown {plural_en(len(bad), 'setting')} in the config file: "
                            f"{', '.join(bad)}", file=path, fix_zh="可用的设置：" + "、".join(sorted(known)),
                            fix_en="the settings are: " + ", ".join(sorted(known)))
    if "limits" in data and not isinstance(data["limits"], dict):
        raise SettingsError("配置文件中的 limits 应为一个表 [limits]", "limits in the config file must be a "
                            "[limits] table", file=path, fix_zh="写成 [limits] 后每行 键 = 值。",
                            fix_en="write [limits] then one KEY = VALUE per line.")
    return data


def _config() -> tuple[Path | None, dict]:
    p = config_file()
    if p is None:
        return None, {}
    return p, _read_config(str(p), p.stat().st_mtime_ns)


def _pick(key: str, cfg: dict, sources: dict):
    for var in (_ENV[key], _OLD_ENV.get(key)):
        if var and os.environ.get(var, "").strip():
            sources[key] = "env"
            return os.environ[var].strip(), var
    if key in cfg:
        sources[key] = "config"
        return cfg[key], "config"
    sources[key] = "default"
    return None, None


def current() -> Settings:
    """The settings in force now (environment and config file read on every call: cheap, and a
    change made while running, such as a test's, is seen)."""
    path, cfg = _config()
    src: dict = {}
    where: dict = {}

    def get(key):
        value, origin = _pick(key, cfg, src)
        where[key] = {"file": str(path), "field": key} if origin == "config" else {"field": origin or key}
        return value

    def folder(key, default) -> Path:
        v = get(key)
        return Path(str(v)).expanduser() if v not in (None, "") else default

    lang = str(get("lang") or "zh").strip().lower()
    if lang not in LANGS:
        raise SettingsError(f"未知的语言：{lang}", f"unknown language {lang!r}", **where["lang"],
                            fix_zh="可选：zh（中文）、en（英文）、both（中英文）。", fix_en="use zh, en or both.")
    auto = get("autosave_ms")
    try:
        autosave = int(auto) if auto not in (None, "") else AUTOSAVE_MS
        if autosave < 1000:
            raise ValueError
    except (TypeError, ValueError):
        raise SettingsError(f"自动保存间隔应为不少于 1000 的毫秒数：{auto}", f"autosave_ms takes at least 1000 "
                            f"milliseconds: {auto!r}", **where["autosave_ms"],
                            fix_zh="例如 GRIDTOOL_AUTOSAVE_MS=180000（3 分钟）。",
                            fix_en="e.g. GRIDTOOL_AUTOSAVE_MS=180000 (3 minutes).") from None
    pr = get("processes")
    try:
        n_proc = int(pr) if pr not in (None, "") else None
        if n_proc is not None and n_proc < 1:
            raise ValueError
    except (TypeError, ValueError):
        raise SettingsError(f"进程数应为正整数：{pr}", f"processes takes a positive whole number: {pr!r}",
                            **where["processes"], fix_zh="例如 GRIDTOOL_PROCESSES=2；1 表示只用本进程。",
                            fix_en="e.g. GRIDTOOL_PROCESSES=2; 1 for this process only.") from None
    font = get("cjk_font")
    tmp = get("temp_dir")
    return Settings(
        lang=lang,
        data_dir=folder("data_dir", default_data_dir()),
        cache_dir=folder("cache_dir", default_cache_dir()),
        temp_dir=Path(str(tmp)).expanduser() if tmp not in (None, "") else None,
        sample_data=folder("sample_data", _PACKAGE / "sample_data"),
        cjk_font=Path(str(font)).expanduser() if font not in (None, "") else None,
        autosave_ms=autosave,
        processes=n_proc,
        config_file=path,
        limits=dict(cfg.get("limits", {})),
        sources=src,
    )


def data_dir() -> Path:
    """The user's data folder (created on first use)."""
    d = current().data_dir
    d.mkdir(parents=True, exist_ok=True)
    return d


def temp_dir() -> str | None:
    """The folder for temporary files (created on first use), or None for the system's."""
    d = current().temp_dir
    if d is None:
        return None
    d.mkdir(parents=True, exist_ok=True)
    return str(d)


def processes() -> int | None:
    """Worker processes a partition may use (the ``processes`` setting), or None for automatic."""
    return current().processes


def config_limits() -> tuple[str, dict]:
    """The ``[limits]`` of the config file (``{}`` without one) and where they came from."""
    path, cfg = _config()
    return str(path or ""), dict(cfg.get("limits", {}))


__all__ = ["AUTOSAVE_MS", "LANGS", "Settings", "SettingsError", "config_file", "config_limits", "current",
           "data_dir", "default_cache_dir", "default_config_file", "default_data_dir", "processes", "temp_dir"]
