# blendbatch: `make demo` renders the bundled scene on this machine, `make test` runs the tests.
# Both create the virtualenv in .venv first; nothing is installed outside it.

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_OUT ?= build/demo

# The Python: the first of these that actually RUNS (a pyenv shim can exist and fail). bpy, the
# `render` extra's Blender, exists for Python 3.13 (Blender 5.1 and newer) and 3.11 (up to 5.0),
# never for 3.12. Give another one with `make PYTHON=/path/to/python3.11 ...`.
PYTHONS := python3.13 python3.11
PY_VERSION = $(shell $(1) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
ifeq ($(origin PYTHON),undefined)
PYTHON := $(firstword $(foreach p,$(PYTHONS),$(if $(call PY_VERSION,$(p)),$(p))))
endif
PYTHON_VERSION := $(if $(PYTHON),$(call PY_VERSION,$(PYTHON)))
VENV_VERSION := $(call PY_VERSION,$(BIN)/python)

# A .venv made with another Python than PYTHON: when PYTHON was asked for, it is made again
# with it; when PYTHON is only the default, the working .venv stays (a new one downloads bpy,
# ~0.8 GB) and keeps its own Python.
REMAKE_VENV :=
ifneq ($(VENV_VERSION),)
ifneq ($(VENV_VERSION),$(PYTHON_VERSION))
ifeq ($(origin PYTHON),file)
$(if $(filter 0,$(MAKELEVEL)),$(info note: $(VENV) has Python $(VENV_VERSION) (the default here is $(PYTHON), $(or \
  $(PYTHON_VERSION),not running)); keeping it. To make it again: make PYTHON=$(PYTHON) ...))
PYTHON := $(shell $(BIN)/python -c 'import sys; print(sys._base_executable)')
PYTHON_VERSION := $(VENV_VERSION)
else
$(info note: $(VENV) has Python $(VENV_VERSION), PYTHON=$(PYTHON) is \
  $(or $(PYTHON_VERSION),not running): $(VENV) is made again with it)
REMAKE_VENV := remake-venv
endif
endif
endif

.PHONY: setup demo test checkov lint scene clean help browser

help:
	@echo "make demo   - set up .venv and render examples/demo.blend on this machine"
	@echo "make test   - set up .venv (and chromium) and run the tests (unit + integration)"
	@echo "make scene  - regenerate examples/demo.blend from examples/make_scene.py"
	@echo "make clean  - remove build outputs (keeps .venv)"
	@echo "make test-floor - install the submitter alone with its lowest dependencies, test its CLI"
	@echo "make image BLENDER=X.Y - build the container image for Blender X.Y (make container-help)"
	@echo "PYTHON=...  - the Python of .venv; here: $(or $(PYTHON),none runs) (Python $(or \
	  $(PYTHON_VERSION),?)), the first of $(PYTHONS) that runs unless given"

setup: $(STAMP)

$(STAMP): pyproject.toml $(REMAKE_VENV)
	@if [ -z "$(PYTHON)" ]; then \
	  echo "error: none of $(PYTHONS) runs here (tried each with '-c pass')."; \
	  echo "       blendbatch renders with Blender as a Python module (bpy), which exists for"; \
	  echo "       Python 3.13 (Blender 5.1+) and 3.11 (Blender up to 5.0). Install one, or with"; \
	  echo "       pyenv select it (PYENV_VERSION=3.13.0 make $(MAKECMDGOALS)), or give its path:"; \
	  echo "       make PYTHON=/path/to/python3.13 $(MAKECMDGOALS)"; \
	  exit 1; fi
	@case "$(PYTHON_VERSION)" in 3.11|3.13) ;; \
	  3.12) echo "error: $(PYTHON) is Python 3.12: the submitter alone works on it (pip install ."; \
	    echo "       without extras), but there is no bpy for 3.12, so the render extra, make demo"; \
	    echo "       and make test need Python 3.13 or 3.11: make PYTHON=/path/to/python3.13 $(MAKECMDGOALS)"; \
	    exit 1;; \
	  *) echo "error: $(PYTHON) is Python $(or $(PYTHON_VERSION),(it does not run)); blendbatch's"; \
	    echo "       render extra needs Python 3.13 (bpy 5.3) or 3.11 (bpy 5.0):"; \
	    echo "       make PYTHON=/path/to/python3.13 $(MAKECMDGOALS)"; \
	    exit 1;; esac
	@echo "== creating $(VENV) with $(PYTHON) (Python $(PYTHON_VERSION)) and installing blendbatch[render,dev]"
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[render,dev]"
	@touch $(STAMP)

.PHONY: remake-venv
remake-venv:

demo: $(STAMP)
	@echo "== rendering examples/demo.blend (48 frames) in 4 slices; run picks children and threads"
	$(BIN)/blendbatch run -i examples/demo.blend -o $(DEMO_OUT) -n demo -f 12
	@echo "== the demo video is $(DEMO_OUT)/demo/output.mp4"

# The report page's test opens it in headless Chromium (Debian's `chromium`): installed here
# when absent and we can (apt-get, root); otherwise that test fails naming the command.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "== installing chromium: tests/integration/test_report_browser.py opens the report in it"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "warning: chromium is not installed and this is not root with apt-get:"; \
	    echo "         tests/integration/test_report_browser.py will FAIL until you run"; \
	    echo "         sudo apt-get install -y chromium"; \
	  fi; }

test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/cfn-lint submitter/stack/stack.yaml
	@$(MAKE) --no-print-directory checkov
	$(BIN)/python -m pytest

# checkov (the template's security scan) lives in a virtualenv of its own: it pins boto3 1.35,
# and the tests must test the boto3 the image ships. Its skips are in the template, each with
# the reason. It runs without a network (`unshare -n`; `-rn` as a user) where that works.
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.checkov-$(CHECKOV_VERSION)
NO_NETWORK = $(shell unshare -n true 2>/dev/null && echo unshare -n || \
               { unshare -rn true 2>/dev/null && echo unshare -rn; })

# checkov leaves out resources whose Condition is false with the parameter defaults, so it also
# scans a copy with every opt-in on (KMS key, access log bucket) and every Blender version's job
# definition (all listed, each with a digest), written by the stack's generator.
ALL_OPTIONS := build/stack-all-options.json

$(CHECKOV_STAMP):
	@echo "== installing checkov $(CHECKOV_VERSION) in $(CHECKOV_VENV)"
	rm -rf $(CHECKOV_VENV)
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet "checkov==$(CHECKOV_VERSION)"
	@touch $@

checkov: $(CHECKOV_STAMP) $(STAMP)
	@if [ -n "$(NO_NETWORK)" ]; then echo "== checkov on the template, with no network ($(NO_NETWORK))"; \
	else echo "== checkov on the template; note: unshare cannot drop the network here:" \
	  "only --skip-download keeps it offline"; fi
	@mkdir -p build
	$(BIN)/python -m submitter.stack.generate --all-options $(ALL_OPTIONS)
	$(NO_NETWORK) $(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download \
	  --framework cloudformation -f submitter/stack/stack.yaml -f $(ALL_OPTIONS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

scene: $(STAMP)
	$(BIN)/python examples/make_scene.py --out examples/demo.blend --compress

clean:
	rm -rf build .pytest_cache

-include docker/container.mk

# ---- AWS: the stack in submitter/stack/stack.yaml (README: "From an empty account to a rendered video")
STACK ?= blendbatch
.PHONY: deploy destroy
deploy: $(STAMP)
	$(BIN)/blendbatch deploy --stack $(STACK) $(DEPLOY_ARGS) > .env.$(STACK).partial
	@mv .env.$(STACK).partial .env.$(STACK)
	@cat .env.$(STACK)
	@echo "== saved in .env.$(STACK); use the stack with:  . ./.env.$(STACK)"
destroy: $(STAMP)
	$(BIN)/blendbatch deploy --stack $(STACK) --delete

# ---- the lowest versions pyproject.toml allows: the submitter alone, installed with them
FLOOR_VENV ?= /tmp/blendbatch-floor
.PHONY: test-floor
test-floor:
	$(PYTHON) -m venv --clear $(FLOOR_VENV)
	$(PYTHON) tests/floors.py > $(FLOOR_VENV)/floors.txt
	$(FLOOR_VENV)/bin/python -m pip install --quiet --constraint $(FLOOR_VENV)/floors.txt . pytest
	$(FLOOR_VENV)/bin/python -m pytest -p no:cacheprovider tests/unit/test_cli.py tests/unit/test_records.py
