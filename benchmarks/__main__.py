"""`python -m benchmarks`: the latency benchmark (same as `podium bench`)."""

from benchmarks.run import main

raise SystemExit(main())
