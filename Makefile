# The OMS project. `make run` and `make test` are all a newcomer needs (see README.md).
.PHONY: run test test-odoo stop db-reset bench cluster cluster-stop bench-cluster lint screenshots screenshots-demo help
SHELL := /bin/bash

help:
	@echo "make run       provision everything and start Odoo with the demo database (http://localhost:8069)"
	@echo "make test      provision, install the addons into a fresh test database, run all tests"
	@echo "               (and Odoo's own sale_stock tests on a demo database, OMS rules off)"
	@echo "make test-odoo Odoo's own sale, sale_stock, stock and delivery tests with the addons"
	@echo "               installed (demo data, OMS rules off): the deeper check, slow"
	@echo "make stop      stop Odoo and the project-local PostgreSQL"
	@echo "make db-reset  drop the demo database (the next make run recreates it)"
	@echo "make bench     run the benchmarks of tests/perf (BENCH_ORDERS=2000, BENCH_SKIP_KPI=1)"
	@echo "make cluster  a PostgreSQL primary + streaming replica and two Odoo servers in prefork"
	@echo "               mode (docs/deployment.md); make cluster-stop stops them"
	@echo "make bench-cluster  signed webhooks against 1 then 2 servers of make cluster"
	@echo "make lint      run pre-commit on every file"
	@echo "make screenshots  run the browser tours and save their screenshots into docs/images"
	@echo "make screenshots-demo  the README's screens of the demo's story (demo database),"
	@echo "               in Chinese and English, into docs/images"

run:
	@bash setup/run.sh

test:
	@bash setup/test.sh $(ARGS)

test-odoo:
	@bash setup/test_odoo.sh $(ARGS)

stop:
	@bash setup/stop.sh

db-reset:
	@bash setup/stop.sh
	@bash setup/provision.sh && bash setup/db.sh drop $${OMS_DB:-oms_demo}

bench:
	@bash setup/bench.sh

cluster:
	@bash setup/cluster.sh start

cluster-stop:
	@bash setup/cluster.sh stop

bench-cluster:
	@bash setup/bench_cluster.sh

screenshots:
	@bash setup/screenshots.sh $(ARGS)

screenshots-demo:
	@bash setup/screenshots.sh --demo $(ARGS)

lint:
	@test -x .venv/bin/pre-commit || .venv/bin/pip install -q pre-commit==4.3.0
	@.venv/bin/pre-commit run --all-files
