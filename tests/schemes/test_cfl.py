import pytest

from eulerflow.schemes.cfl import check_cfl, max_courant


def test_cfl_bounds():
    assert max_courant("none") == 1.0 and max_courant("vanleer") == 0.5
    assert check_cfl(None, "none") == pytest.approx(0.8)
    assert check_cfl(0.5, "mc") == 0.5
    for bad, limiter in [(0.6, "vanleer"), (1.1, "none"), (0, "minmod"), (float("nan"), "mc")]:
        with pytest.raises(ValueError, match="stable range"):
            check_cfl(bad, limiter)
