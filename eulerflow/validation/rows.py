"""One line of a validation report: a metric at a time, with its sampling floor and verdict."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from ..metrics import Score
from ..metrics.score import excess

SPREADS = 3.0
"""A value is "above floor" when it exceeds ``floor + SPREADS * floor_std``."""


@dataclass(frozen=True)
class Row:
    """A metric at one time.

    Attributes
    ----------
    t : float
        The problem's time.
    metric : str
        The metric's name (``"binned_l1"``, ``"w2"``, ``"density_l1"``, ...).
    value : float
        Its value for the method's output.
    floor, floor_std : float or None
        Mean and spread of the same metric for as many exact samples of the reference
        (``None`` for metrics without sampling noise: density, values, transport costs).
    n : int or None
        Samples scored (``None`` for densities and values).
    n_outside : int
        Samples outside the walled box (counted, never dropped).
    method : str
        How the metric was computed (``"binned"``, ``"exact"``, ``"cell centres"``, ...).
    above_floor : bool or None
        ``value > floor + 3 floor_std``: the error is visible beyond sampling noise (``None``
        without a floor).
    details : Mapping
        Metric-specific settings and values (plain JSON types), read-only.
    """

    t: float
    metric: str
    value: float
    floor: float | None = None
    floor_std: float | None = None
    n: int | None = None
    n_outside: int = 0
    method: str = ""
    above_floor: bool | None = None
    details: Mapping = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "details", MappingProxyType(plain(dict(self.details))))

    @property
    def excess(self) -> float | None:
        """``(value - floor) / floor_std`` (see :attr:`eulerflow.metrics.Score.excess`)."""
        return excess(self.value, self.floor, self.floor_std)

    @classmethod
    def from_score(cls, t: float, metric: str, score: Score, **details: Any) -> Row:
        """The row of a :class:`~eulerflow.metrics.Score` (``details`` added to its own)."""
        has_floor = score.floor is not None and score.floor_std is not None
        return cls(
            t=float(t),
            metric=metric,
            value=float(score.value),
            floor=None if score.floor is None else float(score.floor),
            floor_std=None if score.floor_std is None else float(score.floor_std),
            n=score.n,
            n_outside=int(score.n_outside),
            method=score.method,
            above_floor=bool(score.above_floor(SPREADS)) if has_floor else None,
            details={**score.details, **details},
        )

    def to_dict(self) -> dict[str, Any]:
        """The row as plain JSON values (``NaN``/``inf`` values as strings)."""
        return {
            "t": self.t,
            "metric": self.metric,
            "value": _number(self.value),
            "floor": _number(self.floor),
            "floor_std": _number(self.floor_std),
            "n": self.n,
            "n_outside": self.n_outside,
            "method": self.method,
            "above_floor": self.above_floor,
            "details": dict(self.details),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Row:
        """Inverse of :meth:`to_dict`."""
        return cls(
            t=float(d["t"]),
            metric=str(d["metric"]),
            value=float(d["value"]),
            floor=None if d["floor"] is None else float(d["floor"]),
            floor_std=None if d["floor_std"] is None else float(d["floor_std"]),
            n=None if d["n"] is None else int(d["n"]),
            n_outside=int(d["n_outside"]),
            method=str(d["method"]),
            above_floor=d["above_floor"],
            details=d.get("details", {}),
        )


def _number(x: float | None) -> float | str | None:
    if x is None or math.isfinite(x):
        return x
    return str(x)


def plain(value: Any) -> Any:
    """``value`` with tuples, NumPy scalars and arrays turned into JSON types (lists, numbers)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value
