"""The compiled cut search gives the same grids as the Python reference it replaces."""

import numpy as np
import pytest
from scipy.spatial import Delaunay

from gridtool.partition import solver
from gridtool.partition.solver import UnitGraph, partition


def _random_graph(n, seed):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1000, size=(n, 2))
    tri = Delaunay(xy)
    ea, eb = [], []
    for s in tri.simplices:
        for i in range(3):
            a, b = sorted((int(s[i]), int(s[(i + 1) % 3])))
            ea.append(a)
            eb.append(b)
    pairs = sorted(set(zip(ea, eb)))
    ea = np.array([p[0] for p in pairs])
    eb = np.array([p[1] for p in pairs])
    aff = rng.uniform(0.1, 50, size=len(ea)).round(1)  # ties happen, as with real road classes
    w = rng.integers(1, 5, size=n)
    area = rng.uniform(50, 500, size=n)
    return UnitGraph(w, xy, area, ea, eb, aff)


@pytest.mark.parametrize("seed", range(6))
def test_kernel_cuts_equal_python_reference(seed, monkeypatch):
    g = _random_graph(300 + 40 * seed, seed)
    H = int(g.w.sum())
    k = max(2, H // 30)
    lo, hi = 20, 40
    while not lo * k <= H <= hi * k:
        k += 1
    monkeypatch.setattr(solver, "USE_KERNELS", True)
    fast = partition(g, range(len(g)), k, lo, hi)
    monkeypatch.setattr(solver, "USE_KERNELS", False)
    ref = partition(g, range(len(g)), k, lo, hi)
    assert ref is not None
    assert fast == ref
    assert all(lo <= int(g.w[p].sum()) <= hi for p in fast)


def test_n_components_counts_what_scipy_counts():
    """The compiled component count that lets ``units._connect`` skip scipy's sparse set-up."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from gridtool.partition.kernels import n_components
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(1, 60))
        m = int(rng.integers(0, 2 * n))
        a, b = rng.integers(0, n, m), rng.integers(0, n, m)
        nc, _ = connected_components(coo_matrix((np.ones(m), (a, b)), shape=(n, n)), directed=False)
        assert n_components(n, a.astype(np.int64), b.astype(np.int64)) == nc
