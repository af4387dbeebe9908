"""The problem framework: the registry, times, field checks and the reference cache."""

from __future__ import annotations

import dataclasses
import io
import os
import warnings
from collections.abc import Sequence

import numpy as np
import pytest

import eulerflow as ef
from eulerflow.problems import base
from eulerflow.problems.base import REGISTRY, Problem


@dataclasses.dataclass(frozen=True, kw_only=True)
class Toy(Problem, register=False):
    """A 1D problem whose "solve" is cheap and counted: rho(t) = (1 + a t) on (0, 1)."""

    name = "toy"
    description = "a counted toy"
    bounds: tuple[tuple[float, float], ...] = ((0.0, 1.0),)
    times: tuple[float, ...] = (0.5, 1.0)
    resolution: int = 8
    bins: int = 4
    slope: float = 1.0

    calls = [0]

    def initial(self, grid):
        return np.ones(grid.shape)

    def solve(self, grid, times: Sequence[float], progress=None):
        type(self).calls[0] += 1
        return np.stack([np.full(grid.shape, 1 + self.slope * t) for t in times])


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder and an empty memory; the call counter reset."""
    monkeypatch.setenv("EULERFLOW_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("EULERFLOW_REFERENCE_DIR", raising=False)  # set by tests/conftest.py
    monkeypatch.setattr(base, "_memory", {})
    monkeypatch.setattr(base, "_warned_unwritable", False)
    Toy.calls[0] = 0
    return tmp_path


@pytest.fixture
def registry():
    """The registry restored after the test."""
    saved = dict(REGISTRY)
    yield REGISTRY
    REGISTRY.clear()
    REGISTRY.update(saved)


# -- registry --------------------------------------------------------------------------------------
def test_get_with_overrides():
    problem = ef.problems.get("heat", diffusion=2.0, times=(0.5,))
    assert problem.diffusion == 2.0 and problem.times == (0.5,)
    assert ef.problems.get(problem) is problem
    assert ef.problems.get(problem, diffusion=3.0).diffusion == 3.0


def test_unknown_name_is_a_key_error_naming_the_registered_problems():
    with pytest.raises(KeyError) as info:
        ef.problems.get("no-such-problem")
    message = str(info.value)
    assert "no-such-problem" in message
    for name in ef.problems.names():
        assert name in message


def test_unknown_parameter_is_a_type_error_naming_the_parameters():
    with pytest.raises(TypeError, match="wobble.*diffusion"):
        ef.problems.get("heat", wobble=1.0)


def test_list_prints_every_problem_with_its_dimension_and_description():
    out = io.StringIO()
    names = ef.problems.list(file=out)
    lines = out.getvalue().splitlines()
    assert names == ef.problems.names() and len(lines) == len(names)
    for name, line in zip(names, lines, strict=True):
        problem = ef.problems.get(name)
        assert line.split()[0] == name
        assert f"{problem.dim}D" in line and problem.description in line
        assert ("exact" if problem.has_exact else "grid") in line.split()


def test_the_fokker_planck_problems_are_registered():
    assert {"heat", "ou-anisotropic", "ou-rose", "styblinski-tang", "double-well"} <= set(
        ef.problems.names()
    )


def test_register_decorator_and_replace(registry):
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Mine(Toy, register=False):
        name = "mine"

    assert "mine" not in ef.problems.names()
    assert ef.problems.register(Mine) is Mine
    assert isinstance(ef.problems.get("mine"), Mine)
    assert ef.problems.register(Mine) is Mine  # the same class again: fine

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Other(Toy, register=False):
        name = "mine"

    with pytest.raises(ValueError, match="replace=True"):
        ef.problems.register(Other)
    ef.problems.register(replace=True)(Other)
    assert isinstance(ef.problems.get("mine"), Other)


def test_a_subclass_with_a_name_registers_itself(registry):
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Auto(Toy):
        name = "auto-toy"

    assert ef.problems.get("auto-toy") == Auto()


def test_register_rejects_what_is_not_a_named_problem(registry):
    with pytest.raises(TypeError, match="Problem"):
        ef.problems.register(int)

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Nameless(Problem, register=False):
        bounds: tuple = ((0.0, 1.0),)
        times: tuple = (1.0,)

    with pytest.raises(ValueError, match="name"):
        ef.problems.register(Nameless)


# -- fields and times ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("bounds", ()),
        ("bounds", ((1.0, 0.0),)),
        ("bounds", ((0.0, np.inf),)),
        ("bounds", (0.0, 1.0)),
        ("times", ()),
        ("times", (1.0, 0.5)),
        ("times", (0.5, 0.5)),
        ("times", (-1.0,)),
        ("times", (np.nan,)),
        ("times", ("soon",)),
        ("resolution", 1),
        ("resolution", 7.5),
        ("resolution", True),
        ("resolution", "8"),
        ("bins", 3),
        ("bins", 0),
        ("bins", 2.5),
        ("tolerance", 0.0),
        ("tolerance", np.nan),
        ("bandwidth", -1.0),
    ],
)
def test_bad_fields_raise_value_errors_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        Toy(**{field: value})


def test_fields_are_normalised():
    problem = Toy(bounds=[[0, 2]], times=[0.25, 1], resolution=8.0, bins=np.int64(2))
    assert problem.bounds == ((0.0, 2.0),) and problem.times == (0.25, 1.0)
    assert type(problem.resolution) is int and type(problem.bins) is int
    assert problem.dim == 1 and problem.grid().shape == (8,) and problem.grid(4).shape == (4,)


def test_time_index():
    problem = Toy(times=(0.5, 1.0))
    assert problem.time_index(0.5) == 0 and problem.time_index(1.0 + 1e-12) == 1
    with pytest.raises(ValueError, match=r"0\.75.*\[0\.5, 1\.0\]"):
        problem.time_index(0.75)
    with pytest.raises(TypeError, match="t must be a number"):
        problem.time_index("late")


def test_exact_and_samples_of_a_problem_without_them():
    problem = Toy()
    assert not problem.has_exact and problem.neural_samples() == {}
    with pytest.raises(NotImplementedError, match="toy"):
        problem.exact(0.5, problem.grid())
    with pytest.raises(NotImplementedError, match="toy"):
        problem.exact_samples(0.5, 3)


# -- the reference cache ---------------------------------------------------------------------------
def test_reference_is_computed_once_then_read_from_memory_then_from_disk(cache):
    problem = Toy()
    ref = problem.reference()
    assert ref.shape == (2, 8) and Toy.calls[0] == 1
    np.testing.assert_array_equal(problem.reference(1.0), np.full(8, 2.0))
    assert Toy.calls[0] == 1  # from memory
    path = problem.cache_path(problem.resolution)
    assert path.is_file() and path.parent == cache / "references"
    base._memory.clear()  # as in a new process
    np.testing.assert_array_equal(problem.reference(), ref)
    assert Toy.calls[0] == 1  # from the disk file
    problem.reference(resolution=16)
    assert Toy.calls[0] == 2  # another resolution, another reference


def test_reference_is_read_only_and_a_copy(cache):
    problem = Toy()
    ref = problem.reference()
    with pytest.raises(ValueError):
        ref[0, 0] = 5.0
    copy = np.array(ref)
    copy[0, 0] = 5.0
    assert problem.reference()[0, 0] == 1.5


def test_a_corrupted_or_foreign_cache_file_is_recomputed(cache):
    problem = Toy()
    ref = problem.reference()
    path = problem.cache_path(problem.resolution)
    path.write_bytes(b"not an npz file")
    base._memory.clear()
    np.testing.assert_array_equal(problem.reference(), ref)
    assert Toy.calls[0] == 2
    base._memory.clear()
    problem.reference()
    assert Toy.calls[0] == 2  # the file was rewritten and is read again
    np.savez(path, key=np.array("another key"), reference=np.zeros((2, 8)))
    base._memory.clear()
    np.testing.assert_array_equal(problem.reference(), ref)
    assert Toy.calls[0] == 3


def test_a_parameter_change_gives_another_cache_file(cache):
    a, b = Toy(), Toy(slope=2.0)
    assert a.cache_key(8) != b.cache_key(8) and a.cache_path(8) != b.cache_path(8)
    assert a.cache_key(8) != a.cache_key(16)
    assert a.cache_key(8) == Toy().cache_key(8)
    np.testing.assert_array_equal(b.reference(1.0), np.full(8, 3.0))
    assert Toy.calls[0] == 1


def test_cache_false_computes_and_stores_nothing(cache):
    problem = Toy()
    problem.reference(cache=False)
    problem.reference(cache=False)
    assert Toy.calls[0] == 2
    assert not (cache / "references").exists() and not base._memory


def test_an_unwritable_cache_folder_warns_once_and_still_returns_the_reference(
    tmp_path, monkeypatch, cache
):
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    monkeypatch.setenv("EULERFLOW_CACHE_DIR", str(blocker))
    with pytest.warns(RuntimeWarning, match="cannot write the reference cache"):
        ref = Toy().reference()
    np.testing.assert_array_equal(ref[0], np.full(8, 1.5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Toy(slope=3.0).reference()  # a second failed write: no second warning
    assert Toy().reference().shape == (2, 8) and Toy.calls[0] == 2  # kept in memory


def test_a_failed_write_leaves_no_temporary_file(cache, monkeypatch):
    def broken_savez(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(base.np, "savez", broken_savez)
    with pytest.warns(RuntimeWarning, match="disk full"):
        Toy().reference()
    assert os.listdir(cache / "references") == []


def test_a_time_that_is_not_the_problems_fails_before_solving(cache):
    with pytest.raises(ValueError, match="not a time"):
        Toy().reference(0.75)
    assert Toy.calls[0] == 0
    with pytest.raises(ValueError, match="resolution"):
        Toy().reference(resolution=1)


def test_a_solve_of_the_wrong_shape_or_not_finite_is_an_error(cache, monkeypatch):
    monkeypatch.setattr(Toy, "solve", lambda self, grid, times, progress=None: np.ones((1, 8)))
    with pytest.raises(RuntimeError, match="shape"):
        Toy().reference()
    monkeypatch.setattr(
        Toy, "solve", lambda self, grid, times, progress=None: np.full((2, 8), np.nan)
    )
    with pytest.raises(RuntimeError, match="not finite"):
        Toy().reference()


def test_the_reference_folder_can_be_set_on_its_own(tmp_path, monkeypatch, cache):
    monkeypatch.setenv("EULERFLOW_REFERENCE_DIR", str(tmp_path / "shared"))
    Toy().reference()
    assert Toy().cache_path(8).parent == tmp_path / "shared"
    assert Toy().cache_path(8).is_file()
