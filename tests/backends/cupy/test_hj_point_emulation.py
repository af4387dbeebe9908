"""The fused ``hj_update_point`` CUDA kernel of the CuPy backend (backends/cupy/hj_point.py)
without a GPU: its source compiled as C++ for the CPU by the host emulation of
``benchmarks/check_cuda_compiles.py`` and compared with the NumPy reference, directly and through
:class:`CupyBackend` with a stub CuPy. Skipped when no C++ compiler is installed."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from eulerflow.backends.cupy.hj_point import fused_parameters
from eulerflow.hamiltonians import ControlAffine, ControlBall, ControlBox, PowerHamiltonian
from eulerflow.hamiltonians.control_sets import BALL_CODE, BOX_CODE

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "check_cuda_compiles.py"


@pytest.fixture(scope="module")
def checks():
    """``benchmarks/check_cuda_compiles.py`` as a module (skips without a C++ compiler)."""
    if not any(shutil.which(c) for c in ("c++", "g++", "clang++")):
        pytest.skip("no C++ compiler (c++, g++, clang++) for the host emulation")
    spec = importlib.util.spec_from_file_location("check_cuda_compiles", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(check):
    result = check()
    if result.startswith("skipped"):
        pytest.skip(result)
    assert result == "ok"


def test_fused_kernel_matches_reference_on_the_host(checks):
    _run(checks.check_hj_point_host_emulation)


def test_backend_launches_the_fused_kernel_with_a_stub_cupy(checks):
    _run(checks.check_hj_point_fused_with_stub)


def _game(**kwargs):
    return ControlAffine(
        lambda t, x: (0.5 * x[0],),
        lambda t, x: ((1.0, 2.0),),
        lambda t, x: ((x[0],),),
        ControlBox([-1.0, 0.0], [1.0, 3.0]),
        ControlBall([0.5], 2.0),
        **kwargs,
    )


def test_kernel_parameters_of_the_sets_and_the_game():
    params = _game(mode="avoid", time_invariant=True).kernel_parameters()
    assert params.sign == 1.0 and params.maximize
    assert params.control == (BOX_CODE, (-1.0, 0.0, 1.0, 3.0), 2)
    assert params.disturbance == (BALL_CODE, (0.5, 2.0), 1)
    flipped = _game(time_invariant=True).reflected().kernel_parameters()
    assert flipped.sign == -1.0 and not flipped.maximize


def test_only_time_invariant_control_affine_games_are_fused():
    assert fused_parameters(_game()) is None  # may depend on time: array expressions
    assert fused_parameters(PowerHamiltonian(2.0)) is None
    no_disturbance = ControlAffine(
        lambda t, x: (0.0,),
        lambda t, x: ((1.0,),),
        control_set=ControlBall([0.0], 1.0),
        time_invariant=True,
    )
    assert fused_parameters(no_disturbance).disturbance is None
