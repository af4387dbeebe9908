"""Random initial data: reproducible from a seed, positive and normalised, with the spectrum
asked for."""

from __future__ import annotations

import numpy as np
import pytest

import eulerflow as ef
from eulerflow.ensemble import gaussian_mixture, gaussian_random_field, random_potential

GRID = ef.Grid((64, 64), ((-2.0, 2.0), (-2.0, 2.0)))


@pytest.mark.parametrize("transform", ["exp", "softplus"])
def test_gaussian_random_field_is_a_reproducible_density(transform):
    rho = gaussian_random_field(GRID, seed=3, transform=transform, mass=2.0)
    assert rho.shape == GRID.shape and rho.min() > 0
    assert GRID.integrate(rho) == pytest.approx(2.0, rel=1e-13)
    np.testing.assert_array_equal(
        rho, gaussian_random_field(GRID, seed=3, transform=transform, mass=2.0)
    )
    assert not np.array_equal(rho, gaussian_random_field(GRID, seed=4, transform=transform))


def test_gaussian_random_field_follows_its_spectrum():
    """The signed field has the asked standard deviation, and its empirical power spectrum
    (averaged over seeds) is proportional to the given one within sampling error."""
    k0 = 6.0
    spectrum = lambda k: np.exp(-((k / k0) ** 2))  # noqa: E731
    fields = [gaussian_random_field(GRID, seed=s, spectrum=spectrum, transform=None, amplitude=0.7)
              for s in range(40)]  # fmt: skip
    assert all(f.std() == pytest.approx(0.7, rel=1e-12) and abs(f.mean()) < 1e-12 for f in fields)
    power = np.mean([np.abs(np.fft.fftn(f)) ** 2 for f in fields], axis=0)
    k = np.sqrt(
        sum(a**2 for a in np.meshgrid(*[2 * np.pi * np.fft.fftfreq(64, 4 / 64)] * 2, indexing="ij"))
    )
    ring_low = (k > 2) & (k < 3)
    ring_high = (k > 8) & (k < 9)
    measured = power[ring_low].mean() / power[ring_high].mean()
    expected = spectrum(k[ring_low]).mean() / spectrum(k[ring_high]).mean()
    assert measured == pytest.approx(expected, rel=0.25)


def test_smoother_spectrum_gives_a_smoother_field():
    rough = gaussian_random_field(GRID, seed=1, length_scale=0.05, transform=None)
    smooth = gaussian_random_field(GRID, seed=1, length_scale=0.5, transform=None)
    assert np.abs(np.diff(smooth, axis=0)).mean() < 0.5 * np.abs(np.diff(rough, axis=0)).mean()


def test_gaussian_mixture_and_potential_are_reproducible():
    rho = gaussian_mixture(GRID, seed=5, components=3)
    assert GRID.integrate(rho) == pytest.approx(1.0, rel=1e-13) and rho.min() >= 0
    np.testing.assert_array_equal(rho, gaussian_mixture(GRID, seed=5, components=3))
    line = ef.Grid(128, (0.0, 1.0))
    assert line.integrate(gaussian_mixture(line, seed=0)) == pytest.approx(1.0)
    v = random_potential(GRID, seed=9)
    np.testing.assert_array_equal(v, random_potential(GRID, seed=9))
    assert v.shape == GRID.shape and np.isfinite(v).all()
    centre = v[24:40, 24:40].min()
    assert centre < v[0].mean() and centre < v[-1].mean()  # a confining well


def test_generators_reject_bad_arguments():
    with pytest.raises(ValueError, match="transform must be one of"):
        gaussian_random_field(GRID, seed=0, transform="relu")
    with pytest.raises(TypeError, match="seed is required"):
        gaussian_random_field(GRID, seed=None)
    with pytest.raises(ValueError, match="spectrum must return"):
        gaussian_random_field(GRID, seed=0, spectrum=lambda k: -k)
    with pytest.raises(ValueError, match="components must be"):
        gaussian_mixture(GRID, seed=0, components=0)
