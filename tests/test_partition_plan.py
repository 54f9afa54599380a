"""Editing a plan as the desktop app will: paint, lock, merge, split, undo, validate."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from partition_data import make_villages  # noqa: E402

from gridtool.partition.engine import GridPartitioner
from gridtool.partition.edit import GridPlan, LockedGridError, PlanEditError
from gridtool.partition.edit import UndoStack


@pytest.fixture(scope="module")
def fitted():
    layers = make_villages(households=1800, river=False, apartments=1, seed=21)
    return GridPartitioner(corridor_width=0, subgrids=False).fit(layers)


@pytest.fixture
def plan(fitted):
    return GridPlan(fitted.households_, fitted.grids_)


def test_totals_start_from_the_partition(plan, fitted):
    assert plan.totals == dict(zip(fitted.grids_["code"], fitted.grids_["hh"]))
    assert all(plan.state(c) == "ok" for c in plan.codes)
    assert plan.validate() == [] or all(p.severity == "warning" for p in plan.validate())


def test_paint_stroke_updates_both_totals_and_undoes_as_one_step(plan):
    stack = UndoStack()
    a, b = plan.codes[0], plan.codes[1]
    ta, tb = plan.totals[a], plan.totals[b]
    seen = []
    plan.listeners.append(lambda codes: seen.append(set(codes)))
    feats = plan.features_of(b)[:6]
    moved = sum(int(plan._hh[f]) for f in feats)
    stack.begin_macro("paint")
    for f in feats:  # one brush stroke, building by building
        stack.push(plan.move([f], a))
    stack.end_macro()
    assert plan.totals[a] == ta + moved and plan.totals[b] == tb - moved
    assert {a, b} <= set().union(*seen)
    stack.undo()
    assert plan.totals[a] == ta and plan.totals[b] == tb
    stack.redo()
    assert plan.totals[a] == ta + moved
    stack.undo()


def test_escape_cancels_a_stroke(plan):
    stack = UndoStack()
    a, b = plan.codes[0], plan.codes[1]
    ta = plan.totals[a]
    stack.begin_macro("paint")
    stack.push(plan.move(plan.features_of(b)[:3], a))
    stack.cancel_macro()
    assert plan.totals[a] == ta and not stack.can_undo()


def test_lock_blocks_painting_in_and_out(plan):
    stack = UndoStack()
    a, b = plan.codes[0], plan.codes[1]
    stack.push(plan.set_locked(a, True))
    with pytest.raises(LockedGridError):
        plan.move(plan.features_of(b)[:1], a)
    with pytest.raises(LockedGridError):
        plan.move(plan.features_of(a)[:1], b)
    stack.undo()
    assert a not in plan.locked
    plan.move(plan.features_of(b)[:1], a)  # allowed again


def test_merge_and_split_round_trip(plan):
    stack = UndoStack()
    a, b = plan.codes[0], plan.codes[1]
    ta, tb = plan.totals[a], plan.totals[b]
    stack.push(plan.merge(a, b))
    assert plan.totals[a] == ta + tb and b not in plan.codes
    assert any(p.code == "grid_over" for p in plan.validate())
    stack.push(plan.split(a))
    new = plan.codes[-1]
    assert plan.totals[a] + plan.totals[new] == ta + tb
    assert 300 <= plan.totals[a] <= 500 and 300 <= plan.totals[new] <= 500
    stack.undo()
    stack.undo()
    assert plan.totals[a] == ta and plan.totals[b] == tb and b in plan.codes
    with pytest.raises(PlanEditError):
        plan.merge(a, a)


def test_validate_finds_unassigned_and_out_of_bounds(fitted):
    hs = fitted.households_.copy()
    hs.loc[hs.index[:5], "grid"] = None
    plan = GridPlan(hs, fitted.grids_)
    codes = {p.code for p in plan.validate()}
    assert "unassigned_households" in codes
    stack = UndoStack()
    a, b = plan.codes[0], plan.codes[1]
    stack.push(plan.move(plan.features_of(b), a))  # empty b entirely
    assert plan.state(b) == "under" and plan.state(a) == "over"
    assert {"grid_under", "grid_over"} <= {p.code for p in plan.validate()}


def test_undo_stack_clean_state():
    stack = UndoStack()

    class Add:
        text = "add"

        def __init__(self, box):
            self.box = box

        def do(self):
            self.box.append(1)

        def undo(self):
            self.box.pop()

    box = []
    stack.push(Add(box))
    stack.set_clean()
    assert stack.clean
    stack.push(Add(box))
    assert not stack.clean
    stack.undo()
    assert stack.clean and box == [1]
    stack.undo()
    stack.push(Add(box))
    assert not stack.clean  # the saved state cannot be reached any more
