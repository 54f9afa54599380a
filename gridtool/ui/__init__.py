"""The desktop app (PyQt6): a thin Qt view over plain-Python models.

Modules without Qt (importable and testable headless): :mod:`.events`, :mod:`.i18n`,
:mod:`.viewport`, :mod:`.geometry`, :mod:`.styles`, :mod:`.map_layers`, :mod:`.session`,
:mod:`.stroke`, :mod:`.paths`. The editing model they draw (the grid plan, its rules, undo,
membership, grid shapes) is the engine's: :mod:`gridtool.partition.edit`.
Everything else imports PyQt6. Start the app with ``gridtool gui [PROJECT]`` or :func:`gridtool.ui.app.main`.

Nothing in the core (``gridtool`` outside this package) imports from here, and nothing here imports
the command layer (``gridtool.commands``, ``gridtool.cli``).
"""
