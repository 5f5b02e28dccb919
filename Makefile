# Two commands for a fresh machine:  make run  (set up, then start the app)  ·  make test
VENV ?= .venv
PY := $(VENV)/bin/python
PIP_FLAGS := -q --disable-pip-version-check --no-warn-script-location

.PHONY: setup run test bench
setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install $(PIP_FLAGS) -r requirements-dev.txt 2>&1 | grep -v "is ignored: it is neither" || true
	$(PY) -c "import torch, streamlit, plotly, sklearn, mlxtend, pydantic, pytest"
	touch $@

run: setup
	$(PY) -m streamlit run app.py --browser.gatherUsageStats false

test: setup
	$(PY) -m pytest

bench: setup
	$(PY) bench/train_throughput.py
