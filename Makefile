# stance: every target installs what it needs first (make setup is idempotent).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-stamp
CONFIG ?= configs/default.yaml
ARGS ?=
CORPUS ?=
MODEL ?=
INPUT ?= seeds
OUTPUT ?= outputs/scores.jsonl
STANCE := $(BIN)/stance --config $(CONFIG)
corpus_arg = $(if $(CORPUS),--corpus $(CORPUS),)
model_arg = $(if $(MODEL),--model $(MODEL),)

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup train evaluate promote baselines cv score classify evaluate-extraction ui serve server server-stop test test-fast bench lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first, pinned: the CPU wheel from local disk; any other spec pulls GBs of CUDA packages
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,spark]'
	touch $(STAMP)

train: setup  ## fine-tune, evaluate, export ONNX, log to MLflow and register stance-classifier
	$(STANCE) train $(corpus_arg) $(ARGS)

evaluate: setup  ## evaluate MODEL (default: models/latest) against the champion on the same test data
	$(STANCE) evaluate $(model_arg) $(corpus_arg) $(ARGS)

promote: setup  ## evaluate, then move the champion alias only if the candidate is better
	$(STANCE) evaluate --promote $(model_arg) $(corpus_arg) $(ARGS)

baselines: setup  ## majority, keyword rules, TF-IDF + logistic regression, zero-shot and frozen-embedding baselines
	$(STANCE) baselines $(corpus_arg) $(ARGS)

cv: setup  ## k-fold cross-validation grouped by document (parent run + one child per fold)
	$(STANCE) cv $(ARGS)

score: setup  ## make score INPUT="a.txt folder/" OUTPUT=out.jsonl
	@mkdir -p $(dir $(OUTPUT))
	$(STANCE) score $(INPUT) --output $(OUTPUT) $(model_arg) $(ARGS)

classify: setup  ## make classify INPUT=sentences.txt OUTPUT=labels.csv
	$(STANCE) classify $(INPUT) --output $(OUTPUT) $(model_arg) $(ARGS)

evaluate-extraction: setup  ## make evaluate-extraction CORPUS=../shared/corpus
	$(STANCE) evaluate-extraction $(or $(CORPUS),../shared/corpus) $(ARGS)

ui: setup  ## the MLflow UI over the embedded store, on http://127.0.0.1:5000
	$(BIN)/mlflow ui --backend-store-uri sqlite:///mlflow.db --default-artifact-root ./mlartifacts --host 127.0.0.1 --port 5000

serve: setup  ## REST scoring: mlflow models serve MODEL (default the champion) on http://127.0.0.1:5001/invocations
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/mlflow models serve -m $(or $(MODEL),models:/stance-classifier@champion) --env-manager local -h 127.0.0.1 -p 5001

server: setup  ## team set-up: PostgreSQL cluster in .pg/ + mlflow server on http://127.0.0.1:5000 (background)
	$(BIN)/python -m pipeline.server start --root .pg --port 5000 $(ARGS)

server-stop: setup  ## stop what `make server` started
	$(BIN)/python -m pipeline.server stop --root .pg

test: setup  ## the whole test suite
	$(BIN)/python -m pytest -q $(ARGS)

test-fast: setup  ## unit tests only (no training, no servers)
	$(BIN)/python -m pytest -q -m "not slow" $(ARGS)

bench: setup  ## scoring throughput and peak RSS per backend vs the naive pipeline: make bench ARGS="--sizes 1000 10000"
	$(BIN)/python benchmarks/bench_scoring.py $(model_arg) $(ARGS)

lint: setup
	$(BIN)/ruff check pipeline tests benchmarks

clean:
	rm -rf outputs .pytest_cache .hypothesis
