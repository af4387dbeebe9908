"""Figure of docs/guide/neural_baselines.md: the validation report of exact samples of the
``heat`` problem (10^4 samples at each of its three times), as drawn by
``ValidationReport.plot()``.

Run from the repository root: ``.venv/bin/python docs/guide/figures/neural_baselines.py``;
writes ``docs/guide/figures/neural_baselines.png``. The grid reference is computed once and
cached (``EULERFLOW_REFERENCE_DIR`` chooses the folder).
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import eulerflow as ef

# -- the example of the page ----------------------------------------------------------------------
problem = ef.problems.get("heat")  # d_t rho = Laplace rho on [-8, 8]^2, 160^2 cells, 32^2 bins
samples = {t: problem.exact_samples(t, 10_000, rng=k) for k, t in enumerate(problem.times)}
report = ef.validate(problem, samples=samples, rng=0, progress=False)
print(report)

# -- the figure -----------------------------------------------------------------------------------
out = Path(__file__).with_suffix(".png")
figure = report.plot()
figure.savefig(out, dpi=80)
print(f"wrote {out}")
