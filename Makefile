PYTHON ?= python
PG_SERVER ?= postgresql://postgres@127.0.0.1:5432/postgres

.PHONY: bench bench-quick bench-core bench-api bench-load bench-pg-append bench-reports bench-scaling

# Every benchmark, full size: the ledger core (a 1,000,000-entry ledger), the HTTP API, the
# load test on PostgreSQL, the PDF reports, and the scaling table (gate, status, submit and a
# service start at 1k, 10k and 100k decisions). Each prints ratios against a baseline measured
# in the same run and never fails on a time. About 30 minutes on a quiet 2-core machine.
bench: bench-core bench-api bench-load bench-pg-append bench-reports bench-scaling

# The same code at small sizes, in a couple of minutes: a smoke test.
bench-quick:
	$(PYTHON) -m benchmarks.run_all --quick
	$(PYTHON) -m benchmarks.bench_api --quick
	RLEDGER_BENCH_PG_SERVER=$(PG_SERVER) $(PYTHON) -m benchmarks.bench_pg_append --quick
	$(PYTHON) -m benchmarks.bench_reports --quick
	$(PYTHON) -m benchmarks.bench_scaling --sizes 200,2000 --repeat 3

bench-core:
	$(PYTHON) -m benchmarks.run_all

# Submit, get and status latency under 1, 8 and 32 clients against /healthz, on the embedded
# SQLite default and then on a fresh PostgreSQL database (the load test runs on the latter).
bench-api:
	$(PYTHON) -m benchmarks.bench_api --postgres $(PG_SERVER) --load-seconds 20

# Durable single and 10,000-entry batch appends on PostgreSQL against raw psycopg.
bench-pg-append:
	RLEDGER_BENCH_PG_SERVER=$(PG_SERVER) $(PYTHON) -m benchmarks.bench_pg_append

# 32 clients for 60 s mixing submits, approvals, reads and proofs, PostgreSQL, 2 workers.
bench-load:
	$(PYTHON) -m benchmarks.bench_api --skip-latency --postgres $(PG_SERVER) --workers 2 --load-seconds 60

bench-reports:
	$(PYTHON) -m benchmarks.bench_reports --decisions 1000,100000

# gate, status, submit and a service start in fresh processes, each as a ratio to 1k decisions.
bench-scaling:
	$(PYTHON) -m benchmarks.bench_scaling --sizes 1000,10000,100000 --repeat 5
