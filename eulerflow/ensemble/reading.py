"""Reading an ensemble back: the lazy xarray dataset, minibatches of NumPy arrays for training,
and a full integrity check."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ._optional import require
from .store import DONE, FAILED, PENDING, EnsembleStore, store_argument


def open(store: Any) -> Any:  # noqa: A001 - the natural name, as in xarray.open_dataset
    """The ensemble in ``store`` as an :class:`xarray.Dataset` of dask arrays (nothing is read
    until used).

    Parameters
    ----------
    store : str, path or zarr store
        An ensemble written by :func:`eulerflow.ensemble.run`.

    Returns
    -------
    xarray.Dataset
        Dims ``member`` plus those of the results (``t``, ``x``, ``y``...); the parameter
        columns, fields, diagnostics, ``state`` (0 pending, 1 done, 2 failed) and ``error``
        as variables; the grid, scheme, backend and version as attributes.

    Raises
    ------
    FileNotFoundError
        Nothing at ``store``.
    ValueError
        ``store`` is not an eulerflow ensemble.

    Examples
    --------
    >>> ds = eulerflow.ensemble.open("sweep.zarr")  # doctest: +SKIP
    >>> ds.rho.where(ds.state == 1, drop=True).mean("member")  # doctest: +SKIP
    """
    xr = require("xarray")
    target = _existing(store)
    return xr.open_zarr(target, consolidated=False, zarr_format=3)


def _existing(store: Any) -> Any:
    target = store_argument(store)
    if EnsembleStore.open(target, mode="r") is None:
        raise FileNotFoundError(f"no ensemble at {store!r}")
    return target


def minibatches(
    store: Any,
    variables: Sequence[str],
    batch_size: int,
    *,
    shuffle: bool = False,
    seed: int | None = None,
    drop_last: bool = False,
) -> Iterator[dict[str, np.ndarray]]:
    """Minibatches of the done members as NumPy arrays, for training.

    Each batch reads only the Zarr chunks its members lie in: with ``shuffle=False`` the
    batches follow the member order (consecutive chunks); with ``shuffle=True`` every epoch
    (every call) draws a new permutation. A ``chunk`` of the run near the batch size keeps the
    reads contiguous.

    Parameters
    ----------
    store : str, path or zarr store
        An ensemble written by :func:`eulerflow.ensemble.run`.
    variables : sequence of str
        The variables to read (fields such as ``"rho"``, parameter columns, diagnostics).
    batch_size : int
        Members per batch.
    shuffle : bool, default False
        Visit the members in a random order.
    seed : int, optional
        Seed of that order.
    drop_last : bool, default False
        Leave out a last batch smaller than ``batch_size``.

    Yields
    ------
    dict of str to numpy.ndarray
        ``{"member": indices, name: array with the member axis first, ...}``.

    Examples
    --------
    >>> for batch in minibatches("sweep.zarr", ["rho", "diffusion"], 32):  # doctest: +SKIP
    ...     x, y = batch["rho"][:, -1], batch["diffusion"]
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    ensemble = EnsembleStore.open(_existing(store), mode="r")
    group = ensemble.group
    unknown = [name for name in variables if name not in group.array_keys()]
    if unknown:
        raise KeyError(
            f"variables {unknown} are not in the ensemble; it has {sorted(group.array_keys())}"
        )
    members = np.flatnonzero(group["state"][...] == DONE)
    if shuffle:
        members = np.random.default_rng(seed).permutation(members)
    stop = len(members) - (len(members) % batch_size if drop_last else 0)
    for lo in range(0, stop, batch_size):
        batch = np.sort(members[lo : lo + batch_size])
        out = {"member": batch}
        for name in variables:
            out[name] = group[name].oindex[(batch,)]
        yield out


@dataclasses.dataclass(frozen=True)
class Validation:
    """What :func:`validate` found.

    Parameters
    ----------
    done, failed, pending : int
        Members by commit flag.
    damaged : list of str
        ``"array[chunk]"`` for every chunk that failed its checksum or could not be read.
    """

    done: int
    failed: int
    pending: int
    damaged: list[str]

    @property
    def ok(self) -> bool:
        """No damaged chunk."""
        return not self.damaged


def validate(store: Any) -> Validation:
    """Read every chunk of an ensemble and check its checksum and commit flags.

    Parameters
    ----------
    store : str, path or zarr store
        An ensemble written by :func:`eulerflow.ensemble.run`.

    Returns
    -------
    Validation
        Counts of done, failed and pending members and the damaged chunks (``ok`` when none).
    """
    group = EnsembleStore.open(_existing(store), mode="r").group
    damaged = []
    for name in sorted(group.array_keys()):
        array = group[name]
        step = array.chunks[0] if array.ndim else 1
        for lo in range(0, max(array.shape[0] if array.ndim else 1, 1), step):
            try:
                array[lo : lo + step] if array.ndim else array[...]
            except Exception:  # any failure to decode is damage
                damaged.append(f"{name}[{lo // step}]")
    try:
        state = group["state"][...]
    except Exception:
        state = np.full(int(group.attrs["n_members"]), PENDING)
    return Validation(
        done=int(np.sum(state == DONE)),
        failed=int(np.sum(state == FAILED)),
        pending=int(np.sum(state == PENDING)),
        damaged=damaged,
    )
