"""The Hamilton-Jacobi solver against Hopf-Lax, closed forms and its own properties."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import eulerflow as ef
from eulerflow import exact
from eulerflow.hamiltonians import (
    CallableHamiltonian,
    PowerHamiltonian,
    QuadraticPotentialHamiltonian,
)

AMPLITUDE = 0.1  # phi0 = a sin(2 pi x) (...): characteristics cross at t* = 1 / (a (2 pi)^2) ~ 0.25


def hopf_lax_smooth(grad, hess, value, x, t, iterations=60):
    """Hopf-Lax ``min_y phi0(y) + |x - y|^2 / (2t)`` in the smooth regime, by Newton's method.

    Before characteristics cross, ``y -> phi0(y) + |x - y|^2/(2t)`` is strictly convex and its
    minimiser is the root of ``y + t grad phi0(y) = x``; ``x`` is a tuple of coordinate arrays.
    """
    y = [np.array(np.broadcast_to(xa, np.broadcast_shapes(*[c.shape for c in x]))) for xa in x]
    d = len(x)
    for _ in range(iterations):
        g = grad(*y)
        residual = np.stack([y[a] + t * g[a] - x[a] for a in range(d)], axis=-1)
        jac = np.eye(d) + t * np.moveaxis(np.array(hess(*y)), (0, 1), (-2, -1))
        step = np.linalg.solve(jac, residual[..., None])[..., 0]
        y = [y[a] - step[..., a] for a in range(d)]
    return value(*y) + sum((x[a] - y[a]) ** 2 for a in range(d)) / (2 * t)


def sine_1d():
    k = 2 * np.pi
    return (
        lambda x: AMPLITUDE * np.sin(k * x),
        lambda x: (AMPLITUDE * k * np.cos(k * x),),
        lambda x: [[-AMPLITUDE * k * k * np.sin(k * x)]],
    )


def sine_2d():
    k = 2 * np.pi
    a = AMPLITUDE

    def value(x, y):
        return a * np.sin(k * x) * np.sin(k * y)

    def grad(x, y):
        return (a * k * np.cos(k * x) * np.sin(k * y), a * k * np.sin(k * x) * np.cos(k * y))

    def hess(x, y):
        xx = -a * k * k * np.sin(k * x) * np.sin(k * y)
        xy = a * k * k * np.cos(k * x) * np.cos(k * y)
        return [[xx, xy], [xy, xx]]

    return value, grad, hess


def orders(errors):
    errors = np.asarray(errors)
    return np.log2(errors[:-1] / errors[1:])


# -- smooth regime: convergence orders against Hopf-Lax
@pytest.mark.parametrize(
    ("scheme", "sizes", "min_order"),
    [("first", [40, 80, 160], 0.9), ("eno2", [40, 80, 160], 1.8), ("weno5", [40, 80, 160], 4.5)],
)
def test_smooth_order_1d(scheme, sizes, min_order):
    value, grad, hess = sine_1d()
    t = 0.1
    errors = []
    for n in sizes:
        grid = ef.Grid(n, (0, 1), periodic=True)
        (x,) = grid.centers
        cfl = 0.5 * (sizes[0] / n) ** (2 / 3)  # dt ~ h^(5/3): RK3's error below WENO5's
        sol = ef.solve_hamilton_jacobi(
            value(x), grid, t_final=t, scheme=scheme, cfl=cfl, backend="numba", progress=False
        )
        reference = hopf_lax_smooth(grad, hess, value, (x,), t)
        errors.append(np.mean(np.abs(sol.phi[-1] - reference)))
    assert np.all(orders(errors) >= min_order), (errors, orders(errors))


@pytest.mark.parametrize(("scheme", "min_order"), [("first", 0.9), ("weno5", 4.5)])
def test_smooth_order_2d(scheme, min_order):
    value, grad, hess = sine_2d()
    t = 0.1
    errors = []
    sizes = [32, 64, 128]
    for n in sizes:
        grid = ef.Grid((n, n), ((0, 1), (0, 1)), periodic=True)
        x, y = grid.centers
        cfl = 0.5 * (sizes[0] / n) ** (2 / 3)
        sol = ef.solve_hamilton_jacobi(
            value(x, y), grid, t_final=t, scheme=scheme, cfl=cfl, backend="numba", progress=False
        )
        reference = hopf_lax_smooth(grad, hess, value, (x, y), t)
        errors.append(np.mean(np.abs(sol.phi[-1] - reference)))
    assert np.all(orders(errors) >= min_order), (errors, orders(errors))


# -- after kinks form: the viscosity solution
@pytest.mark.parametrize("scheme", ["first", "eno2", "weno5"])
def test_kinks_converge_to_viscosity_solution(scheme):
    """phi0 = -|x|^2/2 + cos: characteristics cross near t = 0.45; compare with Hopf-Lax at 0.6."""

    def phi0(x, y):
        return -0.5 * (x**2 + y**2) + 0.3 * np.cos(2 * x) * np.cos(y)

    t = 0.6
    l1, linf = [], []
    for n in [32, 64, 128]:
        grid = ef.Grid((n, n), ((-4, 4), (-4, 4)))
        sol = ef.solve_hamilton_jacobi(
            phi0(*grid.centers), grid, t_final=t, scheme=scheme, backend="numba", progress=False
        )
        # reference: grid Hopf-Lax with spacing h/3 on [-8, 8]^2, whose every third centre is a
        # centre of the coarse grid (restriction error O(h^2 / 9), no walls nearby)
        fine = ef.Grid((6 * n, 6 * n), ((-8, 8), (-8, 8)))
        coarse = slice(3 * n // 2 + 1, 3 * n // 2 + 1 + 3 * n, 3)
        reference = exact.hopf_lax(phi0(*fine.centers), fine, t)[coarse, coarse]
        x, y = grid.centers
        inner = (np.abs(x) < 1) & (np.abs(y) < 1)  # feet of characteristics stay inside
        err = np.abs(sol.phi[-1] - reference)[inner]
        l1.append(err.mean())
        linf.append(err.max())
    assert l1[0] > l1[1] > l1[2], l1
    assert linf[0] >= linf[1] >= linf[2], linf  # bounded, and shrinking near the kinks too


def test_min_of_two_cones_is_the_viscosity_solution():
    """phi0 = min(|x - 1|, |x + 1|): the kink at 0 persists (a min of viscosity solutions)."""
    grid = ef.Grid(201, (-3, 3))
    (x,) = grid.centers
    phi0 = np.minimum(np.abs(x - 1), np.abs(x + 1))
    t = 0.4
    sol = ef.solve_hamilton_jacobi(
        phi0, grid, t_final=t, scheme="first", backend="numba", progress=False
    )
    reference = exact.hopf_lax(phi0, grid, t)
    inner = np.abs(x) < 2
    err = np.abs(sol.phi[-1] - reference)[inner]
    assert err.max() < 5 * grid.spacing[0]
    # the viscosity solution keeps the downward kink at 0 (the smooth "max" branch is wrong)
    assert sol.phi[-1][np.argmin(np.abs(x))] == pytest.approx(
        reference[np.argmin(np.abs(x))], abs=0.05
    )


# -- monotonicity
@settings(max_examples=30, deadline=None)
@given(
    phi0=arrays(np.float64, (9, 8), elements=st.floats(-1, 1)),
    flux=st.sampled_from(["godunov", "lax-friedrichs", "local-lax-friedrichs"]),
    periodic=st.booleans(),
)
def test_first_order_schemes_create_no_new_extrema(phi0, flux, periodic):
    grid = ef.Grid((9, 8), ((0, 1), (0, 1)), periodic=periodic)
    sol = ef.solve_hamilton_jacobi(
        phi0,
        grid,
        t_final=0.05,
        scheme="first",
        stepper="tvdrk1",
        flux=flux,
        cfl=1.0,
        t_eval=np.linspace(0, 0.05, 6),
        backend="numba",
        progress=False,
    )
    tol = 1e-12
    if periodic:
        assert np.all(np.diff(sol.diagnostics["max"]) <= tol)
        assert np.all(np.diff(sol.diagnostics["min"]) >= -tol)
    else:  # walls extrapolate linearly: values are bounded by the data and its extrapolation
        assert np.all(np.isfinite(sol.phi))


# -- closed forms, directions, Hamiltonians
@pytest.mark.parametrize(
    "hamiltonian", [None, PowerHamiltonian(3.0), PowerHamiltonian(1.5)], ids=["q2", "q3", "q1.5"]
)
def test_linear_data_are_exact_with_walls(hamiltonian):
    """phi0 = s.x stays linear (walls extrapolate linearly): phi = s.x - t H(s)."""
    grid = ef.Grid((11, 7), ((0, 1), (0, 2)))
    s = np.array([0.7, -0.4])
    x, y = grid.centers
    sol = ef.solve_hamilton_jacobi(
        s[0] * x + s[1] * y,
        grid,
        t_final=0.3,
        hamiltonian=hamiltonian,
        backend="numba",
        progress=False,
    )
    h = PowerHamiltonian(2.0) if hamiltonian is None else hamiltonian
    expected = s[0] * x + s[1] * y - 0.3 * h((), tuple(s))
    np.testing.assert_allclose(sol.phi[-1], expected, atol=1e-12)
    if hamiltonian is None:
        np.testing.assert_allclose(sol.phi[-1], exact.hj_linear_solution(grid, s, 0.3), atol=1e-12)


def test_backward_direction_matches_backward_hopf_lax():
    """Terminal value phi(T): phi(t, x) = max_y phi(T, y) - |x - y|^2 / (2 (T - t))."""
    grid = ef.Grid(400, (-4, 4))
    (x,) = grid.centers
    phi_t = -0.5 * np.abs(x - 0.5) + 0.2 * np.cos(3 * x)
    sol = ef.solve_hamilton_jacobi(
        phi_t,
        grid,
        t_final=1.0,
        direction="backward",
        t_eval=[0.0, 0.5, 1.0],
        scheme="first",
        backend="numba",
        progress=False,
    )
    np.testing.assert_array_equal(sol.t, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(sol.phi[-1], phi_t)
    for k, t in enumerate(sol.t[:-1]):
        reference = -exact.hopf_lax(-phi_t, grid, 1.0 - t)
        inner = np.abs(x) < 2.5
        assert np.max(np.abs(sol.phi[k] - reference)[inner]) < 10 * grid.spacing[0]


def test_quadratic_data_against_closed_form():
    grid = ef.Grid((48, 48), ((-2, 2), (-2, 2)))
    Q = np.array([[0.8, 0.3], [0.3, 0.5]])
    x, y = grid.centers
    phi0 = 0.5 * (Q[0, 0] * x**2 + 2 * Q[0, 1] * x * y + Q[1, 1] * y**2)
    sol = ef.solve_hamilton_jacobi(phi0, grid, t_final=0.5, backend="numba", progress=False)
    reference = exact.hj_quadratic_solution(grid, Q, 0.5)
    inner = (slice(12, 36), slice(12, 36))
    assert np.max(np.abs(sol.phi[-1] - reference)[inner]) < 1e-3


def test_potential_hamiltonian_fused_equals_callable():
    """The fused kernel path and the array-expression path agree for H = |p|^2/2 + U."""
    grid = ef.Grid((20, 18), ((0, 1), (0, 1)), periodic=True)
    x, y = grid.centers

    def potential(x, y):
        return 0.3 * np.sin(2 * np.pi * x) * np.cos(2 * np.pi * y)

    phi0 = np.cos(2 * np.pi * (x + y)) * 0.05
    fused = ef.solve_hamilton_jacobi(
        phi0,
        grid,
        t_final=0.2,
        hamiltonian=QuadraticPotentialHamiltonian(potential),
        flux="local-lax-friedrichs",
        backend="numba",
        progress=False,
    )
    user = CallableHamiltonian(
        lambda coords, p: 0.5 * (p[0] ** 2 + p[1] ** 2) + potential(*coords),
        dissipation=lambda coords, lo, hi: tuple(
            np.maximum(np.abs(a), np.abs(b)) for a, b in zip(lo, hi, strict=True)
        ),
    )
    generic = ef.solve_hamilton_jacobi(
        phi0,
        grid,
        t_final=0.2,
        hamiltonian=user,
        flux="local-lax-friedrichs",
        backend="numba",
        progress=False,
    )
    assert fused.n_steps == generic.n_steps
    np.testing.assert_allclose(fused.phi, generic.phi, atol=1e-12)


def test_backends_agree(fast_backend):
    grid = ef.Grid((17, 13), ((0, 1), (0, 1)), periodic=(True, False))
    x, y = grid.centers
    phi0 = np.sin(2 * np.pi * x) * np.cos(3 * y)
    ref = ef.solve_hamilton_jacobi(phi0, grid, t_final=0.1, backend="numpy", progress=False)
    fast = ef.solve_hamilton_jacobi(
        fast_backend.asarray(phi0), grid, t_final=0.1, backend=fast_backend.name, progress=False
    )
    np.testing.assert_allclose(fast_backend.to_numpy(fast.phi), ref.phi, atol=1e-12)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_float32_weno5_is_finite_on_flat_data(backend):
    """Flat regions make every WENO5 smoothness indicator vanish; float32 must stay finite."""
    grid = ef.Grid((24, 20), ((-1, 1), (-1, 1)))
    x, y = grid.centers
    phi0 = np.maximum(np.abs(x) - 0.5, 0.0) + 0 * y  # flat for |x| < 1/2
    single = ef.solve_hamilton_jacobi(
        phi0.astype(np.float32), grid, t_final=0.2, backend=backend, progress=False
    )
    double = ef.solve_hamilton_jacobi(phi0, grid, t_final=0.2, backend=backend, progress=False)
    assert single.phi.dtype == np.float32
    assert np.isfinite(single.phi).all()
    np.testing.assert_allclose(single.phi, double.phi, atol=1e-5)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"hamiltonian": lambda x, p: p[0] ** 2}, ValueError, "needs a bound on"),
        ({"phi0": np.full(16, np.nan)}, ValueError, "non-finite"),
        ({"phi0": np.zeros(15)}, ValueError, "phi0 has shape"),
        ({"t_final": 0.0}, ValueError, "t_final must be positive"),
        ({"t_final": -1.0}, ValueError, "t_final must be positive"),
        ({"cfl": 1.5}, ValueError, "stable range"),
        ({"scheme": "weno3"}, ValueError, "scheme must be one of"),
        ({"stepper": "rk4"}, ValueError, "stepper must be one of"),
        ({"direction": "sideways"}, ValueError, "direction must be"),
        ({"hamiltonian": PowerHamiltonian(3), "flux": "godunov"}, ValueError, "godunov"),
        ({"flux": "roe"}, ValueError, "flux must be one of"),
    ],
)
def test_bad_input(change, error, match):
    grid = ef.Grid(16, (0, 1), periodic=True)
    kwargs = dict(phi0=np.zeros(16), grid=grid, t_final=0.1, progress=False)
    kwargs.update(change)
    with pytest.raises(error, match=match):
        ef.solve_hamilton_jacobi(**kwargs)


def test_power_hamiltonian_rejects_bad_power():
    with pytest.raises(ValueError, match="q of"):
        PowerHamiltonian(1.0)


# -- defects found by a new user (issue 10) -------------------------------------------------------
def _grid_and_phi():
    grid = ef.Grid((16, 16), ((-1.0, 1.0), (-1.0, 1.0)))
    x, y = grid.centers
    return grid, np.sin(np.pi * x) * np.cos(np.pi * y)


def test_user_hamiltonian_of_the_wrong_shape_is_named():
    grid, phi0 = _grid_and_phi()
    with pytest.raises(ValueError, match=r"hamiltonian H\(x, p\) returned shape \(3,\)"):
        ef.solve_hamilton_jacobi(
            phi0, grid, lambda x, p: np.ones(3), 0.1, dissipation=1.0, progress=False
        )


def test_user_hamiltonian_returning_nan_is_named():
    grid, phi0 = _grid_and_phi()

    def hamiltonian(x, p):
        return np.where(x[0] > 0.5, np.nan, 0.5 * (p[0] ** 2 + p[1] ** 2))

    with pytest.raises(ef.UnstableSolutionError, match="hamiltonian .* returned non-finite"):
        ef.solve_hamilton_jacobi(phi0, grid, hamiltonian, 0.1, dissipation=5.0, progress=False)


def test_dissipation_below_the_slope_of_h_is_warned():
    """Defect 7: dissipation=0.01 where |dH/dp| reaches 1 was accepted silently (1 step instead
    of 31, error 5x larger)."""
    grid = ef.Grid(64, (-1.0, 1.0), periodic=True)
    (x,) = grid.centers
    phi0 = np.sin(np.pi * x)

    def hamiltonian(x, p):
        return np.abs(p[0]) / np.pi  # |dH/dp| = 1 / pi

    with pytest.warns(ef.DissipationWarning, match=r"dissipation=0.01 along axis 0"):
        ef.solve_hamilton_jacobi(
            phi0, grid, hamiltonian, 0.5, dissipation=0.01, scheme="first", progress=False
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ef.DissipationWarning)
        ef.solve_hamilton_jacobi(
            phi0, grid, hamiltonian, 0.5, dissipation=1 / np.pi, scheme="first", progress=False
        )


def test_phi0_messages_do_not_speak_of_densities():
    """Defect 9: phi0 complex used to say "densities must be real"."""
    grid, phi0 = _grid_and_phi()
    with pytest.raises(TypeError, match="phi0 must be real"):
        ef.solve_hamilton_jacobi(phi0 + 1j, grid, None, 0.1)
    doc = ef.solve_hamilton_jacobi.__doc__
    assert "Raises\n    ------" in doc and "density" not in doc.lower()


def test_runaway_and_budget():
    grid, phi0 = _grid_and_phi()
    with pytest.raises(ValueError, match="max_steps=10"):
        ef.solve_hamilton_jacobi(phi0, grid, None, 100.0, max_steps=10)
