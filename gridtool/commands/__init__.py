"""The command layer: the ``gridtool`` subcommands, one module per command group, over the engines.

======================  ===============================================================
module                  commands
======================  ===============================================================
:mod:`.data`            ``import``, ``info``, ``validate``
:mod:`.partition`       ``partition`` (with ``--previous``/``--lock`` redraws and batches)
:mod:`.edit`            ``edit`` (the app's hand edits: lock, merge, split, move)
:mod:`.join`            ``join``
:mod:`.demo`            ``demo``
:mod:`.gui`             ``gui`` (the desktop app's launcher)
:mod:`.patrol`          ``patrol``, ``walk``, ``coverage``, ``seal``
:mod:`.export`          ``export`` (HTML map, GIS files, ledgers, print exports)
:mod:`.args`            what they share: role options, messages, progress, road-graph options
======================  ===============================================================

Each module has ``register(subparsers)`` (its options) and ``cmd_*(args) -> int`` functions;
:func:`gridtool.cli.build_parser` asks every module to register, :func:`gridtool.cli.main` runs the
chosen one. The engines (``gridtool.io``, ``partition``, ``routing``, ``maps``) and the app
(``gridtool.ui``) never import this package.
"""

from __future__ import annotations

from . import data, demo, edit, export, gui, join, partition, patrol

#: The command groups in the order ``gridtool --help`` lists their subcommands.
COMMAND_MODULES = (data, partition, edit, join, demo, gui, patrol, export)

__all__ = ["COMMAND_MODULES"]
