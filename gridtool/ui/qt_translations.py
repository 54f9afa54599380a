"""Qt's own texts (message-box buttons such as Yes/No, Qt's file dialog, the context menus of text
fields) in the interface language, from the Qt translations that ship with PyQt6."""

from __future__ import annotations

from PyQt6.QtCore import QCoreApplication, QLibraryInfo, QTranslator

#: Qt's catalogue for each interface language (English is Qt's own language: no catalogue).
CATALOGUES = {"zh": "qtbase_zh_CN"}
_installed: list[QTranslator] = []  # kept alive while installed


def apply(lang: str) -> bool:
    """Install Qt's catalogue for ``lang`` (removing the previous one); False if none was loaded."""
    app = QCoreApplication.instance()
    if app is None:
        return False
    while _installed:
        app.removeTranslator(_installed.pop())
    name = CATALOGUES.get(lang)
    if not name:
        return False
    t = QTranslator(app)
    if not t.load(name, QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        return False  # a Qt build without translations: Qt's texts stay in English
    app.installTranslator(t)
    _installed.append(t)
    return True
