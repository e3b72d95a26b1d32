PYTHON ?= python

.PHONY: bench bench-quick

# Full benchmarks: a 1,000,000-entry ledger, about ten minutes on a quiet 2-core machine.
# They print ratios against baselines measured in the same run and never fail on a time.
bench:
	$(PYTHON) -m benchmarks.run_all

# The same code at small sizes, in well under a minute: a smoke test for CI and development.
bench-quick:
	$(PYTHON) -m benchmarks.run_all --quick
