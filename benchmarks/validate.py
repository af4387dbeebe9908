"""Time ``eulerflow.validate`` / ``eulerflow validate`` on 10^5 samples in 2D (the heat problem).

Settings: the problem ``heat`` at its defaults (160^2 reference cells on [-8, 8]^2, 32^2 bins, times
0.25, 0.5 and 1), 10^5 exact samples at each of the three times, every default metric (binned L1 and
KL with 20 floor repetitions, moments with 20, W2 binned on the 32^2 bins and the two kernel metrics
on a subsample of 1000 samples with 10), seed 0. The reference cache is a fresh temporary folder.

Timed, each in a fresh Python process unless said otherwise:

1. the reference computation (``problem.reference()``, first call, nothing cached);
2. ``validate`` with the reference cached on disk: the first call in the process (it also reads
   the cache, imports POT and compiles or loads the Numba deposit kernel), then a second call
   (warm); twice, the first time with the Numba kernels of the deposit not yet compiled into
   the fresh cache folder, then with them cached (the usual case);
3. the command ``eulerflow validate heat FILE --no-figure`` end to end (interpreter start,
   imports, reading the file, the table and the JSON file), and with the figure.

Run from the repository root::

    PYTHONPATH=. python benchmarks/validate.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N = 100_000

_REFERENCE = """
import time
import eulerflow as ef
problem = ef.problems.get("heat")
start = time.perf_counter()
problem.reference()
print(time.perf_counter() - start)
"""

_VALIDATE = """
import sys, time
import numpy as np
import eulerflow as ef
data = np.load(sys.argv[1])
samples = {float(t): data[f"samples_{k}"] for k, t in enumerate(data["times"])}
for _ in range(2):
    start = time.perf_counter()
    report = ef.validate("heat", samples=samples, rng=0)
    print(time.perf_counter() - start)
"""


def _python(code: str, *args: str, env: dict) -> list[float]:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=True
    )
    return [float(line) for line in out.stdout.split()]


def main() -> None:
    import numpy as np

    import eulerflow as ef

    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "EULERFLOW_CACHE_DIR": str(Path(folder) / "cache")}
        problem = ef.problems.get("heat")
        path = Path(folder) / "samples.npz"
        rng = np.random.default_rng(0)
        np.savez(
            path,
            times=problem.times,
            **{
                f"samples_{k}": problem.exact_samples(t, N, rng)
                for k, t in enumerate(problem.times)
            },
        )
        print(
            f"heat: {problem.grid().shape} reference cells, {problem.bins}^2 bins, times "
            f"{problem.times}, {N} samples per time, {os.cpu_count()} CPUs"
        )
        (reference,) = _python(_REFERENCE, env=env)
        print(f"reference computation (first call, not cached): {reference:.2f} s")
        for label in ("Numba kernels not yet compiled", "Numba kernels cached"):
            first, warm = _python(_VALIDATE, str(path), env=env)
            print(
                f"validate, reference cached, {label}: first call in a process {first:.2f} s, "
                f"second {warm:.2f} s"
            )
        out = Path(folder) / "out"
        for extra in (["--no-figure"], []):
            start = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "eulerflow",
                    "validate",
                    "heat",
                    str(path),
                    "--out",
                    str(out),
                    *extra,
                ],
                env=env,
                capture_output=True,
                check=True,
            )
            label = "eulerflow validate heat FILE " + " ".join(extra)
            print(f"{label.strip()}: {time.perf_counter() - start:.2f} s end to end")


if __name__ == "__main__":
    main()
