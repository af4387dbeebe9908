"""At which sample size ``eulerflow.validate`` tells a wrong model from the right one.

Settings: the problem ``ou-anisotropic`` at its defaults (128^2 reference cells, 32^2 bins,
times 0.25, 0.5 and 1) and every default metric of ``validate`` (floors: 20 repetitions for the
binned metrics and the moments, 10 for W2 and the kernel metrics; verdict: value above
floor + 3 floor spreads). Models: the exact law, the diffusion 5 % too large, the drift matrix
5 % too large; exact samples of each, ``n`` per time, four seeds. Printed per model and ``n``:
for every metric, in how many of the 12 (seed, time) cases the row was flagged, and the time
one ``validate`` call took (three times, the reference cached); then, for the metrics whose
excesses combined over the three times (``ValidationReport.combined``, Stouffer's sum) exceed 3,
in how many of the 4 seeds.

Run from the repository root::

    PYTHONPATH=. python benchmarks/validate_separation.py      # about 3 minutes on 2 cores
"""

from __future__ import annotations

import time

import eulerflow as ef

SIZES = (3_000, 10_000, 30_000, 100_000)
SEEDS = (0, 1, 2, 3)


def main() -> None:
    problem = ef.problems.get("ou-anisotropic")
    problem.reference()
    models = {
        "exact": problem,
        "diffusion +5%": ef.problems.get("ou-anisotropic", diffusion=1.05 * problem.diffusion),
        "drift +5%": ef.problems.get("ou-anisotropic", drift_scale=1.05 * problem.drift_scale),
    }
    print(f"{problem.name}: flagged (seed, time) cases out of {len(SEEDS) * len(problem.times)}")
    for n in SIZES:
        for label, model in models.items():
            counts: dict[str, int] = {}
            combined: dict[str, int] = {}
            start = time.perf_counter()
            for seed in SEEDS:
                samples = {
                    t: model.exact_samples(t, n, rng=100 * seed + k)
                    for k, t in enumerate(problem.times)
                }
                report = ef.validate(problem, samples=samples, rng=seed)
                for row in report.rows:
                    counts[row.metric] = counts.get(row.metric, 0) + bool(row.above_floor)
                for metric, z in report.combined().items():
                    combined[metric] = combined.get(metric, 0) + bool(z > 3)
            seconds = (time.perf_counter() - start) / len(SEEDS)
            cells = "  ".join(f"{metric} {count:2d}" for metric, count in counts.items())
            print(f"n = {n:>6}  {label:14}  {cells}  ({seconds:.2f} s per validate)", flush=True)
            cells = "  ".join(f"{metric} {count}" for metric, count in combined.items())
            print(f"{'':10}  {'combined':14}  {cells}", flush=True)


if __name__ == "__main__":
    main()
