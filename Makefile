# newsflow — see README.md. Every target works from a clean clone.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO        ?= go
MODULES   := pkg/events pkg/stage pkg/shareddata services/fetcher services/enricher services/sink deploy/local deploy/tools tools/newsctl bench test/e2e
PKGS      := $(addprefix ./,$(addsuffix /...,$(MODULES)))
BIN       ?= bin
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
RUN_ARGS  ?=
TEST_ARGS ?=
# The shared data (annotated corpora, gazetteer sources) lives beside the checkout.
SHARED_DATA ?= $(abspath ../shared/data)
export NEWSFLOW_SHARED_DATA ?= $(SHARED_DATA)

.PHONY: help build run test lint fmt train eval gazetteer bench bench-pipeline clean images test-e2e

help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

build: ## static binaries of the services and the local stack into bin/
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/fetcher ./services/fetcher/cmd/fetcher
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/enricher ./services/enricher/cmd/enricher
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/sink ./services/sink/cmd/sink
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/newsflow-local ./deploy/local
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/newsctl ./tools/newsctl

run: ## the whole pipeline in one process (RUN_ARGS="--once --inbox DIR --data-dir DIR")
	$(GO) run ./deploy/local $(RUN_ARGS)

test: ## every module's tests, with the race detector
	$(GO) test -race -count=1 -timeout 20m $(TEST_ARGS) $(PKGS)

lint: ## gofmt and go vet over every module (with the e2e and deploycheck build tags too)
	@out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) vet -tags e2e ./test/e2e/...
	$(GO) vet -tags deploycheck ./deploy/tools/...

fmt: ## gofmt -w
	gofmt -w $(MODULES)

gazetteer: ## regenerate the enricher's compact gazetteer from ../shared/data/gazetteers (then make train)
	$(GO) generate ./services/enricher/internal/gazetteer

train: ## train the NER model (CoNLL-2003) and the stance model (NewsMTSC), deterministic
	$(GO) run ./services/enricher/cmd/train-ner -data $(SHARED_DATA) -out services/enricher/internal/ner/model/ner.bin
	$(GO) run ./services/enricher/cmd/train-stance -data $(SHARED_DATA) -out services/enricher/internal/stance/model/stance.json.gz

eval: ## scores on the dev material: NER (CoNLL valid), stance (NewsMTSC dev), extraction (40 pages)
	$(GO) run ./services/enricher/cmd/enricher eval -data $(SHARED_DATA)
	@echo
	cd services/fetcher && $(GO) run ./cmd/eval-extract

# Benchmarks (docs/BENCHMARKS.md). PIPELINE_ARGS size the load test (see
# go run ./bench/cmd/pipeline -help); BENCH_COUNT repeats the micro benchmarks.
BENCH_OUT     ?= var/bench
BENCH_COUNT   ?= 6
BENCH_PKGS    ?= ./pkg/events/... ./services/enricher/... ./services/fetcher/... ./services/sink/...
PIPELINE_ARGS ?=
PROFILE_ARGS  ?= -articles 3000 -half-duration 5s -ceiling 0
NATS_SERVER_VERSION ?= v2.15.2

# nats-server from its Go module, static: the benchmarks run it, the images wrap it.
$(BIN)/nats-server:
	@mkdir -p $(BIN)
	GOWORK=off CGO_ENABLED=0 GOBIN=$(abspath $(BIN)) $(GO) install -trimpath -ldflags '-s -w' github.com/nats-io/nats-server/v2@$(NATS_SERVER_VERSION)

bench-pipeline: build $(BIN)/nats-server ## pipeline load test: nats-server, PostgreSQL, the services as processes (PIPELINE_ARGS="-articles 5000")
	$(GO) run ./bench/cmd/pipeline -bin $(BIN) $(PIPELINE_ARGS)

bench: build $(BIN)/nats-server ## micro benchmarks (benchstat), the pipeline load test and profiles, into docs/BENCHMARKS.md
	@mkdir -p $(BENCH_OUT)/prof
	echo "before: $$(cat /proc/loadavg)" > $(BENCH_OUT)/micro-load.txt
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) $(BENCH_PKGS) | tee $(BENCH_OUT)/micro.txt
	echo "after:  $$(cat /proc/loadavg)" >> $(BENCH_OUT)/micro-load.txt
	$(GO) tool benchstat $(BENCH_OUT)/micro.txt > $(BENCH_OUT)/benchstat.txt
	$(GO) build -o $(BENCH_OUT)/pipeline ./bench/cmd/pipeline
	$(BENCH_OUT)/pipeline -bin $(BIN) -json $(BENCH_OUT)/pipeline.json $(PIPELINE_ARGS) | tee $(BENCH_OUT)/pipeline.txt
	$(BENCH_OUT)/pipeline -bin $(BIN) -profile $(BENCH_OUT)/prof $(PROFILE_ARGS) > $(BENCH_OUT)/prof/run.txt
	for s in fetcher enricher sink; do \
	  $(GO) tool pprof -top -nodecount=25 $(BENCH_OUT)/pipeline $(BENCH_OUT)/prof/$$s.pprof 2>/dev/null | grep -v '^Build ID' > $(BENCH_OUT)/prof/$$s.top.txt; done
	$(GO) tool pprof -top -nodecount=20 $(BIN)/nats-server $(BENCH_OUT)/prof/nats-server.pprof 2>/dev/null | grep -v '^Build ID' > $(BENCH_OUT)/prof/nats-server.top.txt
	$(GO) run ./bench/cmd/report -result $(BENCH_OUT)/pipeline.json -text $(BENCH_OUT)/pipeline.txt \
	  -micro $(BENCH_OUT)/micro.txt -benchstat $(BENCH_OUT)/benchstat.txt -micro-load $(BENCH_OUT)/micro-load.txt -profiles $(BENCH_OUT)/prof \
	  -profile-command '$(BENCH_OUT)/pipeline -bin $(BIN) -profile $(BENCH_OUT)/prof $(PROFILE_ARGS)' \
	  -notes docs/benchmarks/notes.md -out docs/BENCHMARKS.md -img docs/benchmarks \
	  -cmd 'make build $(BIN)/nats-server   # the services; nats-server $(NATS_SERVER_VERSION)' \
	  -cmd '$(GO) test -run '"'"'^$$'"'"' -bench . -benchmem -count $(BENCH_COUNT) $(BENCH_PKGS) > $(BENCH_OUT)/micro.txt' \
	  -cmd '$(GO) tool benchstat $(BENCH_OUT)/micro.txt' \
	  -cmd '$(GO) build -o $(BENCH_OUT)/pipeline ./bench/cmd/pipeline' \
	  -cmd '$(BENCH_OUT)/pipeline -bin $(BIN) -json $(BENCH_OUT)/pipeline.json $(PIPELINE_ARGS)   # = make bench-pipeline'

clean:
	rm -rf $(BIN) var

# Images (deploy/docker): static binaries built here, FROM scratch, nothing pulled.
IMAGE_PREFIX        ?= newsflow/
IMAGE_TAG           ?= dev
IMAGES              := fetcher enricher sink nats-server feedsrv postgres
E2E_TIMEOUT         ?= 25m
export IMAGE_PREFIX IMAGE_TAG

images: build $(BIN)/nats-server ## container images: the services, nats-server, PostgreSQL and the e2e feed server
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/feedsrv ./test/e2e/cmd/feedsrv
	for i in $(IMAGES); do VERSION=$(VERSION) deploy/docker/build-image.sh $$i $(BIN)/$$i; done
	docker images --filter 'reference=$(IMAGE_PREFIX)*:$(IMAGE_TAG)'

test-e2e: images ## end-to-end and fault tests on containers (E2E_SOAK=1: the long soak; E2E_RUN=regexp)
	cd test/e2e && TESTCONTAINERS_RYUK_DISABLED=$${TESTCONTAINERS_RYUK_DISABLED:-true} \
		$(GO) test -tags e2e -count=1 -timeout $(E2E_TIMEOUT) -v -run '$(or $(E2E_RUN),.)' .

.PHONY: dashboards deploy-check

dashboards: ## regenerate the Grafana dashboards, their ConfigMaps and the Prometheus rules (deploy/tools)
	$(GO) run ./deploy/tools/cmd/dashboards

deploy-check: ## render the chart strictly, check dashboards, rules and NATS permissions, then a live Prometheus over a loaded stack
	@command -v prometheus >/dev/null || { echo "== installing prometheus (Debian package)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }
	$(GO) run ./deploy/tools/cmd/dashboards -check
	$(GO) test -count=1 -timeout 15m -tags deploycheck $(TEST_ARGS) ./deploy/tools/...
