"""``python -m eulerflow``: the ``eulerflow`` command (see :mod:`eulerflow.cli`)."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
