"""Qt's own texts (message-box buttons such as Yes/No, Qt's file dialog, the context menus of text
fields) in the interface language, from the Qt translations that ship with PyQt6.

A Qt without those catalogues (a Linux distribution's PyQt6 packaged apart from its translations,
as on many 统信/麒麟 office PCs) would show OK/Cancel/Yes/No in the Chinese interface: gridtool's own
table of the standard buttons and the edit menu of text fields stands in beneath Qt's catalogue.
"""

from __future__ import annotations

from PyQt6.QtCore import QCoreApplication, QLibraryInfo, QTranslator

#: Qt's catalogue for each interface language (English is Qt's own language: no catalogue).
CATALOGUES = {"zh": "qtbase_zh_CN"}
_installed: list[QTranslator] = []  # kept alive while installed

#: Qt's standard button texts (context QPlatformTheme) and the text fields' context menu, in Chinese.
OWN_ZH = {
    "QPlatformTheme": {"OK": "确定", "Save": "保存", "Save All": "全部保存", "Open": "打开", "&Yes": "是(&Y)",
                       "Yes to &All": "全部是(&A)", "&No": "否(&N)", "N&o to All": "全部否(&O)", "Abort": "中止",
                       "Retry": "重试", "Ignore": "忽略", "Close": "关闭", "Cancel": "取消", "Discard": "不保存",
                       "Help": "帮助", "Apply": "应用", "Reset": "重置", "Restore Defaults": "恢复默认值"},
    "QLineEdit": {"&Undo": "撤销(&U)", "&Redo": "重做(&R)", "Cu&t": "剪切(&T)", "&Copy": "复制(&C)",
                  "&Paste": "粘贴(&P)", "Delete": "删除", "Select All": "全选"},
}
OWN_ZH["QWidgetTextControl"] = OWN_ZH["QLineEdit"]


class _OwnTexts(QTranslator):
    """gridtool's Chinese for the texts of :data:`OWN_ZH`; "" (not translated) for all others."""

    def translate(self, context, source, disambiguation=None, n=-1):  # noqa: ARG002 - Qt's signature
        return OWN_ZH.get(context, {}).get(source, "")

    def isEmpty(self) -> bool:
        return False


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
    own = _OwnTexts(app)  # installed first: Qt's catalogue, installed after it, is asked first
    app.installTranslator(own)
    _installed.append(own)
    t = QTranslator(app)
    if not t.load(name, QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        return False  # a Qt build without translations: the buttons from OWN_ZH, the rest in English
    app.installTranslator(t)
    _installed.append(t)
    return True
