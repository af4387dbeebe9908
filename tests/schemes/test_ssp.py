import numpy as np
import pytest

from eulerflow.schemes.ssp import SSP_METHODS, ssp_stages


@pytest.mark.parametrize("stepper", list(SSP_METHODS))
def test_ssp_tables_are_consistent(stepper):
    """Shu-Osher coefficients: a + b = 1 per stage, and the order conditions on u' = u."""
    stages = ssp_stages(stepper)
    for stage in stages:
        assert stage.a + stage.b == pytest.approx(1.0)
    # apply to u' = lambda u and compare with exp(lambda dt) up to the method's order
    z = 1e-2
    u = 1.0
    for stage in stages:
        u = stage.a * 1.0 + stage.b * (u + z * u)
    order = len(stages)
    # local error z^(p+1)/(p+1)! of an order-p method; a lower order would miss this bound
    assert abs(u - np.exp(z)) < z ** (order + 1)
