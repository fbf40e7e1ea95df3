# caddy-alidns: build, test and demo targets. Everything runs offline
# against the project's own AliDNS simulator; nothing here needs an
# Alibaba Cloud account.

GO      ?= go
XCADDY_VERSION ?= v0.4.5
GOLANGCI_VERSION ?= v2.15.0
CADDY_VERSION  ?= v2.11.9
MODULE  := github.com/caddy-alidns/alidns
# Nested modules (own go.mod) hold heavy test-only dependencies so that
# users' builds never download them.
NESTED  := $(patsubst %/go.mod,%,$(wildcard */go.mod))
BIN     ?= $(CURDIR)/bin

# Tests never probe the ECS metadata service or read a real ~/.aliyun.
export ALIBABA_CLOUD_ECS_METADATA_DISABLED := true
export ALIBABA_CLOUD_CLI_PROFILE_DISABLED  := true

.PHONY: test lint unit fuzz fuzz-build nested e2e build demo bench soak clean

## test: every test (unit, fuzz targets briefly, simulator, model,
## conformance, SDK fidelity, end-to-end); CI runs it and, separately, make lint.
## The three groups run side by side, as most of their time is spent
## waiting (injected delays, caddy and Pebble); each group's output is
## printed whole when it ends. The fuzz step runs the race build of the
## module's tests, made once before unit and fuzz start, so a cold machine
## compiles the ~1,000 packages under caddy twice (that build, and the
## plain xcaddy build the end-to-end tests run) instead of three times;
## it fuzzes without coverage guidance, which make fuzz alone keeps.
test:
	@$(MAKE) --no-print-directory -j3 --output-sync=target unit fuzz nested FUZZ_BUILD=-race SHARED_BUILD=fuzz-build

lint:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './bin/*')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@for m in $(NESTED); do echo "go vet ($$m)"; (cd $$m && $(GO) vet ./...) || exit 1; done
	@# Nested modules replace the root module, so a dependency change at the
	@# root must be followed by go mod tidy in each of them.
	@for m in . $(NESTED); do (cd $$m && $(GO) mod tidy -diff >/dev/null) || \
	  { echo "go.mod/go.sum of $$m are not tidy: run go mod tidy in $$m"; exit 1; }; done
	@# golangci-lint (staticcheck, errorlint, funlen, ...; see .golangci.yml),
	@# built once into bin/ at the pinned version.
	@$(BIN)/golangci-lint version 2>/dev/null | grep -q "version $(GOLANGCI_VERSION:v%=%) " || \
	  { echo "installing golangci-lint $(GOLANGCI_VERSION) into $(BIN)"; mkdir -p $(BIN); \
	    GOBIN=$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION); }
	@for m in . $(NESTED); do echo "golangci-lint ($$m)"; \
	  (cd $$m && $(BIN)/golangci-lint run --config $(CURDIR)/.golangci.yml ./...) || exit 1; done

unit: $(SHARED_BUILD)
	$(GO) test -race -count=1 ./...

## fuzz: a short run of each fuzz target from its seed corpus
## (testdata/fuzz/<name>), a fixed number of inputs each: a -fuzztime
## duration can fail spuriously with "context deadline exceeded" on Go 1.26
## (golang/go#75804). Each package's test binary is built once, with
## coverage instrumentation (FUZZ_BUILD=-fuzz=.) unless make test asks for
## the race build; failing inputs are written to testdata/fuzz/<name>,
## others are not kept. FUZZ_SCALE=10 runs ten times as many.
FUZZ_SCALE ?= 1
FUZZ_BUILD ?= -fuzz=.
FUZZ_ROOT  := FuzzPages:3000 FuzzZoneNames:5000 FuzzEnvFile:5000 FuzzCaddyfile:5000 FuzzToAPI:5000 FuzzRelativeName:5000
FUZZ_API   := FuzzErrorBody:20000
fuzz-build:
	@mkdir -p $(BIN)
	$(GO) test -c $(FUZZ_BUILD) -o $(BIN)/fuzz-alidns.test .
	$(GO) test -c $(FUZZ_BUILD) -o $(BIN)/fuzz-api.test ./internal/api

fuzz: fuzz-build
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for t in $(FUZZ_ROOT:%=.:%) $(FUZZ_API:%=internal/api:%); do \
	  dir=$${t%%:*}; rest=$${t#*:}; name=$${rest%%:*}; n=$$(( $${rest#*:} * $(FUZZ_SCALE) )); \
	  bin=$(BIN)/fuzz-alidns.test; [ "$$dir" = . ] || bin=$(BIN)/fuzz-api.test; \
	  echo "fuzz $$name ($$n inputs)"; \
	  (cd $$dir && $$bin -test.run '^$$' -test.fuzz "^$$name$$" -test.fuzztime "$${n}x" -test.fuzzcachedir "$$tmp/$$name") >"$$tmp/log" 2>&1 || \
	    { cat "$$tmp/log"; exit 1; }; \
	done

# -timeout: the e2e module builds caddy with xcaddy first (minutes on a
# cold machine) and then runs its scenarios.
nested:
	@for m in $(NESTED); do echo "== go test ($$m)"; (cd $$m && $(GO) test -race -count=1 -timeout 20m ./...) || exit 1; done

## e2e: only the end-to-end tests (real caddy + Pebble + AliDNS simulator on
## loopback); E2E_WRITE_BENCHMARKS=1 also rewrites their section of BENCHMARKS.md
e2e:
	cd e2e && $(GO) test -race -count=1 -timeout 20m ./...

## build: a caddy binary with this plugin, at ./bin/caddy
build:
	@mkdir -p $(BIN)
	GOBIN=$(BIN) $(GO) install github.com/caddyserver/xcaddy/cmd/xcaddy@$(XCADDY_VERSION)
	$(BIN)/xcaddy build $(CADDY_VERSION) --with $(MODULE)@v0.0.0=$(CURDIR) --output $(BIN)/caddy
	$(BIN)/caddy list-modules | grep dns.providers.alidns

## demo: live demo of the whole flow on loopback (no Alibaba account): builds
## caddy with the plugin, starts the AliDNS simulator, Pebble, a backend and
## caddy with examples/demo/Caddyfile, prints a curl command; Ctrl-C stops it.
## Options: make demo DEMO_FLAGS="-https-port 8443 -v"
DEMO_FLAGS ?=
demo:
	@cd e2e && $(GO) build -o .cache/bin/demo ./cmd/demo && exec .cache/bin/demo $(DEMO_FLAGS)

## bench: the performance benchmarks, printed as a table against their
## targets: the provider against the AliDNS simulator with 50 ms per API
## call, signing, caddy start to first HTTPS (real caddy + Pebble) and the
## bytes the plugin adds to an xcaddy build (a plain build is made once and
## cached in e2e/.cache). BENCH_WRITE=1 also rewrites their section of
## BENCHMARKS.md; BENCH_FLAGS="-e2e=false -size=false" skips the slow parts.
BENCH_FLAGS ?=
bench:
	cd e2e && $(GO) run ./cmd/bench $(if $(BENCH_WRITE),-write) $(BENCH_FLAGS)

## soak: the model-based randomized test (TestModel) for SOAK (default 10m)
## instead of its bounded CI run, printing the seed, a progress line a
## minute, and at the end the operations run and the API calls and faults
## seen. SOAK_SEED=N replays a seed; SOAK_WORKERS=N sets the concurrency.
SOAK ?= 10m
soak:
	ALIDNS_MODEL_DURATION=$(SOAK) $(if $(SOAK_SEED),ALIDNS_MODEL_SEED=$(SOAK_SEED)) $(if $(SOAK_WORKERS),ALIDNS_MODEL_WORKERS=$(SOAK_WORKERS)) \
	  $(GO) test -race -count=1 -timeout 0 -v -run '^TestModel$$' .

clean:
	rm -rf $(BIN)
