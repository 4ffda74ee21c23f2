# relayd — the two commands a new user needs: `make run` and `make test`.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
# A static binary: no cgo in what we ship. Tests turn cgo back on for -race.
BUILD   := CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)'

.PHONY: all build run sink test vet bench bench-churn torture fuzz clean
all: build

build:
	$(BUILD) -o bin/relayd ./cli/relayd
	$(BUILD) -o bin/relayctl ./cli/relayctl

# Runs relayd on its embedded default config (configs/relayd.example.yaml):
# ingress on 127.0.0.1:8080, queue and admin socket under ./var/relayd.
run: build
	./bin/relayd run --config configs/relayd.example.yaml

# A loopback sink for the README's tour: prints each delivery it receives.
sink:
	$(GO) run ./test/bench/noopserver -log -listen 127.0.0.1:9101,127.0.0.1:9102,127.0.0.1:9103,127.0.0.1:9104

vet:
	$(GO) vet ./...

# -count=1: test/e2e builds the binaries in a subprocess, so Go's test cache
# cannot see a change under cli/ or daemon/ and could replay an old pass.
test: vet
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 8m ./...

# Go benchmarks of every package, then the ingest ratio (relayd vs a no-op
# fasthttp server under the same load) and end-to-end delivered/s.
bench: build
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s ./queue/ ./relay/ ./daemon/ingress/
	RELAYD_BENCH=1 $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 10m ./test/bench/

# The disk across cycles of churn: the real binary takes ~200k callbacks a
# cycle, delivers them and expires them (retention 1s); the store's size
# prints per cycle (docs/BENCHMARKS.md). Some ten minutes; not in `make bench`.
bench-churn: build
	RELAYD_CHURN=1 $(GO) test -run '^$$' -bench Churn -benchtime 1x -timeout 60m ./test/bench/

# The torture scenarios in full (kill -9 ×50 under load, a downstream outage
# of minutes, a hung downstream, a max_disk burst, 1,000 slow connections);
# `make test` runs their short version. Figures print as `figure:` lines
# and go to docs/RELIABILITY.md. Not -race: the figures are the binary's.
torture:
	RELAYD_TORTURE=1 $(GO) test -count=1 -v -timeout 30m ./test/torture/

# Short runs of every fuzz target (each also runs its seed corpus in `make test`).
FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf bin var
