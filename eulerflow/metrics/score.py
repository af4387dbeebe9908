"""The result of every metric: a value, the finite-sample floor it should be read against."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class Score:
    """One distance between a method's output and a grid reference.

    Attributes
    ----------
    value : float
        The distance (its definition, and whether it is squared, is in the metric's docstring).
    floor : float or None
        Mean of the same distance for ``n`` exact samples of the reference, over the resampling
        repetitions: the value an exact sampler scores. ``None`` for metrics without sampling
        noise (densities, transport outputs) or when no floor was asked for.
    floor_std : float or None
        Standard deviation of the distance over those repetitions (the spread of one exact
        sampler's score, not the standard error of ``floor``).
    n : int or None
        Number of samples scored (``None`` for density inputs).
    n_outside : int
        Samples outside the walled box of the grid (reported, never silently dropped; how each
        metric treats them is in its docstring).
    method : str
        What was computed, e.g. ``"binned"`` or ``"exact"`` for W2.
    details : Mapping
        Metric-specific values (bins, kernel, bandwidth, repetitions, ...), read-only.

    Examples
    --------
    >>> s = Score(value=0.30, floor=0.10, floor_std=0.02, n=1000, method="binned")
    >>> round(s.excess, 6)
    10.0
    >>> s.above_floor()
    True
    """

    value: float
    floor: float | None = None
    floor_std: float | None = None
    n: int | None = None
    n_outside: int = 0
    method: str = ""
    details: Mapping = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))

    @property
    def excess(self) -> float | None:
        """``(value - floor) / floor_std``: how many floor spreads the value lies above the floor
        (``None`` without a floor; ``inf`` when the floor has no spread but the value exceeds
        it)."""
        return excess(self.value, self.floor, self.floor_std)

    def above_floor(self, spreads: float = 3.0) -> bool:
        """Whether ``value > floor + spreads * floor_std`` (the error is visible beyond sampling
        noise). ``False`` without a floor."""
        excess = self.excess
        return excess is not None and excess > spreads


def excess(value: float, floor: float | None, floor_std: float | None) -> float | None:
    """``(value - floor) / floor_std``: the distance above the sampling floor in floor spreads
    (``None`` without a floor; ``inf`` when the floor has no spread but the value exceeds it)."""
    if floor is None or floor_std is None:
        return None
    gap = value - floor
    if floor_std > 0:
        return gap / floor_std
    return 0.0 if gap == 0 else gap * float("inf")
