"""``unique_ints``: np.unique's answer (values, order, dtype) by a sort, on every integer input."""

import numpy as np
import pytest

from gridtool.arrays import unique_ints


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.intp, np.uint64, np.int8, bool])
@pytest.mark.parametrize("n", [0, 1, 2, 7, 1000])
def test_same_as_numpy_unique(dtype, n):
    rng = np.random.default_rng(n)
    a = rng.integers(0, max(n // 3, 2), n).astype(dtype)
    got, want = unique_ints(a), np.unique(a)
    assert got.dtype == want.dtype
    assert np.array_equal(got, want)


def test_negative_and_two_dimensional_input():
    a = np.array([[5, -3, 5], [-3, 0, 9]], dtype=np.int64)
    assert unique_ints(a).tolist() == [-3, 0, 5, 9]


def test_other_types_go_to_numpy():
    a = np.array([2.5, 1.0, 2.5])
    assert unique_ints(a).tolist() == [1.0, 2.5]
    assert unique_ints(["b", "a", "b"]).tolist() == ["a", "b"]


def test_pair_sums_match_a_pandas_groupby():
    import pandas as pd

    from gridtool.arrays import pair_sums, runs
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"g": rng.integers(0, 30, 2000), "f": rng.integers(0, 200, 2000),
                       "hh": rng.integers(1, 40, 2000)})
    want = df.groupby(["g", "f"], sort=True)["hh"].sum().reset_index()
    g, f, s = pair_sums(df["g"].to_numpy(), df["f"].to_numpy(), df["hh"].to_numpy())
    assert g.tolist() == want["g"].tolist() and f.tolist() == want["f"].tolist() and s.tolist() == want["hh"].tolist()
    assert [(v, b - a) for v, a, b in runs(g)] == list(df.groupby("g").f.nunique().items())
    assert runs(np.zeros(0)) == [] and [len(x) for x in pair_sums([], [], [])] == [0, 0, 0]
