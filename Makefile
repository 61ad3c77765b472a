# XuqmGroup Server. `make run` starts the server; `make test` is what CI runs.
SHELL := /bin/bash
GO ?= go
TOOL := $(GO) tool -modfile=tools.mod
NODE_DIR := .tools/node
REDOCLY := $(NODE_DIR)/node_modules/.bin/redocly
SPECTRAL := $(NODE_DIR)/node_modules/.bin/spectral
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/xuqmgroup/xuqm/internal/cli.Version=$(VERSION)

.PHONY: run build build-load test test-clients test-codepush codepush-modules test-expo expo-modules demo generate check-generated check-tidy lint vet node-tools bench bench-prefilled bench-go clean

run:
	$(GO) run -ldflags "$(LDFLAGS)" ./cmd/xuqm serve

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/xuqm ./cmd/xuqm

build-load:
	$(GO) build -o bin/xuqm-load ./cmd/xuqm-load

test: check-generated check-tidy lint vet
	$(GO) test -race -count=1 ./...
	$(MAKE) test-clients
	$(MAKE) test-codepush
	$(MAKE) test-expo

# The TypeScript client (clients/typescript): its npm packages, pinned by package-lock.json, go
# into its git-ignored node_modules; its tests start the server binary built here.
TS_DIR := clients/typescript
TS_MODULES := $(TS_DIR)/node_modules/.package-lock.json
$(TS_MODULES): $(TS_DIR)/package.json $(TS_DIR)/package-lock.json
	cd $(TS_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The client's type check (package, examples, demo, tests), its tests against the real server and
# the browser test of /demo and /docs (Debian's chromium; .ci/run installs it). A failing browser
# test leaves screenshots in clients/typescript/test-artifacts/.
test-clients: $(TS_MODULES) build
	cd $(TS_DIR) && npx tsc --noEmit -p tsconfig.test.json
	cd $(TS_DIR) && XUQM_BIN=$(CURDIR)/bin/xuqm node --import tsx --test --test-concurrency=1 --test-reporter=spec test/*.test.ts

# The clients' own hot-update SDKs (clients/codepush-test: the code-push acquisition SDK that
# react-native-code-push uses, pinned by package-lock.json) against the server binary built here.
CP_DIR := clients/codepush-test
CP_MODULES := $(CP_DIR)/node_modules/.package-lock.json
$(CP_MODULES): $(CP_DIR)/package.json $(CP_DIR)/package-lock.json
	cd $(CP_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@
codepush-modules: $(CP_MODULES)

test-codepush: $(CP_MODULES) build
	cd $(CP_DIR) && XUQM_BIN=$(CURDIR)/bin/xuqm node --test --test-concurrency=1 --test-reporter=spec test/*.test.js

# The Expo Updates protocol as expo-updates speaks it (clients/expo-test: Expo's multipart parser
# and structured-headers, pinned by package-lock.json) against the server binary built here; it
# borrows clients/codepush-test/test/server.js, which needs no packages.
EX_DIR := clients/expo-test
EX_MODULES := $(EX_DIR)/node_modules/.package-lock.json
$(EX_MODULES): $(EX_DIR)/package.json $(EX_DIR)/package-lock.json
	cd $(EX_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@
expo-modules: $(EX_MODULES)

test-expo: $(EX_MODULES) build
	cd $(EX_DIR) && XUQM_BIN=$(CURDIR)/bin/xuqm node --test --test-concurrency=1 --test-reporter=spec test/*.test.js

# The demo chat (clients/typescript/demo) bundled into internal/httpapi/web/demo, which the binary
# embeds: committed, so that `make run` needs no Node.
demo: $(TS_MODULES)
	cd $(TS_DIR) && node scripts/build-demo.mjs

# The server as its own process on a PostgreSQL of its own, loaded over loopback by
# cmd/xuqm-load: one table, in under 5 minutes. BENCH_FLAGS passes flags to `xuqm-load bench`.
bench: build build-load
	bin/xuqm-load bench --server-bin bin/xuqm $(BENCH_FLAGS)

# The one-to-one run at 5,000/s on an empty database, then again after prefill has put
# 1,000,000 messages in 100,000 conversations into it (a few minutes: most of it the load).
bench-prefilled: build build-load
	bin/xuqm-load bench --server-bin bin/xuqm --scenarios one-to-one,prefilled --rates 5000 $(BENCH_FLAGS)

# The in-process Go benchmarks of the packages.
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The linters of the contract come from npm, pinned here, into a git-ignored folder.
node-tools: $(REDOCLY) $(SPECTRAL)
$(REDOCLY) $(SPECTRAL):
	mkdir -p $(NODE_DIR)
	cd $(NODE_DIR) && [ -f package.json ] || echo '{"private":true}' > package.json
	cd $(NODE_DIR) && npm install --no-audit --no-fund --loglevel=error @redocly/cli@2.77.0 @stoplight/spectral-cli@6.16.3

generate: $(REDOCLY) $(TS_MODULES)
	$(REDOCLY) bundle openapi/openapi.yaml -o gen/openapi.yaml
	$(TOOL) oapi-codegen -config oapi-codegen.yaml gen/openapi.yaml
	$(TOOL) sqlc generate
	cd $(TS_DIR) && npx openapi-typescript ../../gen/openapi.yaml -o src/gen/openapi.ts --default-non-nullable false --silent
	cd $(TS_DIR) && node scripts/build-demo.mjs

# Fails when the committed generated code differs from what the sources generate now.
check-generated: generate
	@drift=$$(git status --porcelain --untracked-files=all -- gen $(TS_DIR)/src/gen internal/httpapi/web/demo); \
	if [ -n "$$drift" ]; then echo "generated code is out of date; run make generate and commit:"; echo "$$drift"; git --no-pager diff --stat -- gen $(TS_DIR)/src/gen internal/httpapi/web/demo; exit 1; fi

# Fails when go.mod or go.sum differ from what `go mod tidy` would write (CI runs without
# -mod=mod, so drift would otherwise only show on someone else's machine).
check-tidy:
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy; run go mod tidy and commit"; exit 1; }

lint: check-tidy vet $(REDOCLY) $(SPECTRAL)
	$(TOOL) golangci-lint run --allow-serial-runners ./...
	$(REDOCLY) lint --config openapi/redocly.yaml openapi/openapi.yaml
	$(SPECTRAL) lint --fail-severity=error --ruleset openapi/.spectral-asyncapi.yaml openapi/asyncapi.yaml
	$(TOOL) sqlc vet

vet:
	$(GO) vet ./...

clean:
	rm -rf bin .tools $(TS_DIR)/node_modules $(CP_DIR)/node_modules $(EX_DIR)/node_modules
