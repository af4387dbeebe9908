"""Progress bars of long runs (tqdm), shown on a terminal unless the user decides otherwise."""

from __future__ import annotations

import sys


def progress_enabled(progress: bool | None) -> bool:
    """``progress=None`` shows the bar only when standard error is a terminal."""
    if progress is None:
        return sys.stderr.isatty()
    return bool(progress)


def progress_bar(total: float, progress: bool | None, description: str = "", **options):
    """A tqdm bar, or a disabled one; ``tqdm.auto`` (notebook widgets) is imported only when shown.

    ``options`` go to ``tqdm`` (``unit``, ``bar_format``, ...).
    """
    if progress_enabled(progress):
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=description, **options)
    from tqdm.std import tqdm

    return tqdm(total=total, disable=True)
