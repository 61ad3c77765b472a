# XuqmGroup Server. `make run` starts the server; `make test` is what CI runs.
SHELL := /bin/bash
GO ?= go
TOOL := $(GO) tool -modfile=tools.mod
NODE_DIR := .tools/node
REDOCLY := $(NODE_DIR)/node_modules/.bin/redocly
SPECTRAL := $(NODE_DIR)/node_modules/.bin/spectral
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/xuqmgroup/xuqm/internal/cli.Version=$(VERSION)

.PHONY: run build build-load test generate check-generated lint vet node-tools bench bench-go clean

run:
	$(GO) run -ldflags "$(LDFLAGS)" ./cmd/xuqm serve

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/xuqm ./cmd/xuqm

build-load:
	$(GO) build -o bin/xuqm-load ./cmd/xuqm-load

test: check-generated lint vet
	$(GO) test -race -count=1 ./...

# The server as its own process on a PostgreSQL of its own, loaded over loopback by
# cmd/xuqm-load: one table, in under 5 minutes. BENCH_FLAGS passes flags to `xuqm-load bench`.
bench: build build-load
	bin/xuqm-load bench --server-bin bin/xuqm $(BENCH_FLAGS)

# The in-process Go benchmarks of the packages.
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The linters of the contract come from npm, pinned here, into a git-ignored folder.
node-tools: $(REDOCLY) $(SPECTRAL)
$(REDOCLY) $(SPECTRAL):
	mkdir -p $(NODE_DIR)
	cd $(NODE_DIR) && [ -f package.json ] || echo '{"private":true}' > package.json
	cd $(NODE_DIR) && npm install --no-audit --no-fund --loglevel=error @redocly/cli@2.77.0 @stoplight/spectral-cli@6.16.3

generate: $(REDOCLY)
	$(REDOCLY) bundle openapi/openapi.yaml -o gen/openapi.yaml
	$(TOOL) oapi-codegen -config oapi-codegen.yaml gen/openapi.yaml
	$(TOOL) sqlc generate

# Fails when the committed generated code differs from what the sources generate now.
check-generated: generate
	@drift=$$(git status --porcelain --untracked-files=all -- gen); \
	if [ -n "$$drift" ]; then echo "generated code is out of date; run make generate and commit:"; echo "$$drift"; git --no-pager diff --stat -- gen; exit 1; fi

lint: vet $(REDOCLY) $(SPECTRAL)
	$(REDOCLY) lint --config openapi/redocly.yaml openapi/openapi.yaml
	$(SPECTRAL) lint --fail-severity=error --ruleset openapi/.spectral-asyncapi.yaml openapi/asyncapi.yaml
	$(TOOL) sqlc vet

vet:
	$(GO) vet ./...

clean:
	rm -rf bin .tools
