"""Small NumPy helpers shared by the engines."""

from __future__ import annotations

import numpy as np


def unique_ints(values) -> np.ndarray:
    """``np.unique(values)`` for integers (or booleans): the sorted distinct values, by a sort and
    a mask. NumPy 2.3+ finds the distinct integers of a plain ``np.unique`` by hashing, several
    times slower than sorting (200,000 values: 62 ms against 10 ms; 2 million: 1.4 s against
    0.12 s). Same values, same dtype; anything else goes to ``np.unique``."""
    a = np.asarray(values).reshape(-1)
    if a.dtype.kind not in "iub":
        return np.unique(a)
    s = np.sort(a)
    if len(s) < 2:
        return s
    head = np.empty(len(s), dtype=bool)
    head[0] = True
    np.not_equal(s[1:], s[:-1], out=head[1:])
    return s[head]
