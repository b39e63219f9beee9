# kubelab: `make run` starts the lab, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint test-only install browsers clean bench-k8s

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

var/secret_key:
	mkdir -p var
	$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@
	chmod 600 $@

# DEBUG stays off; the lab's SECRET_KEY is generated once into var/secret_key, which the
# settings read when SECRET_KEY is unset (so `manage.py kubeconfig` agrees with the lab).
run: $(STAMP) var/secret_key
	$(BIN)/python manage.py lab

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test-only: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint test-only

clean:
	rm -rf var/test-* .pytest_cache

# Benchmarks of the Kubernetes HTTP API (kubectl's Table, watch latency, a class of 60);
# about 10 minutes; figures and how to read them in docs/performance.md.
bench-k8s: $(STAMP)
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python -m bench.k8s_table
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python -m bench.k8s_watch
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python -m bench.k8s_class
