"""The benchmark's order of ways: each follows each other equally often."""

from __future__ import annotations

from collections import Counter
import importlib.machinery
import importlib.util
from pathlib import Path
import sys
from types import ModuleType

BENCH = Path(__file__).resolve().parent.parent / "scripts" / "bench"


def load_bench() -> ModuleType:
    """Import scripts/bench (a file without .py) as a module."""
    loader = importlib.machinery.SourceFileLoader("scene_bench", str(BENCH))
    spec = importlib.util.spec_from_loader("scene_bench", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["scene_bench"] = module  # dataclasses look their module up
    loader.exec_module(module)
    return module


def test_each_way_follows_each_other_way_equally_often() -> None:
    """Over whole cycles, every ordered pair of ways is adjacent as often.

    A call leaves page faults to the next one; the old rotation put this action
    after rest_command in 2 turns out of 3, raw in 1 out of 3.
    """
    bench = load_bench()
    cycle = len(bench.ORDERS)
    calls = [way for turn in range(cycle * 5) for way in bench.rotated(turn)]
    followers = Counter(zip(calls, calls[1:] + calls[:1], strict=True))
    pairs = {(one, then) for one in bench.WAYS for then in bench.WAYS if one != then}
    assert set(followers) == pairs
    assert set(followers.values()) == {cycle * 5 * 3 // len(pairs)}
    assert {frozenset(order) for order in bench.ORDERS} == {frozenset(bench.WAYS)}
    assert len(set(bench.ORDERS)) == cycle == 6
