"""What the CUDA modules of the CuPy backend share: NVRTC options, the dtype -> C type table, the
per-device cache of compiled modules, the launch geometry, the launch and the check of its output
array.

A leaf module: it imports no other module of the backend, and not CuPy (the array module ``xp``
is handed to :class:`KernelCache` by the backend). Every CUDA source is a template over
``float`` and ``double`` (:data:`C_TYPES`), compiled once per device through
:class:`cupy.RawModule` (and cached on disk by CuPy) with :data:`NVRTC_OPTIONS`:
``--fmad=false``, so that without contraction of multiplications and additions into FMAs every
operation rounds as in NumPy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ...arrays import is_cupy_array

NVRTC_OPTIONS = ("--std=c++14", "--fmad=false")
"""NVRTC options of every kernel module (CuPy adds ``-arch`` for the current device)."""

C_TYPES = {np.dtype(np.float32): "float", np.dtype(np.float64): "double"}
"""The C type of each supported dtype: the template argument of the kernels."""

BLOCK = 256
"""Threads per block of every launch."""

BLOCKS_PER_SM = 32
"""At most this many blocks per multiprocessor; grid-stride loops cover the rest."""


def c_type(dtype) -> str:
    """The C type of ``dtype`` (``"float"`` or ``"double"``); ``TypeError`` for other dtypes."""
    dtype = np.dtype(dtype)
    if dtype not in C_TYPES:
        raise TypeError(f"the cupy backend supports float32 and float64 arrays, got {dtype}")
    return C_TYPES[dtype]


@dataclass(frozen=True)
class CudaModule:
    """One CUDA source compiled as one module, with the template instantiations it exports."""

    source: str
    name_expressions: tuple[str, ...]


class KernelCache:
    """The compiled modules per device and the launch geometry, for the array module ``xp``.

    One per :class:`~eulerflow.backends.cupy.backend.CupyBackend`; the capability modules
    compile and launch through it.
    """

    def __init__(self, xp) -> None:
        self.xp = xp
        self._modules: dict[tuple[CudaModule, int], object] = {}
        self._sm_counts: dict[int, int] = {}
        self._built: dict[str, object] = {}

    def module(self, spec: CudaModule):
        """The ``cupy.RawModule`` of ``spec`` on the current device, compiled on first use."""
        key = (spec, self.xp.cuda.Device().id)
        module = self._modules.get(key)
        if module is None:
            module = self._modules[key] = self.xp.RawModule(
                code=spec.source,
                options=NVRTC_OPTIONS,
                name_expressions=spec.name_expressions,
            )
        return module

    def function(self, spec: CudaModule, name: str, dtype):
        """The instantiation ``name<T>`` of ``spec`` for ``dtype`` on the current device."""
        return self.module(spec).get_function(f"{name}<{c_type(dtype)}>")

    def grid_size(self, n_threads: int, blocks_per_sm: int = BLOCKS_PER_SM) -> int:
        """Blocks of a grid-stride launch over ``n_threads`` items on the current device, at most
        ``blocks_per_sm`` per multiprocessor."""
        device = self.xp.cuda.Device()
        sms = self._sm_counts.get(device.id)
        if sms is None:
            sms = self._sm_counts[device.id] = int(device.attributes["MultiProcessorCount"])
        return max(1, min(-(-n_threads // BLOCK), blocks_per_sm * sms))

    def launch(self, spec: CudaModule, name: str, dtype, n_threads: int, args: tuple) -> None:
        """Run ``name<T>`` of ``spec`` over ``n_threads`` items (nothing when there are none)."""
        if n_threads:
            kernel = self.function(spec, name, dtype)
            kernel((self.grid_size(n_threads),), (BLOCK,), args)

    def contiguous(self, x):
        """``x`` as a C-contiguous array of ``xp`` (copied only if needed)."""
        return self.xp.ascontiguousarray(self.xp.asarray(x))

    def built(self, key: str, build: Callable[[], object]):
        """``build()`` on first use for ``key``, then the same object (for kernels that CuPy
        compiles per device itself, such as ``ElementwiseKernel``)."""
        value = self._built.get(key)
        if value is None:
            value = self._built[key] = build()
        return value


def check_out(out, shape: tuple, dtype) -> None:
    """``TypeError`` unless ``out`` is a CuPy array, ``ValueError`` unless it has ``shape`` and
    ``dtype``: the output of a kernel launch."""
    if not is_cupy_array(out):
        raise TypeError(f"out must be a CuPy array for the cupy backend, got {type(out)}")
    if tuple(out.shape) != tuple(shape) or out.dtype != dtype:
        raise ValueError(
            f"out must have shape {tuple(shape)} and dtype {dtype}, "
            f"got {tuple(out.shape)} {out.dtype}"
        )
