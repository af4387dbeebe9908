"""ControlAffine and ScalarHamiltonian against brute force over sampled controls and disturbances.

The closed forms must equal ``max_u min_d`` (or ``min_u max_d``) of ``p . (f + G u + D d)`` over
samples of the sets: exactly (to round-off) for boxes, whose samples include the vertices where a
linear function is extreme, and to the sampling resolution ``radius |c| (1 - cos(pi / n))`` for
balls sampled at ``n`` angles. The dissipation bound must hold for every sample of ``(u, d)``, be
attained by one of them, and bound the difference quotients of ``H`` in ``p``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eulerflow.hamiltonians import ControlAffine, ControlBall, ControlBox, ScalarHamiltonian

N_ANGLES = 720
BALL_RESOLUTION = 1 - np.cos(np.pi / N_ANGLES)


def drift(t, x):
    return (np.cos(x[2]) - 1.5 + t * x[1], np.sin(x[2]) * x[0], 0.3 * x[1])


def control_matrix(t, x):
    return ((x[1], 0.5), (-x[0], 1.0), (-1.0, 0.2 * x[0]))


def disturbance_matrix(t, x):
    return ((0.0,), (0.1 * x[2],), (1.0,))


def box_samples(lower, upper, n=41):
    axes = [np.linspace(lo, hi, n) for lo, hi in zip(lower, upper, strict=True)]
    return np.stack([g.ravel() for g in np.meshgrid(*axes, indexing="ij")], axis=1)


def ball_samples(center, radius):
    angles = np.linspace(0, 2 * np.pi, N_ANGLES, endpoint=False)
    ring = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    scales = np.linspace(0, 1, 5)[:, None, None]
    return (np.asarray(center) + radius * scales * ring).reshape(-1, 2)


GAMES = {
    "box-box": (ControlBox([-1.0, 0.0], [0.5, 2.0]), ControlBox([-0.7], [1.3])),
    "ball-box": (ControlBall([0.2, -0.1], 1.5), ControlBox([-1.0], [1.0])),
}


def game(name, mode):
    control_set, disturbance_set = GAMES[name]
    return ControlAffine(
        drift, control_matrix, disturbance_matrix, control_set, disturbance_set, mode=mode
    )


def samples(space):
    if isinstance(space, ControlBox):
        return box_samples(space.lower, space.upper)
    return ball_samples(space.center, space.radius)


def velocities(t, x, us, ds):
    """``f + G u + D d`` for every pair of samples: array ``(n_u, n_d, 3)``."""
    f = np.array(drift(t, x), dtype=float)
    g = np.array(control_matrix(t, x), dtype=float)
    d = np.array(disturbance_matrix(t, x), dtype=float)
    return f + (us @ g.T)[:, None, :] + (ds @ d.T)[None, :, :]


finite = st.floats(-3, 3, allow_nan=False)
vectors = st.tuples(finite, finite, finite)


@pytest.mark.parametrize("name", sorted(GAMES))
@pytest.mark.parametrize("mode", ["reach", "avoid"])
@given(x=vectors, p=vectors, t=st.floats(0, 1))
def test_hamiltonian_equals_brute_force(name, mode, x, p, t):
    hamiltonian = game(name, mode)
    control_set, disturbance_set = GAMES[name]
    us, ds = samples(control_set), samples(disturbance_set)
    inner = velocities(t, x, us, ds) @ np.asarray(p)
    if mode == "reach":  # min_u max_d
        brute = inner.max(axis=1).min()
    else:  # max_u min_d
        brute = inner.min(axis=1).max()
    value = float(hamiltonian(x, p, np, t=t))
    g = np.array(control_matrix(t, x))
    scale = 1.0 + np.abs(inner).max()
    if isinstance(control_set, ControlBall):
        # sampling error of the ball: radius |G^T p| (1 - cos(pi / n)) (+ round-off)
        slack = control_set.radius * np.linalg.norm(g.T @ np.asarray(p)) * BALL_RESOLUTION
        assert -1e-12 * scale <= (value - brute) * (1 if mode == "avoid" else -1)
        assert abs(value - brute) <= slack + 1e-12 * scale
    else:
        assert value == pytest.approx(brute, abs=1e-12 * scale)


@pytest.mark.parametrize("name", sorted(GAMES))
@given(x=vectors, p=vectors, t=st.floats(0, 1))
def test_dissipation_bound_holds_and_is_attained(name, x, p, t):
    hamiltonian = game(name, "avoid")
    control_set, disturbance_set = GAMES[name]
    speeds = np.abs(velocities(t, x, samples(control_set), samples(disturbance_set)))
    bound = np.array([float(b) for b in hamiltonian.dissipation(x, p, p, np, t=t)])
    worst = speeds.reshape(-1, 3).max(axis=0)
    assert np.all(worst <= bound * (1 + 1e-12) + 1e-12)
    if isinstance(control_set, ControlBox):
        np.testing.assert_allclose(worst, bound, rtol=1e-12, atol=1e-12)
    else:  # attained up to the sampling of the ball
        g = np.abs(np.array(control_matrix(t, x)))
        slack = control_set.radius * np.linalg.norm(g, axis=1) * BALL_RESOLUTION
        assert np.all(bound - worst <= slack + 1e-12)
    # the bound also bounds difference quotients of H along each axis
    for a in range(3):
        step = np.zeros(3)
        step[a] = 0.37
        up = hamiltonian(x, tuple(np.add(p, step)), np, t=t)
        down = hamiltonian(x, tuple(np.subtract(p, step)), np, t=t)
        assert abs(up - down) / (2 * step[a]) <= bound[a] * (1 + 1e-12) + 1e-12


@pytest.mark.parametrize("name", sorted(GAMES))
@pytest.mark.parametrize("mode", ["reach", "avoid"])
def test_compiled_scalar_form_equals_the_array_form(name, mode, rng):
    hamiltonian = game(name, mode)
    for h in (hamiltonian, hamiltonian.reflected()):
        point = h.scalar_kernel()
        for _ in range(20):
            x, p = tuple(rng.uniform(-3, 3, 3)), tuple(rng.uniform(-3, 3, 3))
            t = float(rng.random())
            value, alpha = point(t, x, p, p, p, (np.zeros((1, 1)),) * 4, 0, (0,) * len(x))
            assert value == float(h(x, p, np, t=t))
            assert alpha == tuple(float(b) for b in h.dissipation(x, p, p, np, t=t))


def test_reflection_negates_the_momenta(rng):
    hamiltonian = game("ball-box", "reach")
    reflected = hamiltonian.reflected()
    x, p = tuple(rng.uniform(-2, 2, 3)), tuple(rng.uniform(-2, 2, 3))
    assert float(reflected(x, p)) == float(hamiltonian(x, tuple(-v for v in p)))
    assert reflected.reflected().sign == hamiltonian.sign


def test_scalar_hamiltonian_compiled_equals_arrays(rng):
    h = ScalarHamiltonian(
        lambda t, x, p: np.sqrt(1 + p[0] ** 2) * (1 + t) + x[0] * p[0],
        lambda t, x, lo, hi: (1 + t + np.abs(x[0]),),
        ndim=1,
    )
    for candidate in (h, h.reflected()):
        point = candidate.scalar_kernel()
        x, p, t = (0.3,), (float(rng.normal()),), 0.25
        value, alpha = point(t, x, p, p, p, (np.zeros((1, 1)),) * 4, 0, (0,) * len(x))
        assert value == float(candidate(x, p, np, t=t))
        assert alpha == (float(candidate.dissipation(x, p, p, np, t=t)[0]),)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"drift": 1.0}, TypeError, "drift must be a callable"),
        ({"control_set": [0, 1]}, TypeError, "control_set must be a ControlBox or a ControlBall"),
        ({"disturbance_set": None}, ValueError, "disturbance_matrix and disturbance_set go"),
        ({"mode": "catch"}, ValueError, "mode must be one of"),
        ({"ndim": 2}, ValueError, "drift.* for a state x of ndim=2"),
        ({"control_matrix": lambda t, x: ((1.0,),) * 3}, ValueError, "control_matrix must return"),
    ],
)
def test_bad_games_are_named(change, error, match):
    control_set, disturbance_set = GAMES["box-box"]
    arguments = {
        "drift": drift,
        "control_matrix": control_matrix,
        "disturbance_matrix": disturbance_matrix,
        "control_set": control_set,
        "disturbance_set": disturbance_set,
    }
    with pytest.raises(error, match=match):
        ControlAffine(**{**arguments, **change})


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: ControlBox([0.0, 1.0], [1.0]), "one bound per control"),
        (lambda: ControlBox([1.0], [0.0]), "lower <= upper"),
        (lambda: ControlBox([0.0], [np.inf]), "finite"),
        (lambda: ControlBall([0.0], -1.0), "radius must be"),
        (lambda: ControlBall([np.nan], 1.0), "center must be finite"),
    ],
)
def test_bad_sets_are_named(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_table_layout_sorts_entries_by_what_they_depend_on():
    """Numbers are compiled in, one-axis entries tabulated along their axis, the rest on the
    grid; the table holds the values of the dynamics at the cell centres."""
    hamiltonian = ControlAffine(
        lambda t, x: (np.cos(x[1]) - 1.0, np.sin(x[1]) * x[0]),
        lambda t, x: ((x[1], 0.5), (-x[0], 1.0)),
        lambda t, x: ((0.3,), (0.2 * x[0],)),
        ControlBox([-1.0, 0.0], [0.5, 2.0]),
        ControlBall([0.1], 0.8),
        time_invariant=True,
    )
    assert hamiltonian.layout() == (
        ("axis", 1),
        ("grid", None),
        ("axis", 1),
        ("constant", 0.5),
        ("axis", 0),
        ("constant", 1.0),
        ("constant", 0.3),
        ("axis", 0),
    )
    coords = (np.array([0.5, 1.5, 2.5]), np.array([-1.0, 1.0]))
    grid, axis0, axis1, unused = hamiltonian.table(coords)
    x0, x1 = np.meshgrid(*coords, indexing="ij")
    np.testing.assert_array_equal(grid, [(np.sin(x1) * x0).ravel()])
    np.testing.assert_array_equal(axis0, [-coords[0], 0.2 * coords[0]])
    np.testing.assert_array_equal(axis1, [np.cos(coords[1]) - 1.0, coords[1]])
    assert unused.shape == (1, 1)
    assert hamiltonian.table(coords)[0] is grid  # cached for the same coordinates
