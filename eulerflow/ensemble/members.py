"""The members of an ensemble: parameter records (dicts or dataclasses) with a known number of them,
turned into one column per parameter."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np


class Sized:
    """An iterable of members whose number is known in advance (for example a generator).

    Parameters
    ----------
    iterable : iterable
        The members (parameter records), produced lazily.
    length : int
        How many members ``iterable`` yields.
    """

    def __init__(self, iterable: Iterable, length: int) -> None:
        if isinstance(length, bool) or not isinstance(length, int | np.integer) or length < 0:
            raise ValueError(f"length must be a non-negative integer, got {length!r}")
        self.iterable = iterable
        self.length = int(length)

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator:
        return iter(self.iterable)


def sized(iterable: Iterable, length: int) -> Sized:
    """Give a generator of members its length, so that :func:`eulerflow.ensemble.run` can lay out
    the store before the members are produced.

    Parameters
    ----------
    iterable : iterable
        The members (parameter records).
    length : int
        How many members ``iterable`` yields (checked when they are read).

    Returns
    -------
    Sized
        An iterable with ``len()``.

    Examples
    --------
    >>> from eulerflow.ensemble import sized
    >>> members = sized(({"seed": s} for s in range(3)), 3)
    >>> len(members)
    3
    """
    return Sized(iterable, length)


def as_records(members: Iterable) -> list[dict[str, Any]]:
    """The members as a list of plain dicts, after checking that their number is known and that
    they all have the same fields."""
    try:
        length = len(members)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(
            f"members must have a length (the store is laid out before the solves start), got "
            f"a {type(members).__name__} without len(); pass a list, or wrap a generator as "
            "eulerflow.ensemble.sized(generator, n)"
        ) from None
    records = [_as_dict(member, i) for i, member in enumerate(members)]
    if len(records) != length:
        raise ValueError(
            f"members said it has {length} members (len()) but yielded {len(records)}; give "
            "the true length"
        )
    if not records:
        raise ValueError("members is empty: give at least one parameter record")
    keys = list(records[0])
    for i, record in enumerate(records):
        if list(record) != keys:
            raise ValueError(
                f"members[{i}] has the fields {list(record)}, but members[0] has {keys}; every "
                "member needs the same fields (in the same order)"
            )
    return records


def _as_dict(member: Any, index: int) -> dict[str, Any]:
    if isinstance(member, Mapping):
        record = dict(member)
    elif dataclasses.is_dataclass(member) and not isinstance(member, type):
        record = {f.name: getattr(member, f.name) for f in dataclasses.fields(member)}
    else:
        raise TypeError(
            f"members[{index}] is a {type(member).__name__}; a member must be a dict or a "
            "dataclass instance of parameters"
        )
    for key in record:
        if not isinstance(key, str) or not key.isidentifier():
            raise ValueError(
                f"members[{index}] has the field name {key!r}; field names must be identifiers"
            )
    return record


def columns(records: Sequence[dict[str, Any]]) -> dict[str, np.ndarray]:
    """One array per field with one entry per member: bool, int64, float64, or str (strings and
    anything else as JSON text)."""
    out = {}
    for key in records[0]:
        values = [record[key] for record in records]
        out[key] = _column(values)
    return out


def _column(values: list) -> np.ndarray:
    if all(isinstance(v, bool | np.bool_) for v in values):
        return np.asarray(values, dtype=bool)
    if all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=np.int64)
    if all(isinstance(v, int | float | np.integer | np.floating) for v in values):
        return np.asarray(values, dtype=np.float64)
    if all(isinstance(v, str) for v in values):
        return np.asarray(values, dtype=str)
    return np.asarray([json.dumps(plain(v), sort_keys=True) for v in values], dtype=str)


def plain(value: Any) -> Any:
    """``value`` as JSON-serialisable Python (arrays and NumPy scalars become lists and numbers);
    anything else by its ``repr``."""
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


def fingerprint_text(records: Sequence[dict[str, Any]]) -> str:
    """A canonical text of all the members' parameters (hashed into the store's fingerprint)."""
    return json.dumps([plain(record) for record in records], sort_keys=True)
