import numpy as np
import pytest

import eulerflow as ef
from eulerflow.backends import AUTO_GPU_MIN_CELLS, as_input_type, backend_table, get_backend
from eulerflow.backends.cupy.availability import cupy_unavailable_reason


def test_named_backends():
    assert get_backend("numpy").name == "numpy"
    assert get_backend("numba").name == "numba"
    assert get_backend(get_backend("numpy")).name == "numpy"
    assert {"numpy", "numba"} <= set(ef.available_backends())
    with pytest.raises(ValueError, match="backend must be one of"):
        get_backend("torch")


def test_cupy_missing_is_explained():
    reason = cupy_unavailable_reason()
    if not reason:
        pytest.skip("CuPy and a GPU are available here")
    with pytest.raises(ef.BackendUnavailableError, match="not available") as info:
        get_backend("cupy")
    assert "CuPy is not installed" in str(info.value) or "no CUDA GPU" in str(info.value)
    assert "cupy" not in ef.available_backends()


def test_auto_selection():
    small = get_backend("auto", like=np.zeros(3), size=100)
    assert small.name == "numba"
    large = get_backend("auto", size=AUTO_GPU_MIN_CELLS)
    assert large.name == ("cupy" if "cupy" in ef.available_backends() else "numba")


def test_backend_table_rows():
    rows = {row["name"]: row for row in backend_table()}
    assert set(rows) == {"numpy", "numba", "cupy"}
    assert rows["numpy"]["available"] == "yes" and rows["numba"]["available"] == "yes"


def test_numpy_roundtrip_type():
    x = np.arange(3.0)
    assert isinstance(as_input_type(x, like=x), np.ndarray)
