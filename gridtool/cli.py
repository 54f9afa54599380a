"""The ``gridtool`` command line: the same jobs as the desktop app, in batch.

Subcommands: ``import`` (files by role into a project), ``info`` (what a file or project holds),
``validate`` (every data problem, with fixes), ``partition`` (base grids and sub-grids),
``join`` (a table such as the grid-worker roster or scores, joined to the grids by code),
``patrol`` (team routes), ``walk`` (street walks of grids), ``coverage`` (service circles and station siting),
``seal`` (one station to each exit, the longest trip shortest),
``export`` (offline HTML map, wall maps, atlas, GIS files), ``demo`` (the bundled sample, end to end).
Exit codes: 0 done; 1 validation found errors; 2 bad input or usage (message says how to fix);
3 an internal error (details in a log file); 4 a batch partition where some villages failed (the
others are written and the failures named); 5 a batch partition where household features could not
be read (damaged input: named with file, layer and feature numbers, counted apart in the totals).

This module only builds the parser (each command group adds its subcommands: :mod:`gridtool.commands`)
and dispatches, with the exit codes and the error log; ``gridtool.cli:main`` is the console entry point.
"""

from __future__ import annotations

import argparse
import sys

from . import __version__, settings
from .commands import COMMAND_MODULES
from .commands.args import LANGS, fmt_lang, limit_options
from .commands.usage import Parser
from .errors import GridtoolError


def build_parser() -> argparse.ArgumentParser:
    """The ``gridtool`` argument parser: ``--version``, ``--lang`` and every subcommand."""
    # Subcommand parsers are made of the same class: every usage error is bilingual (.commands.usage).
    p = Parser(prog="gridtool", description="网格化管理与巡逻规划 / grid management and patrol "
                                "planning for townships")
    p.add_argument("--version", action="version", version=f"gridtool {__version__}")
    p.add_argument("--lang", choices=LANGS, default=settings.current().lang,
                   help="输出语言 / output language (default zh; or set GRIDTOOL_LANG or lang in the config file)")
    sub = p.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    # Never die on a console that cannot show a character (GBK consoles and some Chinese text).
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    try:
        parser = build_parser()
    except GridtoolError as exc:  # a bad GRIDTOOL_* variable or config file (gridtool.settings)
        print(exc.format(), file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    try:
        from . import limits
        with limits.override(**limit_options(args)):
            return args.func(args)
    except GridtoolError as exc:
        print(exc.format(fmt_lang(args)), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中断 / interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("内存不足：数据太大，无法在这台电脑上处理。\n解决办法：按乡镇或村分批处理（partition --by township "
              "--out-dir），或换一台内存更大的电脑。\nout of memory: the data are too large for this computer.\n"
              "Fix: process them in parts (partition --by township --out-dir), or use a computer with more "
              "memory.", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug or an unforeseen input: say so plainly, keep the details
        import traceback

        from .errorlog import write_error
        log = write_error(traceback.format_exc())
        first = (str(exc).splitlines() or [""])[0][:300] or type(exc).__name__
        print(f"内部错误：{first}\n详细信息已写入 {log}，请把它和命令一起报告。\n"
              f"internal error: {first}\ndetails in {log}; please report them with the command.",
              file=sys.stderr)
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
