# Two commands for a fresh machine:  make run  (set up, then start the app)  ·  make test
# Before class:  make pretrain  (train the runs every page needs; the app's first start does too)
VENV ?= .venv
PY := $(VENV)/bin/python
PIP_FLAGS := -q --disable-pip-version-check --no-warn-script-location

.PHONY: setup run test bench pretrain
setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install $(PIP_FLAGS) -r requirements-dev.txt 2>&1 | grep -v "is ignored: it is neither" || true
	$(PY) -c "import torch, streamlit, plotly, sklearn, mlxtend, pydantic, pytest"
	touch $@

run: setup
	$(PY) -m streamlit run app.py --browser.gatherUsageStats false

test: setup
	VAE_EXPLORER_PRETRAIN=0 $(PY) -m pytest

pretrain: setup
	$(PY) -m trainer pretrain --wait

bench: setup
	$(PY) bench/train_throughput.py
