"""Run the benchmark suite and write BENCHMARKS.md (see ``benchmarks.suite``).

bash benchmarks/run                 # sets up .venv-bench (peers included), then runs this
python -m benchmarks --quick        # fewer seeds, repeats and posts, to try the suite out
python -m benchmarks --sections build authoring   # re-run some sections only
python -m benchmarks --render       # re-write the report from the last run's results
"""

import os
import sys

# One BLAS thread, as the runner gives derivation blocks (set before NumPy loads): on a shared
# 2-core machine threaded BLAS on small arrays only adds noise. torch follows OMP_NUM_THREADS.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from .suite import main  # noqa: E402 - it loads NumPy

sys.exit(main())
