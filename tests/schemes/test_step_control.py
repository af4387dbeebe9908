"""The scaled error norm, the step controller and the tolerance checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from eulerflow.schemes.step_control import (
    MAX_FACTOR,
    MIN_FACTOR,
    SAFETY,
    ErrorControl,
    check_tolerances,
)


def test_norm_is_the_l1_error_over_the_l1_tolerance():
    rng = np.random.default_rng(1)
    old, new, error = rng.random(50), rng.random(50), 1e-4 * rng.standard_normal(50)
    control = ErrorControl(rtol=1e-3, atol=1e-6, order=3)
    allowed = 50 * 1e-6 + 1e-3 * np.maximum(np.abs(old), np.abs(new)).sum()
    assert control.norm(error, old, new, np) == pytest.approx(np.abs(error).sum() / allowed)
    assert ErrorControl(1e-3, 0.0, 3).norm(np.zeros(3), np.zeros(3), np.zeros(3), np) == 0
    assert ErrorControl(1e-3, 0.0, 3).norm(np.ones(3), np.zeros(3), np.zeros(3), np) == math.inf


def test_factor_follows_the_order_and_is_bounded():
    control = ErrorControl(1e-3, 0.0, order=3)
    assert control.factor(0.5) == pytest.approx(SAFETY * 0.5 ** (-1 / 3))
    assert control.factor(0.5, order=2) == pytest.approx(SAFETY * 0.5**-0.5)
    assert control.factor(0.0) == MAX_FACTOR
    assert control.factor(1e-12) == MAX_FACTOR
    assert control.factor(1e12) == MIN_FACTOR
    assert control.factor(math.inf) == MIN_FACTOR
    assert ErrorControl(1e-3, 0.0, 3, max_factor=2.0).factor(1e-9) == 2.0


@pytest.mark.parametrize(
    ("rtol", "atol", "name"),
    [
        (0.0, None, "rtol"),
        (1.0, None, "rtol"),
        (math.nan, None, "rtol"),
        (True, None, "rtol"),
        (1e-3, -1.0, "atol"),
        (1e-3, math.inf, "atol"),
        (1e-3, "1", "atol"),
    ],
)
def test_bad_tolerances_are_refused_by_name(rtol, atol, name):
    with pytest.raises(ValueError, match=name):
        check_tolerances(rtol, atol)


def test_good_tolerances_come_back_as_floats():
    assert check_tolerances(1e-4, None) == (1e-4, None)
    assert check_tolerances(np.float32(1e-3), 0) == (pytest.approx(1e-3), 0.0)
