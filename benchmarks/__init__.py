"""The benchmark suite: `bash benchmarks/run` (see benchmarks/README.md) writes BENCHMARKS.md."""
