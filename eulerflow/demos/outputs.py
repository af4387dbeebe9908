"""What every demo part writes and the report line every part starts with."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..backends import get_backend


def write_files(
    result: Any, out: Path, stem: str, draw: Callable[[Path], object], animation: bool, fps: int
) -> dict[str, Path]:
    """``<stem>.png`` drawn by ``draw(path)``, ``<stem>.gif`` when ``animation`` is asked for
    (``fps`` frames per second) and the saved result ``<stem>.nc``, by role."""
    files = {"figure": out / f"{stem}.png"}
    draw(files["figure"])
    if animation:
        files["animation"] = result.animate(out / f"{stem}.gif", fps=fps, cmap="viridis")
    files["solution"] = result.save(out / f"{stem}.nc")
    return files


def backend_row(result: Any) -> tuple[str, str]:
    """The report row naming the backend that computed ``result``, its version and device."""
    info = get_backend(result.backend).info()
    return ("backend", f"{result.backend} {info['version']}, {info['device']}")
