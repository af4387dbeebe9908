"""Execute notebooks top to bottom (as CI does); exit non-zero on the first failing cell.

``--output DIR`` also writes the executed notebooks, with their outputs, into ``DIR`` (CI writes
them to ``docs/_notebooks``, where the documentation build renders them).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def main(paths: list[str], output: Path | None = None) -> int:
    if not paths:
        print("no notebooks given")
        return 1
    if output is not None:
        output.mkdir(parents=True, exist_ok=True)
    for path in map(Path, paths):
        notebook = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        NotebookClient(
            notebook,
            timeout=600,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
        print(f"{path}: executed in {time.perf_counter() - start:.1f} s")
        if output is not None:
            nbformat.write(notebook, output / path.name)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--output", type=Path, help="folder for the executed notebooks")
    arguments = parser.parse_args()
    sys.exit(main(arguments.paths, arguments.output))
