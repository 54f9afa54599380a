"""One sheet of the ledger workbook (its own module so that the sheets built elsewhere, such as
:mod:`.ledger_changes`, need not import :mod:`.ledger`, which imports them)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class Sheet:
    """One sheet: a header, body rows, and rows below the body (a 合计 row, notes)."""

    name: str
    columns: list[str]
    rows: list[list]
    footer: list[list] = field(default_factory=list)
    number_formats: dict[str, str] = field(default_factory=dict)  # column -> Excel number format

    def frame(self) -> pd.DataFrame:
        """Body and footer as one table (for CSV)."""
        width = len(self.columns)
        rows = self.rows + ([[None] * width] if self.footer else []) + [r + [None] * (width - len(r)) for r in self.footer]
        return pd.DataFrame(rows, columns=self.columns, dtype=object)
