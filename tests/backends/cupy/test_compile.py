"""The shared compile/launch leaf of the CuPy backend (backends/cupy/compile.py), run with a
stand-in for CuPy: it needs neither CuPy nor a GPU."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from eulerflow.backends.cupy.compile import (
    BLOCK,
    BLOCKS_PER_SM,
    NVRTC_OPTIONS,
    CudaModule,
    KernelCache,
    c_type,
)

SPEC = CudaModule("template <typename T> __global__ void k(T* x) {}", ("k<float>", "k<double>"))


def _stub(device_ids):
    """A stand-in for CuPy: ``cuda.Device()`` cycles through ``device_ids``; modules and launches
    are recorded."""
    log = []
    devices = iter(device_ids)

    class RawModule:
        def __init__(self, code, options, name_expressions):
            log.append(("compile", code, options, name_expressions))

        def get_function(self, name):
            return lambda grid, block, args: log.append(("launch", name, grid, block, args))

    def device():
        return SimpleNamespace(id=next(devices), attributes={"MultiProcessorCount": 4})

    return SimpleNamespace(RawModule=RawModule, cuda=SimpleNamespace(Device=device)), log


def test_c_type_table():
    assert c_type(np.float32) == "float" and c_type(np.dtype("float64")) == "double"
    with pytest.raises(TypeError, match="float32 and float64"):
        c_type(np.int64)


def test_one_module_per_device_and_launch_geometry():
    xp, log = _stub([0, 0, 1, 1, 0])  # module and grid size of each launch ask for the device
    kernels = KernelCache(xp)
    kernels.launch(SPEC, "k", np.float32, 10, ("a",))  # device 0: compile, grid size, launch
    kernels.launch(SPEC, "k", np.float64, 10**9, ("b",))  # device 1: compile again
    kernels.launch(SPEC, "k", np.float64, 0, ("c",))  # nothing to do
    assert [e[0] for e in log] == ["compile", "launch", "compile", "launch"]
    assert log[0][1:] == (SPEC.source, NVRTC_OPTIONS, SPEC.name_expressions)
    assert log[1][1:] == ("k<float>", (1,), (BLOCK,), ("a",))
    assert log[3][1:] == ("k<double>", (BLOCKS_PER_SM * 4,), (BLOCK,), ("b",))
    kernels.module(SPEC)  # device 0 again: the cached module
    assert len(log) == 4


def test_built_once():
    kernels = KernelCache(None)
    calls = []
    for _ in range(3):
        kernels.built("x", lambda: calls.append(1) or "value")
    assert calls == [1]
