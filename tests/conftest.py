"""Shared fixtures: the compute backends (each skipped with its reason when unavailable), and
the Figures a test saves with checks of their layout."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import settings
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from eulerflow.backends import BackendUnavailableError, get_backend

# Property tests draw the same examples on every run, so that a failure in CI can be reproduced.
settings.register_profile("eulerflow", derandomize=True, deadline=None)
settings.load_profile("eulerflow")


def _backend_or_skip(name: str):
    try:
        return get_backend(name)
    except BackendUnavailableError as err:
        pytest.skip(str(err))


@pytest.fixture(params=["numpy", "numba", "cupy"])
def backend(request):
    """Every backend; unavailable ones are skipped with the reason."""
    return _backend_or_skip(request.param)


@pytest.fixture(params=["numba", "cupy"])
def fast_backend(request):
    """The compiled backends, to compare against the NumPy reference."""
    return _backend_or_skip(request.param)


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)


# -- figures: the Figures a test saves, and checks of their layout (demos, validation) ----------


@pytest.fixture
def saved_figures(monkeypatch: pytest.MonkeyPatch) -> list[Figure]:
    """Every matplotlib Figure saved while the test runs (saved as usual, and kept here)."""
    figures: list[Figure] = []
    save = Figure.savefig

    def record(self: Figure, *args, **kwargs):
        figures.append(self)
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", record)
    return figures


def _plot_axes(figure: Figure) -> list:
    """The panels of a figure (colorbars excluded)."""
    colorbars = {
        id(image.colorbar.ax) for ax in figure.axes for image in ax.images if image.colorbar
    }
    return [ax for ax in figure.axes if id(ax) not in colorbars]


def _assert_labelled_and_apart(figure: Figure) -> None:
    """Every panel has x and y labels, its title stays within the panel's width, and no two
    panels or colorbars (with their ticks, labels and titles) overlap."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    for ax in _plot_axes(figure):
        name = repr(ax.get_title())
        assert ax.get_xlabel() and ax.get_ylabel(), f"panel {name} lacks an axis label"
        title, frame = ax.title.get_window_extent(renderer), ax.get_window_extent(renderer)
        assert frame.x0 - 1 <= title.x0 and title.x1 <= frame.x1 + 1, (
            f"the title {name} is wider than its panel (it runs over the colorbar)"
        )
    boxes = [(ax, ax.get_tightbbox(renderer)) for ax in figure.axes]
    for i, (ax, box) in enumerate(boxes):
        for other, other_box in boxes[i + 1 :]:
            assert not box.shrunk(0.99, 0.99).overlaps(other_box), (
                f"{ax.get_title() or ax.get_ylabel()!r} overlaps "
                f"{other.get_title() or other.get_ylabel()!r}"
            )


def _colour_limits(figure: Figure, title_start: str) -> tuple[float, float]:
    """``(vmin, vmax)`` of the image in the panel whose title starts with ``title_start``."""
    for ax in _plot_axes(figure):
        if ax.get_title().startswith(title_start) and ax.images:
            return ax.images[0].get_clim()
    raise AssertionError(f"no image panel titled {title_start!r}...")


@pytest.fixture
def assert_labelled_and_apart():
    """The check :func:`_assert_labelled_and_apart`, as a fixture."""
    return _assert_labelled_and_apart


@pytest.fixture
def colour_limits():
    """The lookup :func:`_colour_limits`, as a fixture."""
    return _colour_limits


@pytest.fixture(scope="session", autouse=True)
def _references_in_a_temporary_folder(tmp_path_factory):
    """Grid references computed by the tests go to a folder of this session, not into the
    user's cache (``EULERFLOW_REFERENCE_DIR``; the Numba kernels stay cached as usual)."""
    patch = pytest.MonkeyPatch()
    patch.setenv("EULERFLOW_REFERENCE_DIR", str(tmp_path_factory.mktemp("references")))
    yield
    patch.undo()
