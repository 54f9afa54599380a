"""The window's status bar, made to fit a 1366-pixel office screen.

Qt draws a status message clipped at whatever room the permanent widgets (a job's title and
progress, the cursor's coordinates, the scale) leave: ``已导出台账：D:\\网格\\…`` came out as
``Exported ledger: /tmp,``. Here a message too long for the room is elided in the middle (the file
name at its end stays readable) with the whole text as the tooltip, and ``currentMessage()`` is the
whole text. Labels that grow with their text (a job's title with its file name, the coordinates)
are :class:`ElidedLabel`: they give way instead of squeezing the progress bar.
"""

from __future__ import annotations

from PyQt6.QtCore import QSize, Qt, QTimer
from PyQt6.QtWidgets import QLabel, QSizePolicy, QStatusBar


class ElidedLabel(QLabel):
    """A one-line label showing as much of its text as fits (``…`` in the middle), the whole text
    as its tooltip when cut; ``text()`` is the whole text, ``shown()`` what is drawn."""

    def __init__(self, parent=None, *, mode=Qt.TextElideMode.ElideMiddle, least: int = 40):
        super().__init__(parent)
        self._full = ""
        self._mode = mode
        self._least = least
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        self._full = text or ""
        self._fit()
        self.updateGeometry()

    def text(self) -> str:
        return self._full

    def shown(self) -> str:
        return super().text()

    def clear(self) -> None:
        self.setText("")

    def sizeHint(self) -> QSize:  # noqa: N802
        s = super().sizeHint()
        return QSize(self.fontMetrics().horizontalAdvance(self._full) + 8, s.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(min(self._least, self.sizeHint().width()), super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        room = max(self.width() - 4, 0)
        shown = self.fontMetrics().elidedText(self._full, self._mode, room) if self._full else ""
        QLabel.setText(self, shown)
        self.setToolTip(self._full if shown != self._full else "")


class StatusBar(QStatusBar):
    """A status bar whose messages are elided to the room left beside the permanent widgets."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._full = ""
        self._permanent: list = []
        self._timer = QTimer(self)  # our own: a refit after a resize keeps the message's time
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clearMessage)

    def addPermanentWidget(self, widget, stretch: int = 0) -> None:  # noqa: N802 - Qt's name
        self._permanent.append(widget)
        super().addPermanentWidget(widget, stretch)

    def showMessage(self, text: str, timeout: int = 0) -> None:  # noqa: N802
        self._full = text or ""
        self._show()
        if timeout > 0:
            self._timer.start(timeout)
        else:
            self._timer.stop()

    def currentMessage(self) -> str:  # noqa: N802
        """The whole message (what is drawn may be elided: :meth:`shown_message`)."""
        return self._full if super().currentMessage() else ""

    def shown_message(self) -> str:
        return super().currentMessage()

    def clearMessage(self) -> None:  # noqa: N802
        self._full = ""
        self._timer.stop()
        self.setToolTip("")
        super().clearMessage()

    def message_room(self) -> int:
        """The pixels a message may take: the bar less its permanent widgets and the margins."""
        taken = sum(w.sizeHint().width() + 6 for w in self._permanent if w.isVisible())
        return max(self.width() - taken - 30, 60)

    def _show(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideMiddle, self.message_room())
        QStatusBar.showMessage(self, shown, 0)
        self.setToolTip(self._full if shown != self._full else "")

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._full and super().currentMessage():  # refit to the new room
            self._show()
