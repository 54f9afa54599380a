"""Usage errors of the command line in Chinese and English.

argparse writes its own errors in English only (``the following arguments are required: --out``);
a planner who mistypes a command or leaves out an option should read what is wrong and how to
fix it in Chinese first, as every other gridtool message. :class:`Parser` keeps argparse's
parsing and exit status 2 and rewrites the message: the known argparse phrases are translated,
an unknown command or choice gets the nearest valid one ("did you mean"), and the fix names
``gridtool <command> --help``.

Written by hand: argparse's messages come from gettext with no Chinese catalogue in the standard
library, and a catalogue would not add the suggestions.
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


def _suggestion(message: str, options: list[str]) -> str | None:
    """The valid choice nearest to a mistyped one (argparse lists the choices), or the option
    nearest to an unrecognised one among ``options``."""
    m = re.search(r"invalid choice: '(?P<v>[^']*)' \(choose from (?P<c>.+)\)", message)
    if m:
        choices = re.findall(r"'([^']*)'", m.group("c"))
        near = difflib.get_close_matches(m.group("v"), choices, n=1, cutoff=0.5)
        return near[0] if near else None
    m = re.fullmatch(r"unrecognized arguments: (?P<a>.+)", message, flags=re.S)
    if m and options:
        for tok in m.group("a").split():
            if tok.startswith("--"):
                near = difflib.get_close_matches(tok.split("=", 1)[0], options, n=1, cutoff=0.6)
                if near:
                    return near[0]
    return None


def _command_parser(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.ArgumentParser:
    """The parser of the subcommand named in ``argv``, else ``parser``. argparse reports an
    unrecognised option from the top parser, whose usage and options are not the ones the user was
    typing (its ``_actions`` are read: argparse has no public list)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for tok in argv:
                if tok in action.choices:
                    return action.choices[tok]
    return parser


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
    en = message
    # gridtool's own type checks say "中文 / English": each language gets its half.
    own = re.fullmatch(r"(?P<head>argument \S+: )(?P<zh>.+?) / (?P<en>.+)", message, flags=re.S)
    if own and _CJK.search(own.group("zh")) and not _CJK.search(own.group("en")):
        zh = "参数 " + own.group("head")[len("argument "):-2] + "：" + own.group("zh")
        en = own.group("head") + own.group("en")
    near = _suggestion(message, options or [])
    help_cmd = f"{prog} --help"
    err = OptionError(f"错误：{zh}", f"error: {en}",
                      fix_zh=(f"是不是要输入 {near}？" if near else "") + f"运行 {help_cmd} 查看用法。",
                      fix_en=(f"did you mean {near}? " if near else "") + f"Run {help_cmd} for the usage.")
    return err.format(None if lang == "both" else lang)


@contextlib.contextmanager
def _remembered(args):
    """Keep the whole command line while the outermost parse runs (subcommand parses nest in it)."""
    global _argv
    outer = _argv is None
    if outer:
        _argv = list(sys.argv[1:] if args is None else args)
    try:
        yield
    finally:
        if outer:
            _argv = None


class Parser(argparse.ArgumentParser):
    """argparse's parser with usage errors in Chinese (and English): exit status 2 as before."""

    def parse_known_args(self, args=None, namespace=None):
        with _remembered(args):
            return super().parse_known_args(args, namespace)

    def parse_args(self, args=None, namespace=None):
        with _remembered(args):
            return super().parse_args(args, namespace)

    def error(self, message: str):  # noqa: D401 - argparse's hook
        argv = _argv if _argv is not None else sys.argv[1:]
        lang = _lang(argv)
        cmd = _command_parser(self, argv)
        usage = cmd.format_usage()
        if lang != "en":  # argparse's own word; the synopsis itself is options and names
            usage = usage.replace("usage: ", "用法：", 1)
        options = [o for a in cmd._actions for o in a.option_strings if o.startswith("--")]
        self.exit(2, usage + bilingual(message, cmd.prog, lang, options) + "\n")
