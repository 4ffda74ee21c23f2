# relayd — the two commands a new user needs: `make run` and `make test`.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
# A static binary: no cgo in what we ship. Tests turn cgo back on for -race.
BUILD   := CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)'

# make install: PREFIX and DESTDIR as usual. The config goes to
# $(SYSCONFDIR)/relayd only where none is yet.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
DATADIR     ?= $(PREFIX)/share
MANDIR      ?= $(DATADIR)/man
DOCDIR      ?= $(DATADIR)/doc/relayd
SYSCONFDIR  ?= /etc
# make deb: dist/relayd_<version>_<arch>.deb, staged in $(STAGE).
DIST        ?= dist
STAGE       ?= bin/deb-root
DEB_VERSION ?= $(shell VERSION='$(VERSION)' systemd/deb/version)
NFPM        := $(GO) tool -modfile=systemd/deb/tools/go.mod nfpm

.PHONY: all build run sink test vet bench bench-wrk bench-backlog wrk bench-churn torture fuzz clean man install deb screenshot
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

# docs/img/status.png: the browser test's scenario (relayd, traffic, headless
# Chromium) with its screenshot kept.
screenshot:
	mkdir -p docs/img
	RELAYD_SCREENSHOT=$(abspath docs/img/status.png) $(GO) test -count=1 -run '^TestStatusPageInBrowser$$' -v ./test/e2e/ | grep -E '^(---|ok|FAIL)|screenshot'

# Go benchmarks of every package, then the ingest ratio (relayd vs a no-op
# fasthttp server under the same load) and end-to-end delivered/s, with the
# Go load generator and with wrk.
bench: build wrk
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s ./queue/ ./relay/ ./daemon/ingress/
	RELAYD_BENCH=1 $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 10m ./test/bench/

# wrk, the load generator of the issue #10 figures (Debian's package; a
# no-op where it is installed already).
wrk:
	command -v wrk >/dev/null || apt-get install -y wrk

# Ingest and end to end under wrk (-t1 -c64 -d5s, 512-byte POSTs): the no-op
# server, the durable ceiling and relayd in alternating rounds, medians and
# ratios (docs/BENCHMARKS.md, "Issue #10 targets, measured"). Some two minutes.
bench-wrk: wrk
	RELAYD_BENCH=1 $(GO) test -run '^$$' -bench '^Benchmark(Wrk|Paced)' -benchtime 1x -timeout 10m ./test/bench/

# A backlog of 1,000,000 callbacks with the destination paused, then drained,
# on the real binary: peak RssAnon, drain rate vs a 100k backlog, start to
# accepting after kill -9, disk vs bodies. RELAYD_BACKLOG_MESSAGES and
# RELAYD_BACKLOG_BASE make it smaller. Some five minutes; not in `make bench`.
bench-backlog:
	RELAYD_BACKLOG=1 $(GO) test -run '^$$' -bench '^BenchmarkBacklog$$' -benchtime 1x -timeout 60m ./test/bench/

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

# Man pages and completions, written by the binaries from their own
# command definitions (and relayd.yaml.5 from the production reference).
man: build
	mkdir -p bin/man bin/completion
	./bin/relayd man relayd.8 | gzip -n9 >bin/man/relayd.8.gz
	./bin/relayd man relayd.yaml.5 | gzip -n9 >bin/man/relayd.yaml.5.gz
	./bin/relayctl man | gzip -n9 >bin/man/relayctl.1.gz
	for sh in bash zsh fish; do ./bin/relayctl completion $$sh >bin/completion/relayctl.$$sh || exit 1; done

install: man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(DATADIR)/bash-completion/completions $(DESTDIR)$(DATADIR)/zsh/vendor-completions \
	  $(DESTDIR)$(DATADIR)/fish/vendor_completions.d $(DESTDIR)$(DOCDIR)/examples \
	  $(DESTDIR)$(SYSCONFDIR)/relayd
	install -m 0755 bin/relayd bin/relayctl $(DESTDIR)$(BINDIR)/
	# The units name /usr/bin and /usr/share/doc: rewritten for this PREFIX.
	for u in relayd.service relayd.socket; do \
	  sed -e 's|/usr/bin/|$(BINDIR)/|g' -e 's|/usr/share/doc/relayd|$(DOCDIR)|g' systemd/$$u >$(DESTDIR)$(UNITDIR)/$$u && \
	  chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -m 0644 systemd/relayd.sysusers $(DESTDIR)$(SYSUSERSDIR)/relayd.conf
	install -m 0644 bin/man/relayctl.1.gz $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 bin/man/relayd.yaml.5.gz $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 bin/man/relayd.8.gz $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 bin/completion/relayctl.bash $(DESTDIR)$(DATADIR)/bash-completion/completions/relayctl
	install -m 0644 bin/completion/relayctl.zsh $(DESTDIR)$(DATADIR)/zsh/vendor-completions/_relayctl
	install -m 0644 bin/completion/relayctl.fish $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/relayctl.fish
	install -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 configs/*.yaml $(DESTDIR)$(DOCDIR)/examples/
	# Alert rules, dashboard and unit drop-ins, where the tree has them.
	if [ -d docs/monitoring ]; then cp -R docs/monitoring $(DESTDIR)$(DOCDIR)/ && chmod -R u=rwX,go=rX $(DESTDIR)$(DOCDIR)/monitoring; fi
	if [ -d systemd/examples ]; then cp -R systemd/examples $(DESTDIR)$(DOCDIR)/examples/systemd && chmod -R u=rwX,go=rX $(DESTDIR)$(DOCDIR)/examples/systemd; fi
	# Never over an admin's config. On this machine (no DESTDIR) create the
	# user first, so that the config is root:relayd as User=relayd needs.
	if [ -z "$(DESTDIR)" ] && command -v systemd-sysusers >/dev/null; then systemd-sysusers $(SYSUSERSDIR)/relayd.conf; fi
	if [ -e $(DESTDIR)$(SYSCONFDIR)/relayd/relayd.yaml ]; then \
	  echo "kept $(DESTDIR)$(SYSCONFDIR)/relayd/relayd.yaml"; \
	else \
	  install -m 0640 configs/relayd.packaged.yaml $(DESTDIR)$(SYSCONFDIR)/relayd/relayd.yaml && \
	  if [ -z "$(DESTDIR)" ]; then chgrp relayd $(SYSCONFDIR)/relayd/relayd.yaml; fi; \
	fi
	if [ -e $(DESTDIR)$(SYSCONFDIR)/relayd/relayd.env ]; then \
	  echo "kept $(DESTDIR)$(SYSCONFDIR)/relayd/relayd.env"; \
	else \
	  install -m 0600 systemd/relayd.env $(DESTDIR)$(SYSCONFDIR)/relayd/relayd.env; \
	fi

# nfpm is a Go tool of its own module (systemd/deb/tools/go.mod): a fresh
# machine needs only Go, and relayd's go.mod does not carry nfpm's deps.
deb:
	rm -rf $(STAGE)
	$(MAKE) install PREFIX=/usr SYSCONFDIR=/etc DESTDIR=$(abspath $(STAGE))
	mkdir -p $(DIST)
	# nfpm expands $$VARs in a tree's src too late: $${STAGE} is filled in here.
	sed 's|$${STAGE}|$(abspath $(STAGE))|g' systemd/deb/nfpm.yaml >$(STAGE)/nfpm.yaml
	DEB_VERSION='$(DEB_VERSION)' GOARCH=$$($(GO) env GOARCH) \
	  $(NFPM) package --config $(STAGE)/nfpm.yaml --packager deb --target $(DIST)/

clean:
	rm -rf bin var dist
