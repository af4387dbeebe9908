"""Member records: lengths, dataclasses, columns."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from eulerflow.ensemble import sized
from eulerflow.ensemble.members import as_records, columns


@dataclasses.dataclass
class Params:
    seed: int
    diffusion: float
    name: str
    centre: tuple


def test_dataclasses_and_generators_become_columns():
    records = as_records(sized((Params(s, 0.5 * s, f"m{s}", (s, 0)) for s in range(3)), 3))
    cols = columns(records)
    assert cols["seed"].dtype == np.int64 and cols["diffusion"].dtype == np.float64
    assert list(cols["name"]) == ["m0", "m1", "m2"] and cols["centre"][1] == "[1, 0]"
    mixed = columns([{"a": 1, "b": True}, {"a": 2.5, "b": False}])
    assert mixed["a"].dtype == np.float64 and mixed["b"].dtype == bool


def test_bad_members():
    with pytest.raises(ValueError, match="members is empty"):
        as_records([])
    with pytest.raises(ValueError, match="length must be a non-negative integer"):
        sized([], -1)
    with pytest.raises(ValueError, match="must be identifiers"):
        as_records([{"a b": 1}])
