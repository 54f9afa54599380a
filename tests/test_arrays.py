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
