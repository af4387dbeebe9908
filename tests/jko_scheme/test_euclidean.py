"""The Euclidean JKO (proximal point, implicit Euler) step."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from eulerflow import ConvergenceWarning
from eulerflow.jko_scheme import euclidean_jko_step

A = np.array([[2.0, 0.7, 0.0], [0.7, 1.0, -0.3], [0.0, -0.3, 0.5]])
C = np.array([0.5, -1.0, 2.0])


def quadratic(x):
    return 0.5 * (x - C) @ A @ (x - C)


def quadratic_grad(x):
    return A @ (x - C)


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 10 * (x[1] - x[0] ** 2) ** 2


def rosenbrock_grad(x):
    return np.array([-2 * (1 - x[0]) - 40 * x[0] * (x[1] - x[0] ** 2), 20 * (x[1] - x[0] ** 2)])


@pytest.mark.parametrize("with_grad", [True, False])
def test_first_order_condition_holds(with_grad):
    """(x_{k+1} - x_k) / tau + grad F(x_{k+1}) = 0 on a non-convex F, checked independently."""
    xk, tau = np.array([-1.2, 1.5]), 0.02  # tau < 1 / lambda: the objective is strictly convex
    step = euclidean_jko_step(
        xk, rosenbrock, tau, grad=rosenbrock_grad if with_grad else None, tol=1e-9
    )
    assert step.converged
    independent = np.linalg.norm((step.x - xk) / tau + rosenbrock_grad(step.x))
    scale = max(np.linalg.norm(rosenbrock_grad(xk)), np.linalg.norm(xk) / tau)  # as documented
    assert independent <= 1e-9 * scale
    assert step.residual == pytest.approx(independent, abs=1e-9 * scale)

    # a minimiser: the objective is lower than at x_k and than at nearby points
    def objective(y):
        return np.sum((y - xk) ** 2) / (2 * tau) + rosenbrock(y)

    assert objective(step.x) < rosenbrock(xk)
    rng = np.random.default_rng(1)
    assert all(
        objective(step.x + 1e-4 * rng.standard_normal(2)) > objective(step.x) for _ in range(20)
    )


@pytest.mark.parametrize("tau", [1e-3, 0.5, 40.0])
def test_equals_implicit_euler_for_a_quadratic(tau):
    """F = (x - c)^T A (x - c) / 2: x_{k+1} = (I + tau A)^{-1} (x_k + tau A c)."""
    xk = np.array([1.0, 2.0, -3.0])
    expected = np.linalg.solve(np.eye(3) + tau * A, xk + tau * A @ C)
    step = euclidean_jko_step(xk, quadratic, tau, grad=quadratic_grad)
    assert step.converged and step.n_iter >= 1
    # |x - expected| <= tau |residual| / (1 + tau lambda_min) <= tau tol scale
    scale = max(np.linalg.norm(quadratic_grad(xk)), np.linalg.norm(xk) / tau)
    np.testing.assert_allclose(step.x, expected, rtol=0, atol=tau * 1e-10 * scale)
    no_grad = euclidean_jko_step(xk, quadratic, tau, tol=1e-8)
    np.testing.assert_allclose(no_grad.x, expected, rtol=0, atol=tau * 1e-8 * scale)


def test_unconditionally_stable_on_a_stiff_quadratic():
    """Eigenvalues 1 and 1e4, tau = 0.01: explicit Euler's factor |1 - 100| blows up, the
    proximal step contracts and decreases F at every step."""
    stiff = np.diag([1.0, 1e4])

    def F(x):
        return 0.5 * x @ stiff @ x

    tau = 0.01
    explicit = implicit = np.array([1.0, 1.0])
    energies = [F(implicit)]
    for _ in range(20):
        explicit = explicit - tau * stiff @ explicit
        implicit = euclidean_jko_step(implicit, F, tau, grad=lambda x: stiff @ x).x
        energies.append(F(implicit))
    assert np.linalg.norm(explicit) > 1e30
    # each step is accurate to tau r <= tol |x_k| (1e-10 relative to the first component)
    np.testing.assert_allclose(implicit, [1 / 1.01**20, 1 / 101.0**20], rtol=1e-9, atol=1e-9)
    assert np.all(np.diff(energies) < 0)


def test_shapes_scalars_and_a_stationary_start():
    step = euclidean_jko_step(2.0, lambda x: float(x**2), 0.5, grad=lambda x: 2 * x)
    assert step.x.shape == ()
    assert float(step.x) == pytest.approx(1.0, rel=1e-10)
    grid_shaped = euclidean_jko_step(np.ones((2, 2)), lambda x: np.sum(x**2), 0.5)
    assert grid_shaped.x.shape == (2, 2)
    np.testing.assert_allclose(grid_shaped.x, 0.5, rtol=1e-9)
    at_rest = euclidean_jko_step(np.zeros(2), lambda x: x @ x, 1.0, grad=lambda x: 2 * x)
    np.testing.assert_array_equal(at_rest.x, 0.0)
    assert at_rest.converged and at_rest.residual == 0.0


def test_budget_exhausted_warns():
    with pytest.warns(ConvergenceWarning, match="residual"):
        step = euclidean_jko_step([-1.2, 1.0], rosenbrock, 10.0, grad=rosenbrock_grad, max_iter=1)
    assert not step.converged
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        euclidean_jko_step([-1.2, 1.0], rosenbrock, 10.0, grad=rosenbrock_grad)


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        (([0.0, np.nan], quadratic, 0.1), {}, ValueError, "x must be finite"),
        (([0.0, 1.0, 2.0], "x**2", 0.1), {}, TypeError, "F must be a callable"),
        (([0.0, 1.0, 2.0], quadratic, 0.0), {}, ValueError, "tau must be > 0"),
        (([0.0, 1.0, 2.0], quadratic, -1.0), {}, ValueError, "tau must be > 0"),
        (([0.0, 1.0, 2.0], quadratic, "1"), {}, TypeError, "tau must be a real number"),
        (([0.0, 1.0, 2.0], quadratic, 0.1), {"tol": 0.0}, ValueError, "tol must be > 0"),
        (([0.0, 1.0, 2.0], quadratic, 0.1), {"max_iter": 0}, ValueError, "max_iter must be"),
        (([0.0, 1.0, 2.0], quadratic, 0.1), {"grad": 3.0}, TypeError, "grad must be a callable"),
        (
            ([0.0, 1.0, 2.0], quadratic, 0.1),
            {"grad": lambda x: x[:2]},
            ValueError,
            r"grad\(x\) must return a finite array of the shape of x",
        ),
        (([0.0, 1.0], lambda x: np.inf, 0.1), {}, ValueError, r"F\(x\) must be a finite number"),
    ],
)
def test_bad_input_names_the_argument(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        euclidean_jko_step(*args, **kwargs)
