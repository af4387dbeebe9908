"""Whether the CuPy backend can run here: CuPy, a usable CUDA device and NVRTC.

Importing this module does not import CuPy; :func:`cupy_unavailable_reason` does, once.
"""

from __future__ import annotations

import importlib.util
from functools import cache

import numpy as np

GPU_INSTALL_HINT = "pip install 'eulerflow[gpu]', i.e. cupy-cuda12x for CUDA 12"


@cache
def cupy_unavailable_reason() -> str:
    """Why the CuPy backend cannot run here, or ``""`` when it can.

    The backend needs CuPy to import, a usable CUDA device (a small array is allocated and copied
    back on the current device to check) and NVRTC to compile its kernels. The answer is
    computed once per process.

    Returns
    -------
    str
        ``""`` when usable; otherwise a message saying whether CuPy is missing, fails to import,
        finds no usable GPU or cannot load NVRTC, with the underlying error.
    """
    if importlib.util.find_spec("cupy") is None:
        return f"CuPy is not installed ({GPU_INSTALL_HINT})"
    try:
        import cupy
    except Exception as err:  # broken installs raise more than ImportError
        return f"CuPy is installed but fails to import: {type(err).__name__}: {err}"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
        if count < 1:
            raise RuntimeError("no CUDA device found")
        cupy.zeros(1, dtype=np.float64).get()  # memset + copy: needs a context, not NVRTC
    except Exception as err:
        return f"CuPy is installed but no CUDA GPU is usable: {type(err).__name__}: {err}"
    try:
        cupy.cuda.nvrtc.getVersion()
    except Exception as err:
        return (
            "CuPy and a CUDA GPU are usable but NVRTC (the CUDA runtime compiler) cannot be "
            f"loaded (pip install nvidia-cuda-nvrtc-cu12): {type(err).__name__}: {err}"
        )
    return ""
