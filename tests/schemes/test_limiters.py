import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eulerflow.schemes.limiters import LIMITERS, limited_slope, limiter_code
from eulerflow.schemes.ssp import ssp_stages

finite = st.floats(-1e3, 1e3, allow_nan=False)


@pytest.mark.parametrize("limiter", list(LIMITERS))
@given(dl=finite, dr=finite)
def test_limited_slope_bounds(limiter, dl, dr):
    """TVD region: zero at extrema, same sign as the data, |s| <= 2 min(|dl|, |dr|)."""
    s = float(limited_slope(np.array(dl), np.array(dr), limiter, np))
    if dl * dr <= 0 or limiter == "none":
        assert s == 0
    else:
        assert np.sign(s) == np.sign(dl)
        assert abs(s) <= 2 * min(abs(dl), abs(dr)) * (1 + 1e-15)


def test_limiter_values():
    dl, dr = np.array([1.0, 2.0, -1.0]), np.array([3.0, 2.0, 1.0])
    np.testing.assert_allclose(limited_slope(dl, dr, "minmod", np), [1, 2, 0])
    np.testing.assert_allclose(limited_slope(dl, dr, "vanleer", np), [1.5, 2, 0])
    np.testing.assert_allclose(limited_slope(dl, dr, "superbee", np), [2, 2, 0])
    np.testing.assert_allclose(limited_slope(dl, dr, "mc", np), [2, 2, 0])
    np.testing.assert_allclose(limited_slope(dl, dr, "none", np), [0, 0, 0])


def test_names_are_checked():
    with pytest.raises(ValueError, match="limiter must be one of"):
        limiter_code("van-leer")
    with pytest.raises(ValueError, match="stepper must be one of"):
        ssp_stages("rk4")
