"""The desktop app (PyQt6): a thin Qt view over plain-Python models.

Modules without Qt (importable and testable headless): :mod:`.events`, :mod:`.i18n`,
:mod:`.viewport`, :mod:`.geometry`, :mod:`.styles`, :mod:`.map_layers`, :mod:`.membership`,
:mod:`.grid_shapes`, :mod:`.session`, :mod:`.stroke`, :mod:`.paths`.
Everything else imports PyQt6. Start the app with ``gridtool gui [PROJECT]`` or :func:`gridtool.ui.app.main`.

Nothing in the core (``gridtool`` outside this package) imports from here.
"""
