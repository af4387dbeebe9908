"""Idle-thread policy of the OpenMP runtime that runs Numba's parallel kernels.

After each parallel region libgomp keeps its worker threads spinning (300,000 spins by default)
before they sleep. On a machine with few cores those spinning threads take the CPU from whatever
runs next on the Python side, above all the worker threads of ``scipy.fft``: the space-time
Poisson solve of :func:`eulerflow.benamou_brenier`, run between Numba kernels, took 1.7x as long
on two cores (9.7 ms instead of 5.8 ms at 128^2 x 32). :func:`prefer_short_spin` sets a short spin
(``GOMP_SPINCOUNT``) unless the user has chosen a policy; the Numba kernels themselves are not
slowed by it (measured side by side, ``benchmarks/benamou_brenier.py``).
"""

from __future__ import annotations

import os

SHORT_SPIN_COUNT = "10000"
"""Spins of an idle libgomp thread before it sleeps (a few microseconds)."""


def prefer_short_spin() -> None:
    """Set ``GOMP_SPINCOUNT`` to :data:`SHORT_SPIN_COUNT` unless ``OMP_WAIT_POLICY`` or
    ``GOMP_SPINCOUNT`` is already set.

    libgomp reads the variable when it is loaded, which Numba does when it first runs a parallel
    kernel or sets its thread count: ``import eulerflow`` calls this, so a script that calls
    ``numba.set_num_threads`` before importing eulerflow keeps libgomp's default. It has no
    effect on an OpenMP runtime that a library loaded earlier in the process, nor on Numba's TBB
    or workqueue threading layers.
    """
    if "OMP_WAIT_POLICY" in os.environ or "GOMP_SPINCOUNT" in os.environ:
        return
    os.environ["GOMP_SPINCOUNT"] = SHORT_SPIN_COUNT
