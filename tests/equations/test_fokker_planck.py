"""The linear Fokker-Planck solver against exact solutions, and its structural properties."""

from __future__ import annotations

import math

import numpy as np
import pytest

import eulerflow as ef
from eulerflow.equations.fokker_planck import default_rtol
from eulerflow.exact import gibbs_state, ornstein_uhlenbeck, ou_moments

# Anisotropic, non-diagonal symmetric positive definite A: V = (x - b)^T A (x - b) / 2.
A_SYM = np.array([[1.0, 0.45], [0.45, 0.6]])
A_NONSYM = np.array([[1.0, 0.8], [-0.5, 0.6]])  # no potential: given as a drift
CENTRE = np.array([0.3, -0.2])
M0 = np.array([-0.8, 0.7])
S0 = np.array([[0.35, 0.1], [0.1, 0.25]])
EPS = 0.5


def quadratic_potential(A, centre):
    def V(*x):
        d = [xi - ci for xi, ci in zip(x, centre, strict=True)]
        return 0.5 * sum(A[i][j] * d[i] * d[j] for i in range(len(d)) for j in range(len(d)))

    return V


def linear_drift(A, centre):
    def b(t, *x):
        d = [xi - ci for xi, ci in zip(x, centre, strict=True)]
        return tuple(-sum(A[i][j] * d[j] for j in range(len(d))) for i in range(len(d)))

    return b


def l1(grid, a, b):
    return float(grid.integrate(np.abs(np.asarray(a) - np.asarray(b))))


def orders(errors):
    return [math.log2(e0 / e1) for e0, e1 in zip(errors, errors[1:], strict=False)]


# -- accuracy against the Ornstein-Uhlenbeck law ---------------------------------------------------
@pytest.mark.parametrize("stepper", ["bdf2", "crank-nicolson"])
def test_ou_1d_second_order_in_space(stepper):
    t, A, centre, m0, s0 = 0.8, 1.3, 0.4, -1.0, 0.15
    errors = []
    for n in (32, 64, 128, 256):
        grid = ef.Grid(n, (-5, 5))
        rho0 = ornstein_uhlenbeck(grid, 0.0, A, centre, EPS, m0, s0)
        sol = ef.solve_fokker_planck(
            rho0,
            grid,
            t_final=t,
            potential=lambda x: 0.5 * A * (x - centre) ** 2,
            diffusion=EPS,
            stepper=stepper,
            dt=1e-3,
        )
        errors.append(l1(grid, sol.rho[-1], ornstein_uhlenbeck(grid, t, A, centre, EPS, m0, s0)))
    assert min(orders(errors)) >= 1.8, (errors, orders(errors))
    assert errors[-1] < 6e-4  # measured 4.9e-4 at n = 256 (second order from 3.1e-2 at 32)


@pytest.mark.parametrize(
    "stepper, drift",
    [("bdf2", False), ("crank-nicolson", False), ("bdf2", True)],
    ids=["bdf2-potential", "cn-potential", "bdf2-nonsymmetric-drift"],
)
def test_ou_2d_anisotropic_second_order_in_space(stepper, drift):
    t = 0.6
    A = A_NONSYM if drift else A_SYM
    field = (
        {"drift": linear_drift(A, CENTRE), "steady": True}
        if drift
        else {"potential": quadratic_potential(A, CENTRE)}
    )
    errors = []
    for n in (16, 32, 64):
        grid = ef.Grid((n, n), ((-4.5, 4.5), (-4.5, 4.5)))
        rho0 = ornstein_uhlenbeck(grid, 0.0, A, CENTRE, EPS, M0, S0)
        sol = ef.solve_fokker_planck(
            rho0, grid, t_final=t, diffusion=EPS, stepper=stepper, dt=4e-3, **field
        )
        exact = ornstein_uhlenbeck(grid, t, A, CENTRE, EPS, M0, S0)
        errors.append(l1(grid, sol.rho[-1], exact))
        assert sol.diagnostics["n_factorizations"] == (2 if stepper == "bdf2" else 1)
    assert min(orders(errors)) >= 1.8, (errors, orders(errors))


def test_snapshot_times_are_hit_exactly():
    grid = ef.Grid(256, (-5, 5))
    V = quadratic_potential([[1.0]], [0.0])
    rho0 = ornstein_uhlenbeck(grid, 0.0, 1.0, 0.0, EPS, 1.0, 0.2)
    t_eval = [0.0, 0.013, 0.3, 0.7, 1.0]
    for method in ("bdf2", "implicit-euler", "ssprk3"):
        sol = ef.solve_fokker_planck(
            rho0,
            grid,
            t_final=1.0,
            potential=V,
            diffusion=EPS,
            t_eval=t_eval,
            stepper=method,
            dt=None,
        )
        np.testing.assert_array_equal(sol.t, t_eval)
        for k, tk in enumerate(t_eval):
            exact = ornstein_uhlenbeck(grid, tk, 1.0, 0.0, EPS, 1.0, 0.2)
            tol = 3e-3 if method == "implicit-euler" else 5e-4
            assert l1(grid, sol.rho[k], exact) < tol, (method, tk)


def test_time_dependent_drift_second_order():
    """b(t, x) = -(x - beta sin(w t)): mean m' = -m + beta sin(w t), variance v' = -2v + 2 eps."""
    beta, w, t, m0, v0 = 1.5, 3.0, 1.0, 0.5, 0.2
    m_t = m0 * math.exp(-t) + beta * (math.sin(w * t) - w * math.cos(w * t) + w * math.exp(-t)) / (
        1 + w * w
    )
    v_t = v0 * math.exp(-2 * t) + EPS * (1 - math.exp(-2 * t))
    errors = {"bdf2": [], "ssprk3": []}
    for n in (32, 64, 128):
        grid = ef.Grid(n, (-5, 5))
        rho0 = ef.exact.gaussian_density(grid, m0, v0)
        exact = ef.exact.gaussian_density(grid, m_t, v_t)
        for method in errors:
            sol = ef.solve_fokker_planck(
                rho0,
                grid,
                t_final=t,
                drift=lambda s, x: (-(x - beta * math.sin(w * s)),),
                diffusion=EPS,
                stepper=method,
                dt=2e-3 if method == "bdf2" else None,
            )
            assert sol.parameters["time_dependent"]
            errors[method].append(l1(grid, sol.rho[-1], exact))
    for method, errs in errors.items():
        assert min(orders(errs)) >= 1.8, (method, errs, orders(errs))


def test_periodic_constant_drift_against_wrapped_gaussian():
    """d_t rho + c d_x rho = eps rho'' on a periodic interval: the periodised heat kernel."""
    c, t, m0, v0, length = 1.7, 0.5, 0.3, 0.05, 4.0

    def wrapped(grid, mean, var):
        return sum(ef.exact.gaussian_density(grid, mean + k * length, var) for k in range(-4, 5))

    errors = []
    for n in (32, 64, 128):
        grid = ef.Grid(n, (-2, 2), periodic=True)
        rho0 = wrapped(grid, m0, v0)
        sol = ef.solve_fokker_planck(
            rho0,
            grid,
            t_final=t,
            drift=(np.full(n + 1, c),),
            diffusion=EPS,
            stepper="bdf2",
            dt=1e-3,
        )
        errors.append(l1(grid, sol.rho[-1], wrapped(grid, m0 + c * t, v0 + 2 * EPS * t)))
        assert abs(sol.mass[-1] - sol.mass[0]) < 1e-13
    assert min(orders(errors)) >= 1.8, (errors, orders(errors))


# -- structure: Gibbs state, mass, positivity ------------------------------------------------------
@pytest.mark.parametrize("method", ["implicit-euler", "crank-nicolson", "bdf2", "ssprk3"])
def test_discrete_gibbs_state_is_kept(method):
    """exp(-V/eps) at the cell centres is a steady state to round-off over many steps."""
    grid = ef.Grid((24, 20), ((-3, 3), (-2.5, 2.5)), periodic=(False, True))

    def V(x, y):
        return (
            0.5 * (x - 0.4) ** 2
            + 0.8 * np.cos(2 * np.pi * y / 5)
            + 0.3 * x * np.sin(2 * np.pi * y / 5)
        )

    eps = 0.7
    gibbs = gibbs_state(grid, V, eps)
    kwargs = {"dt": 0.01} if method != "ssprk3" else {}
    sol = ef.solve_fokker_planck(
        gibbs, grid, t_final=4.0, potential=V, diffusion=eps, stepper=method, **kwargs
    )
    assert sol.n_steps >= 200
    drift = np.abs(sol.rho[-1] - gibbs).max() / gibbs.max()
    assert drift <= 1e-12, drift


def rough_density(grid, rng):
    """Random non-negative data with vacuum and jumps."""
    rho = rng.random(grid.shape) * (rng.random(grid.shape) > 0.4)
    return rho / grid.integrate(rho)


@pytest.mark.parametrize("method", ["ssprk3", "implicit-euler"])
@pytest.mark.parametrize("periodic", [False, True])
def test_positivity_and_mass_on_rough_data(rng, method, periodic):
    grid = ef.Grid((30, 26), ((-2, 2), (-2, 2)), periodic=periodic)
    rho0 = rough_density(grid, rng)
    kwargs = {"cfl": 1.0} if method == "ssprk3" else {"dt": 0.05}
    sol = ef.solve_fokker_planck(
        rho0,
        grid,
        t_final=0.5,
        drift=lambda t, x, y: (
            3 * np.sin(np.pi * y / 2) + np.cos(np.pi * x / 2),
            2 * np.cos(np.pi * x + t),
        ),
        diffusion=0.05,  # strongly advective: cell Peclet numbers up to about 9
        t_eval=np.linspace(0, 0.5, 6),
        stepper=method,
        **kwargs,
    )
    assert sol.diagnostics["min"].min() >= 0
    np.testing.assert_allclose(sol.mass, 1.0, rtol=0, atol=1e-13)


@pytest.mark.parametrize("method", ["crank-nicolson", "bdf2", "ssprk2"])
def test_mass_conserved_by_every_stepper(rng, method):
    grid = ef.Grid(50, (0, 1))
    rho0 = rough_density(grid, rng)
    sol = ef.solve_fokker_planck(
        rho0, grid, t_final=0.2, potential=lambda x: np.sin(6 * x), diffusion=0.1, stepper=method
    )
    np.testing.assert_allclose(sol.mass, 1.0, rtol=0, atol=1e-13)


def test_explicit_and_implicit_agree():
    grid = ef.Grid((40, 40), ((-4, 4), (-4, 4)))
    V = quadratic_potential(A_SYM, CENTRE)
    rho0 = ornstein_uhlenbeck(grid, 0.0, A_SYM, CENTRE, EPS, M0, S0)
    explicit = ef.solve_fokker_planck(
        rho0, grid, t_final=0.5, potential=V, diffusion=EPS, stepper="ssprk3"
    )
    implicit = ef.solve_fokker_planck(
        rho0, grid, t_final=0.5, potential=V, diffusion=EPS, stepper="bdf2", dt=1e-3
    )
    # both are the same semi-discretisation; they differ by their time errors only
    assert l1(grid, explicit.rho[-1], implicit.rho[-1]) < 2e-6
    exact = ornstein_uhlenbeck(grid, 0.5, A_SYM, CENTRE, EPS, M0, S0)
    assert l1(grid, explicit.rho[-1], exact) > 100 * l1(grid, explicit.rho[-1], implicit.rho[-1])


@pytest.mark.parametrize("method", ["ssprk3", "crank-nicolson"])
def test_numba_matches_numpy(method):
    grid = ef.Grid((21, 17), ((-3, 3), (-2, 2)), periodic=(True, False))
    rho0 = ef.exact.gaussian_density(grid, (0.5, -0.2), 0.3)
    kwargs = dict(
        drift=lambda t, x, y: (np.cos(x * np.pi / 3) + 0.2 * y, -y + 0.1 * t),
        potential=lambda x, y: 0.2 * y**2,
        diffusion=0.3,
        t_eval=[0.1, 0.3],
        stepper=method,
    )
    reference = ef.solve_fokker_planck(rho0, grid, t_final=0.3, backend="numpy", **kwargs)
    fast = ef.solve_fokker_planck(rho0, grid, t_final=0.3, backend="numba", **kwargs)
    assert fast.backend == "numba" and reference.backend == "numpy"
    np.testing.assert_allclose(fast.rho, reference.rho, rtol=0, atol=1e-14 * reference.rho.max())


def test_float32_input_stays_float32():
    grid = ef.Grid(64, (-4, 4))
    rho0 = ef.exact.gaussian_density(grid, 0.0, 0.5).astype(np.float32)
    for method in ("ssprk3", "implicit-euler"):
        sol = ef.solve_fokker_planck(
            rho0, grid, t_final=0.2, potential=lambda x: x**2, stepper=method
        )
        assert sol.rho.dtype == np.float32
        assert abs(sol.mass[-1] - sol.mass[0]) < 1e-5


def test_solution_metadata():
    grid = ef.Grid(32, (-3, 3))
    rho0 = ef.exact.gaussian_density(grid, 0.0, 0.5)
    sol = ef.solve_fokker_planck(rho0, grid, t_final=0.1, potential=lambda x: x**2, diffusion=0.5)
    assert sol.equation == "fokker-planck" and sol.field == "rho"
    # a short run: the cost model picks explicit Euler at 0.8 of the positivity bound
    assert sol.parameters["stepper"] == "ssprk1" and sol.parameters["auto"]
    assert sol.parameters["cfl"] == 0.8 and sol.parameters["rtol"] is None
    assert sol.parameters["cost_explicit"] < sol.parameters["cost_implicit"]
    assert set(sol.diagnostics) >= {"mass", "min", "n_rejected", "n_factorizations"}
    sol = ef.solve_fokker_planck(rho0, grid, t_final=30, potential=lambda x: x**2, diffusion=0.5)
    assert sol.parameters["stepper"] == "bdf2" and sol.parameters["auto"]  # a long run
    assert sol.parameters["rtol"] == default_rtol(grid)  # error control at the grid's tolerance
    assert sol.parameters["dt"] is None
    assert set(sol.diagnostics) >= {"mass", "min", "n_rejected", "n_factorizations", "n_solves"}
    for kwargs in ({"dt": 0.01}, {"rtol": 1e-3}, {"atol": 1e-6}):  # auto means BDF2 with these
        sol = ef.solve_fokker_planck(rho0, grid, lambda x: x**2, 0.1, **kwargs)
        assert sol.parameters["stepper"] == "bdf2" and not sol.parameters["auto"]


def test_stationary_limit_of_the_nonsymmetric_ou():
    """A long run with a non-symmetric linear drift approaches the stationary Gaussian law."""
    grid = ef.Grid((48, 48), ((-4, 4), (-4, 4)))
    rho0 = ornstein_uhlenbeck(grid, 0.0, A_NONSYM, CENTRE, EPS, M0, S0)
    sol = ef.solve_fokker_planck(
        rho0,
        grid,
        t_final=20.0,
        drift=linear_drift(A_NONSYM, CENTRE),
        steady=True,
        diffusion=EPS,
        dt=0.05,
        stepper="implicit-euler",
    )
    mean, cov = ou_moments(math.inf, A_NONSYM, CENTRE, EPS, M0, S0)
    x, y = grid.centers
    rho = sol.rho[-1]
    got_mean = np.array([grid.integrate(rho * x), grid.integrate(rho * y)])
    np.testing.assert_allclose(got_mean, mean, atol=3e-3)
    got_xy = grid.integrate(rho * (x - got_mean[0]) * (y - got_mean[1]))
    assert got_xy == pytest.approx(cov[0, 1], abs=5e-3)


# -- time stepping: order, step times, factorisation cache ----------------------------------------
def test_time_order_of_the_implicit_steppers_with_variable_steps():
    """Against ``expm_multiply`` of the same semi-discrete operator (so only the time error is
    measured), on irregular snapshot times whose intervals hold unequal steps (BDF2 runs its
    variable-step formula, a one-step interval included). Measured orders 1.95-2.01 (BDF2),
    1.95-2.00 (Crank-Nicolson), 0.98-0.99 (implicit Euler) for dt = 0.01 / 2^k, k = 0..3."""
    import scipy.sparse.linalg

    from eulerflow.schemes.scharfetter_gummel import (
        assemble_operator,
        face_weights,
        operator_pattern,
        potential_face_drift,
    )

    grid, eps = ef.Grid(64, (-4.0, 4.0)), 0.5

    def V(x):
        return 0.5 * (x - 0.3) ** 2 + 0.2 * np.sin(2 * x)

    h = grid.spacing[0]
    f, g = face_weights(potential_face_drift(V(grid.centers[0]), 0, h, False), h, eps)
    pattern = operator_pattern(grid.shape, grid.periodic)
    L = assemble_operator((f,), (g,), grid.spacing, pattern, grid.size).tocsc()
    rho0 = ef.exact.gaussian_density(grid, -0.8, 0.3)
    t_eval = [0.0, 0.137, 0.143, 0.471, 0.5]
    reference = [scipy.sparse.linalg.expm_multiply(t * L, rho0) for t in t_eval]
    for stepper, least in (("bdf2", 1.9), ("crank-nicolson", 1.9), ("implicit-euler", 0.95)):
        errors = []
        for dt in 0.01 / 2.0 ** np.arange(4):
            sol = ef.solve_fokker_planck(
                rho0,
                grid,
                t_final=0.5,
                potential=V,
                diffusion=eps,
                t_eval=t_eval,
                stepper=stepper,
                dt=dt,
                progress=False,
            )
            errors.append(max(l1(grid, r, ref) for r, ref in zip(sol.rho, reference, strict=True)))
        assert min(orders(errors)) >= least, (stepper, errors, orders(errors))


def test_implicit_step_times_are_not_accumulated():
    """Step k of an interval ends at ``start + (k + 1) * step`` exactly (the time-dependent drift
    is evaluated there), not at a running sum of steps that drifts by round-off."""
    seen = set()

    def drift(t, x):
        seen.add(t)
        return (-(x - 0.1 * math.sin(t)),)

    grid = ef.Grid(4, (-2.0, 2.0))
    ef.solve_fokker_planck(
        np.ones(4),
        grid,
        t_final=1.0,
        drift=drift,
        diffusion=0.5,
        dt=0.01,
        t_eval=[0.0, 0.3, 1.0],
        stepper="implicit-euler",
        progress=False,
    )
    step0, step1 = 0.3 / 30, 0.7 / 70
    want = {k * step0 for k in range(1, 30)} | {0.3 + k * step1 for k in range(70)} | {1.0}
    assert seen - {0.0} == want


def test_long_implicit_run_takes_no_spurious_step():
    """100000 steps of 1e-5 to [0.3, 0.7, 1] (8 cells): the runs used to take a step of 1.4e-12
    at the end of an interval (100001 steps), which restarted BDF2 and cost 5 factorisations."""
    grid = ef.Grid(8, (0.0, 1.0))
    sol = ef.solve_fokker_planck(
        np.ones(8),
        grid,
        t_final=1.0,
        potential=lambda x: x,
        dt=1e-5,
        t_eval=[0, 0.3, 0.7, 1],
        progress=False,
    )
    assert sol.n_steps == 100_000
    assert sol.diagnostics["dt_min"] >= 1e-5 * (1 - 1e-9)
    assert sol.diagnostics["n_factorizations"] == 2  # implicit-Euler start and BDF2


def test_factorisation_cache_keeps_the_most_recently_used():
    """Long intervals (step 0.01) alternate with five short ones of distinct lengths (one step
    each): with four cached factorisations the main step's LU must survive (least recently used
    evicted): 1 + 5 factorisations, where evicting the oldest entry refactorises the main one."""
    grid = ef.Grid(16, (-2.0, 2.0))
    t_eval, t = [0.0], 0.0
    for short in (0.0031, 0.0042, 0.0053, 0.0064, 0.0075):
        t += 0.1
        t_eval.append(t)
        t += short
        t_eval.append(t)
    t_eval.append(t + 0.1)
    sol = ef.solve_fokker_planck(
        ef.exact.gaussian_density(grid, 0.0, 0.3),
        grid,
        t_final=t_eval[-1],
        potential=lambda x: x**2,
        dt=0.01,
        t_eval=t_eval,
        stepper="implicit-euler",
        progress=False,
    )
    assert sol.diagnostics["n_factorizations"] == 6


# -- bad input -------------------------------------------------------------------------------------
def test_bad_input_gives_clear_errors():
    grid = ef.Grid((8, 8), ((0, 1), (0, 1)))
    rho0 = np.ones(grid.shape)
    V = lambda x, y: x + y  # noqa: E731
    with pytest.raises(ValueError, match="diffusion must be >= 0"):
        ef.solve_fokker_planck(rho0, grid, t_final=1.0, potential=V, diffusion=-0.1)
    with pytest.raises(ValueError, match="cfl=1.5 is outside the stable range"):
        ef.solve_fokker_planck(rho0, grid, t_final=1.0, potential=V, stepper="ssprk3", cfl=1.5)
    with pytest.raises(ValueError, match="beyond the explicit positivity bound"):
        ef.solve_fokker_planck(rho0, grid, t_final=1.0, potential=V, stepper="ssprk3", dt=0.1)
    with pytest.raises(ValueError, match=r"drift\(t, \*coords\) must give 2 components"):
        ef.solve_fokker_planck(rho0, grid, t_final=1.0, drift=lambda t, x, y: (x,))
    with pytest.raises(ValueError, match="drift component 1 has shape"):
        ef.solve_fokker_planck(rho0, grid, t_final=1.0, drift=(np.ones((9, 8)), np.ones((3, 3))))
    with pytest.raises(ValueError, match="rho0 has negative values"):
        ef.solve_fokker_planck(-rho0, grid, t_final=1.0, potential=V)
    with pytest.raises(ValueError, match="rho0 has shape"):
        ef.solve_fokker_planck(np.ones((8, 7)), grid, t_final=1.0, potential=V)
    for t_final in (0.0, -1.0):
        with pytest.raises(ValueError, match="t_final must be positive"):
            ef.solve_fokker_planck(rho0, grid, t_final=t_final, potential=V)
    with pytest.raises(ValueError, match="stepper must be one of 'auto', 'bdf2'"):
        ef.solve_fokker_planck(rho0, grid, t_final=1.0, potential=V, stepper="rk4")
    with pytest.raises(TypeError, match="missing required argument: 't_final'"):
        ef.solve_fokker_planck(rho0, grid, potential=V)
    with pytest.raises(TypeError, match="potential must be a callable"):
        ef.solve_fokker_planck(rho0, grid, "x**2", 1.0)  # defect 6 of issue 10
    with pytest.raises(ValueError, match="potential has shape"):
        ef.solve_fokker_planck(rho0, grid, t_final=1.0, potential=np.ones((3, 3)))
    with pytest.raises(ValueError, match="cfl applies to the explicit steppers"):
        ef.solve_fokker_planck(rho0, grid, t_final=1.0, potential=V, cfl=0.5)
    with pytest.raises(ValueError, match="nothing moves"):
        ef.solve_fokker_planck(rho0, grid, t_final=1.0, diffusion=0.0)
    with pytest.raises(TypeError, match="diffusion must be a real number"):
        ef.solve_fokker_planck(rho0, grid, t_final=1.0, diffusion="1")


def test_tiny_dt_is_refused_before_any_work():
    """Defect 8 of issue 10: dt=1e-9 silently started a run of hours."""
    grid = ef.Grid(16, (-1, 1))
    with pytest.raises(ValueError, match=r"about 1e\+09 time steps.*max_steps"):
        ef.solve_fokker_planck(np.ones(16), grid, lambda x: x**2, 1.0, dt=1e-9)
