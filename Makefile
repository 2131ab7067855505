# govsim — the two commands of the quick start are `make demo` and `make test`.
# The virtual environment is created on first use with a Python >= 3.12 found by
# .ci/find-python (honours PYTHON=..., then python3.13/python3.12, then pyenv).

VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
LOCK   := requirements.lock
OUT    ?= results/demo
DAYS   ?= 365
REPS   ?= 8

.PHONY: demo test check lint format bench bench-versus calibrate validate docs venv lock clean priors screen

$(PY):
	@interp=$$(PYTHON="$(PYTHON)" sh .ci/find-python) || exit 1; \
	echo "creating $(VENV) with $$interp"; \
	"$$interp" -m venv $(VENV)

# Installs exactly the versions pinned in $(LOCK) (the tested set); `make lock` regenerates it.
$(STAMP): $(PY) pyproject.toml $(LOCK)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --constraint $(LOCK) -e '.[dev,viz]'
	@$(PY) -m pip install --quiet --constraint $(LOCK) -e '.[cjk]' >/dev/null 2>&1 || echo "warning: could not install the CJK font (govsim[cjk]); Chinese output falls back to English"
	@touch $(STAMP)

# Re-resolve every dependency of pyproject.toml (dev and viz extras) to the newest versions
# allowed and pin them in $(LOCK); commit it once `make test` passes with them.
lock: $(PY)
	$(PY) -m pip install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --upgrade --strip-extras --no-emit-index-url --no-emit-find-links \
		--extra dev --extra viz --extra cjk --output-file $(LOCK) pyproject.toml

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/govsim compare baseline extra_canteen more_partner_units --reps $(REPS) --days $(DAYS) --out $(OUT)

test: $(STAMP)
	$(PY) -m pytest

# The edit-test loop: every test not marked slow (under a minute on 2 cores).
check: $(STAMP)
	$(PY) -m pytest -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The benchmark, then the community-year, district-year and demo comparison timed side by
# side with BEFORE, the last revision before spin-up and scarce capacity, then the demo comparison
# with and without the posterior's parameter sets (docs/performance.md).
BEFORE ?= c3b0c5c
bench: $(STAMP)
	$(PY) benchmarks/bench.py
	$(PY) benchmarks/versus.py $(BEFORE) HEAD --reps 3 --district --district-reps 1 --comparison --comparison-reps 3
	$(PY) benchmarks/uncertainty.py --reps 3 --comparison-reps 8

# Two revisions side by side: make bench-versus OLD=<commit> [NEW=HEAD]
bench-versus: $(STAMP)
	$(PY) benchmarks/versus.py $(OLD) $(or $(NEW),HEAD)

# History matching with GP emulators -> sim/data/posterior.json, docs/calibration.md and its figures
# (docs/calibration.md states the budget; under an hour on 2 cores). Finished runs are kept in
# results/calibration-work: a stopped run resumes from them (delete the folder after a model change).
calibrate: $(STAMP)
	$(PY) -m sim.calibration --seed 0 --workers 2 --work results/calibration-work

# Stationarity, patterns, capacity and every lever's dose-response (10-20 minutes on 2 cores).
validate: $(STAMP)
	$(PY) -m sim.validation --out docs/validation.md

# The priors of the [E] parameters as a table (sim/data/priors.toml -> docs/priors.md).
priors: $(STAMP)
	$(PY) -m sim.priors --out docs/priors.md

# Morris screening of every uncertain [E] parameter over its prior (docs/screening.md): R trajectories
# x (parameters + 1) runs + 4, each a full spin-up and a 365-day window, on every core (over an hour).
R ?= 10
screen: $(STAMP)
	$(PY) -m sim.screening --r $(R) --out docs/screening.md

docs: $(STAMP)
	$(PY) -m sim.docgen docs/ODD.md

clean:
	rm -rf results .pytest_cache .ruff_cache
