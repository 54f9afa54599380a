"""Usage errors of the command line in Chinese and English.

argparse writes its own errors in English only (``the following arguments are required: --out``);
a planner who mistypes a command or leaves out an option should read what is wrong and how to
fix it in Chinese first, as every other gridtool message. :class:`Parser` keeps argparse's
parsing and exit status 2 and rewrites the message: the known argparse phrases are translated,
an unknown command or choice gets the nearest valid one ("did you mean"), and the fix names
``gridtool <command> --help``.

argparse's own words in ``--help`` and usage (``usage:``, ``positional arguments``, ``options``,
``show this help message and exit``) are translated by :class:`HelpFormatter`, the formatter of
every :class:`Parser`, when the help is written (the language is then known from the command line).
An option the command does not have is refused before parsing (:func:`unknown_options`), so that
``export --papr A3 p.gpkg`` names ``--papr`` instead of taking ``A3`` for the project file.

Written by hand: argparse's messages come from gettext with no Chinese catalogue in the standard
library, a catalogue would not add the suggestions, and installing one (``gettext.install``) would
change every program's argparse in the process; the formatter's hooks are argparse's own
(``add_usage``'s prefix, ``start_section``'s heading, ``_get_help_string`` as in
``ArgumentDefaultsHelpFormatter``) and stable from Python 3.10 to 3.14.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import re
import sys

from ..errors import OptionError

#: (pattern of argparse's English message, Chinese template): the first that matches is used.
_PHRASES: tuple[tuple[str, str], ...] = (
    (r"the following arguments are required: command", "缺少命令（import、partition、export 等）"),
    (r"the following arguments are required: (?P<a>.+)", "缺少必需的参数：{a}"),
    (r"one of the arguments (?P<a>.+) is required", "必须给出其中一个参数：{a}"),
    (r"argument (?P<a>\S+): not allowed with argument (?P<b>\S+)", "参数 {a} 不能与 {b} 同时使用"),
    (r"unrecognized arguments: (?P<a>.+)", "无法识别的参数：{a}"),
    (r"unknown options?: (?P<a>.+)", "没有这个选项：{a}"),
    (r"option (?P<a>\S+) goes before the command: (?P<e>.+)", "选项 {a} 要写在命令名之前：{e}"),
    (r"argument command: invalid choice: (?P<v>.+?) \(choose from (?P<c>.+)\)", "没有命令 {v}，可选的命令：{c}"),
    (r"argument (?P<a>\S+): invalid choice: (?P<v>.+?) \(choose from (?P<c>.+)\)", "参数 {a} 的值 {v} 无效，可选：{c}"),
    (r"argument (?P<a>\S+): invalid (?P<t>\w+) value: (?P<v>.+)", "参数 {a} 的值 {v} 不是有效的{t}"),
    (r"argument (?P<a>\S+): expected one argument", "参数 {a} 后面需要一个值"),
    (r"argument (?P<a>\S+): expected at least one argument", "参数 {a} 后面至少需要一个值"),
    (r"argument (?P<a>\S+): expected at most one argument", "参数 {a} 后面最多一个值"),
    (r"argument (?P<a>\S+): expected (?P<n>\d+) arguments", "参数 {a} 后面需要 {n} 个值"),
    (r"ambiguous option: (?P<a>\S+) could match (?P<m>.+)", "参数 {a} 不明确，可能是：{m}"),
    (r"argument (?P<a>\S+): ignored explicit argument (?P<v>.+)", "参数 {a} 不接受值 {v}"),
    # A message of gridtool's own (a type check, already in both languages) after the option name.
    (r"argument (?P<a>\S+): (?P<m>.+)", "参数 {a}：{m}"),
)
_TYPES = {"int": "整数", "float": "数字"}
#: argparse's own words in help and usage: (Chinese, English). ``optional arguments``: before 3.10.
_HELP_WORDS = {
    "usage: ": ("用法：", "usage: "),
    "positional arguments": ("位置参数", "positional arguments"),
    "options": ("选项", "options"),
    "optional arguments": ("选项", "optional arguments"),
    "show this help message and exit": ("显示本帮助并退出", "show this help message and exit"),
    "show program's version number and exit": ("显示版本号并退出", "show program's version number and exit"),
}
_CJK = re.compile(r"[\u4e00-\u9fff]")

#: The command line being parsed (set by the outermost :meth:`Parser.parse_args`): a subcommand's
#: parser sees only its own part of it, and ``gridtool.cli.main(argv)`` does not use sys.argv.
_argv: list[str] | None = None


def _lang(argv: list[str]) -> str:
    """The language asked for on this command line (``--lang X`` / ``--lang=X``), else the setting."""
    for i, a in enumerate(argv):
        if a == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--lang="):
            return a.split("=", 1)[1]
    try:
        from .. import settings
        return settings.current().lang
    except Exception:  # noqa: BLE001 - a broken setting is reported elsewhere; Chinese here
        return "zh"


#: Words users bring from other tools or from what the option does, to the option that does it
#: (difflib took --cover for --rivers).
_SYNONYMS = {"--cover": "--demand", "--covers": "--demand", "--target": "--demand", "--targets": "--demand",
             "--time": "--minutes", "--mins": "--minutes", "--min": "--minutes", "--output": "--out",
             "--output-dir": "--out", "--outdir": "--out", "--crs": "--crs-in", "--epsg": "--crs-in",
             "--srs": "--crs-in", "--new-sites": "--sites", "--add-sites": "--sites", "--station": "--stations",
             "--place": "--places", "--village": "--villages", "--road": "--roads", "--household": "--households",
             "--size": "--paper", "--page": "--paper", "--language": "--lang"}


def _suggestion(message: str, options: list[str]) -> str | None:
    """The valid choice nearest to a mistyped one (argparse lists the choices), or the option
    nearest to an unrecognised one among ``options``."""
    m = re.search(r"invalid choice: '(?P<v>[^']*)' \(choose from (?P<c>.+)\)", message)
    if m:
        choices = re.findall(r"'([^']*)'", m.group("c"))
        near = difflib.get_close_matches(m.group("v"), choices, n=1, cutoff=0.5)
        return near[0] if near else None
    m = re.fullmatch(r"(?:unrecognized arguments|unknown options?): (?P<a>.+)", message, flags=re.S)
    if m and options:
        for tok in m.group("a").split():
            if tok.startswith("--"):
                if _SYNONYMS.get(tok.split("=", 1)[0]) in options:
                    return _SYNONYMS[tok.split("=", 1)[0]]
                if _SYNONYMS.get(tok.split("=", 1)[0], tok) == "--out" and "--html" in options:
                    return "--html MAP.html / --pdf WALL.pdf / --gpkg GIS.gpkg"  # export: a file per output
                near = difflib.get_close_matches(tok.split("=", 1)[0], options, n=1, cutoff=0.6)
                if near:
                    return near[0]
    return None


def _command_at(parser: argparse.ArgumentParser, argv: list[str]) -> tuple[argparse.ArgumentParser, int]:
    """The parser of the subcommand named in ``argv`` and where its name is, else ``(parser, -1)``."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for i, tok in enumerate(argv):
                if tok == "--":
                    break
                if tok in action.choices:
                    return action.choices[tok], i
    return parser, -1


def _command_parser(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.ArgumentParser:
    """The parser of the subcommand named in ``argv``, else ``parser``. argparse reports an
    unrecognised option from the top parser, whose usage and options are not the ones the user was
    typing (its ``_actions`` are read: argparse has no public list)."""
    return _command_at(parser, argv)[0]


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """The parser's option strings (``--size``, ``-h`` …) and their actions."""
    return {o: a for a in parser._actions for o in a.option_strings}


def misplaced_option(parser: argparse.ArgumentParser, argv: list[str]) -> tuple[str, str] | None:
    """An option of ``gridtool`` itself (``--lang``) typed after the command, and the command line
    written right (``info x --lang en`` → ``("--lang", "gridtool --lang en info x")``), else None."""
    cmd, at = _command_at(parser, argv)
    top, sub = _options(parser), _options(cmd)
    for i, tok in enumerate(argv[at + 1:] if at >= 0 else (), start=at + 1):
        if tok == "--":
            break
        name, eq, _ = tok.partition("=")
        if name in top and name not in sub and name.startswith("--"):
            n = 1 if eq or top[name].nargs == 0 or i + 1 >= len(argv) else 2
            moved = argv[i:i + n]
            rest = argv[:i] + argv[i + n:]
            words = [parser.prog, *rest[:at], *moved, *rest[at:]]
            return name, " ".join(f'"{w}"' if " " in w else w for w in words)  # quoted as cmd.exe and sh read
    return None


def unknown_options(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """The ``--options`` in ``argv`` that the command they follow does not have, each with the value
    typed after it when the nearest real option takes one (``["--papr (value A3)"]``); empty when
    all are known.

    argparse collects an unknown option apart and lets the word after it fill the next positional
    argument, so ``export --papr A3 p.gpkg`` would read ``A3`` as the project file and blame
    ``p.gpkg``. An abbreviation of a real option (``--lan`` for ``--landscape``) counts as known, as
    argparse takes it; with ``-h``/``--help`` nothing is refused, the help comes first, as in argparse.
    """
    if "-h" in argv or "--help" in argv:
        return []
    cmd, at = _command_at(parser, argv)
    top, sub = _options(parser), _options(cmd)
    found = []
    for i, tok in enumerate(argv):
        if tok == "--":  # the rest are positional arguments
            break
        if not tok.startswith("--") or i == at:
            continue
        name, eq, _ = tok.partition("=")
        known = top if i < at or at < 0 else sub
        if name in known or (name in top and at >= 0):  # gridtool's own after the command: misplaced_option
            continue
        if parser.allow_abbrev and any(o.startswith(name) for o in known if o.startswith("--")):
            continue
        near = difflib.get_close_matches(name, [o for o in known if o.startswith("--")], n=1, cutoff=0.6)
        value = argv[i + 1] if not eq and i + 1 < len(argv) and not argv[i + 1].startswith("-") else None
        takes_value = bool(near) and known[near[0]].nargs != 0
        found.append(f"{tok} (value {value})" if value is not None and takes_value else tok)
    return found


def _role_option(message: str) -> str | None:
    """The layer-by-role option (``--incidents``) among argparse's unknown options, if any."""
    if not message.startswith("unknown option"):
        return None
    from ..roles import VECTOR_ROLES
    flags = {f"--{r.replace('_', '-')}" for r in VECTOR_ROLES}
    return next((w for w in re.findall(r"--[\w-]+", message) if w in flags), None)


def bilingual(message: str, prog: str, lang: str = "zh", options: list[str] | None = None) -> str:
    """argparse's ``message`` for ``prog`` as gridtool prints every error
    (:meth:`gridtool.errors.GridtoolError.format`): Chinese (``lang`` ``zh``), English (``en``) or
    both (``both``), each with its fix; ``options``: the valid option strings, for a suggestion
    when one is mistyped."""
    zh = None
    for pat, tpl in _PHRASES:
        m = re.fullmatch(pat, message, flags=re.S)
        if m:
            parts = {k: _TYPES.get(v, v) if k == "t" else v for k, v in m.groupdict().items()}
            zh = tpl.format(**parts)
            break
    if zh is None:  # a message argparse added later: as it is
        zh = message
    if message.startswith("unknown option"):  # unknown_options: "--papr (value A3), --x" in Chinese
        zh = re.sub(r" \(value ([^()]*)\)", r"（值 \1）", zh).replace(", --", "、--")
    en = message
    # gridtool's own type checks say "中文 / English": each language gets its half.
    own = re.fullmatch(r"(?P<head>argument \S+: )(?P<zh>.+?) / (?P<en>.+)", message, flags=re.S)
    if own and _CJK.search(own.group("zh")) and not _CJK.search(own.group("en")):
        zh = "参数 " + own.group("head")[len("argument "):-2] + "：" + own.group("zh")
        en = own.group("head") + own.group("en")
    near = _suggestion(message, options or [])
    help_cmd = f"{prog} --help"
    fix_zh = (f"是不是要输入 {near}？" if near else "") + f"运行 {help_cmd} 查看用法。"
    fix_en = (f"did you mean {near}? " if near else "") + f"Run {help_cmd} for the usage."
    role = _role_option(message)
    if role:  # walk/export/edit PROJECT --incidents F: the layer goes into the project first
        fix_zh = f"这个命令只读项目中的图层：先存入项目 gridtool import 项目.gpkg {role} 文件（网格和修改都保留），再运行本命令。"
        fix_en = (f"this command reads the project's own layers: store it first with gridtool import PROJECT.gpkg "
                  f"{role} FILE (grids and edits kept), then run this command.")
    err = OptionError(f"错误：{zh}", f"error: {en}", fix_zh=fix_zh, fix_en=fix_en)
    return err.format(None if lang == "both" else lang)


def _help_word(text: str | None, lang: str) -> str | None:
    """One of argparse's own words (:data:`_HELP_WORDS`) in ``lang``; other text as it is."""
    words = _HELP_WORDS.get(text) if text else None
    if words is None or lang == "en":
        return text
    zh, en = words
    if lang == "zh":
        return zh
    return "用法 / usage: " if text == "usage: " else f"{zh} / {en}"


def _current_lang() -> str:
    return _lang(_argv if _argv is not None else sys.argv[1:])


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help and usage with its own words in the language of ``--lang`` (Chinese by default;
    ``both``: ``中文 / English``). gridtool's help texts are written in both languages already."""

    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, _help_word("usage: ", _current_lang()) if prefix is None else prefix)

    def start_section(self, heading):
        super().start_section(_help_word(heading, _current_lang()))

    def _get_help_string(self, action):
        return _help_word(super()._get_help_string(action), _current_lang())


@contextlib.contextmanager
def _remembered(args):
    """Keep the whole command line while the outermost parse runs (subcommand parses nest in it);
    yields True in the outermost parse."""
    global _argv
    outer = _argv is None
    if outer:
        _argv = list(sys.argv[1:] if args is None else args)
    try:
        yield outer
    finally:
        if outer:
            _argv = None


class Parser(argparse.ArgumentParser):
    """argparse's parser with usage errors and help in Chinese (and English): exit status 2 as before."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)  # subcommand parsers are made with this class too
        super().__init__(*args, **kwargs)

    def parse_known_args(self, args=None, namespace=None):
        with _remembered(args) as outer:
            if outer:
                self._refuse_unknown_options()
            return super().parse_known_args(args, namespace)

    def parse_args(self, args=None, namespace=None):
        with _remembered(args) as outer:
            if outer:
                self._refuse_unknown_options()
            return super().parse_args(args, namespace)

    def _refuse_unknown_options(self) -> None:
        if "-h" in (_argv or []) or "--help" in (_argv or []):
            return  # the help comes first, as in argparse
        misplaced = misplaced_option(self, _argv or [])
        if misplaced:
            self.error(f"option {misplaced[0]} goes before the command: {misplaced[1]}")
        unknown = unknown_options(self, _argv or [])
        if unknown:
            self.error(("unknown option: " if len(unknown) == 1 else "unknown options: ") + ", ".join(unknown))

    def error(self, message: str):  # noqa: D401 - argparse's hook
        argv = _argv if _argv is not None else sys.argv[1:]
        lang = _lang(argv)
        cmd = _command_parser(self, argv)
        usage = cmd.format_usage()  # "用法：" in Chinese (HelpFormatter)
        # the command's options, then gridtool's own (--lang typed after the command, or mistyped before it)
        options = list(dict.fromkeys(o for p in (cmd, self) for a in p._actions for o in a.option_strings
                                     if o.startswith("--")))
        self.exit(2, usage + bilingual(message, cmd.prog, lang, options) + "\n")
