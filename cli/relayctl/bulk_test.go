package main

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/relayd/relayd/daemon/admin/admintest"
	"github.com/relayd/relayd/queue"
)

// deadMessages makes n deliveries to billing dead (the sink answers 400).
func deadMessages(t *testing.T, e *admintest.Env, n int) []string {
	t.Helper()
	e.Sink.SetStatus(http.StatusBadRequest)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = e.Enqueue(t, &queue.Message{Body: []byte("x"), Destinations: []string{"billing"}})
	}
	admintest.WaitFor(t, "dead", func() bool { return e.Counts(t, "billing").Dead == int64(n) })
	return ids
}

// onTerminal runs relayctl as if stdin were a terminal answering answer.
func onTerminal(t *testing.T, socket, answer string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := runOn(context.Background(), append([]string{"relayctl", "--socket", socket}, args...),
		strings.NewReader(answer), &out, &errb)
	return result{code, out.String(), errb.String()}
}

func TestDryRunChangesNothing(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	ids := deadMessages(t, e, 12)
	r := relayctl(t, e.Socket, "--json", "replay", "--state", "dead", "--dest", "billing", "--dry-run")
	if r.code != 0 {
		t.Fatalf("replay dry run: %+v", r)
	}
	golden(t, "replay_dry_run", r.stdout)
	r = relayctl(t, e.Socket, "--json", "purge", "--state", "dead", "--dry-run")
	if r.code != 0 {
		t.Fatalf("purge dry run: %+v", r)
	}
	golden(t, "purge_dry_run", r.stdout)
	r = relayctl(t, e.Socket, "purge", "--state", "dead", "--dry-run")
	want := regexp.MustCompile(`^dry run: would purge 12 deliveries; nothing changed\nmessages \(newest first, 10 shown\):\n(  [a-z0-9]{32}\n){10}$`)
	if r.code != 0 || !want.MatchString(r.stdout) {
		t.Fatalf("purge dry run text: %+v", r)
	}
	if !strings.Contains(r.stdout, "  "+ids[11]+"\n") || strings.Contains(r.stdout, ids[0]) {
		t.Errorf("sample is not the newest ten: %s", r.stdout)
	}
	if c := e.Counts(t, "billing"); c.Dead != 12 || len(e.Sink.Requests()) != 12 {
		t.Fatalf("a dry run changed something: dead %d, requests %d", c.Dead, len(e.Sink.Requests()))
	}
	// The real run does what the dry run said.
	if r = relayctl(t, e.Socket, "purge", "--state", "dead"); r.stdout != "purged 12 deliveries\n" {
		t.Fatalf("purge: %+v", r)
	}
}

func TestConfirmationAboveHundredOnTerminal(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	deadMessages(t, e, confirmAbove+1)
	e.Sink.SetStatus(http.StatusOK)
	for _, answer := range []string{"n\n", "\n", "", "yess\n"} {
		r := onTerminal(t, e.Socket, answer, "replay", "--state", "dead")
		if r.code != 1 || r.stderr != "replay 101 deliveries? [y/N] relayctl: replay not confirmed: nothing changed (--yes skips the question)\n" {
			t.Fatalf("answer %q: %+v", answer, r)
		}
	}
	if n := len(e.Sink.Requests()); n != confirmAbove+1 || e.Counts(t, "billing").Dead != confirmAbove+1 {
		t.Fatalf("refused replay sent something: %d requests", n)
	}
	// A script (no terminal) is not asked; --yes on a terminal neither.
	if r := onTerminal(t, e.Socket, "", "purge", "--state", "dead", "--dry-run"); r.code != 0 || r.stderr != "" {
		t.Fatalf("dry run asked: %+v", r)
	}
	r := onTerminal(t, e.Socket, "Y\n", "replay", "--state", "dead")
	if r.code != 0 || r.stdout != "replayed 101 deliveries\n" {
		t.Fatalf("confirmed: %+v", r)
	}
	admintest.WaitFor(t, "delivered", func() bool { return e.Counts(t, "billing").Delivered == confirmAbove+1 })
	if r := onTerminal(t, e.Socket, "", "--json", "purge", "--state", "delivered", "--yes"); r.code != 0 || r.stderr != "" ||
		!strings.Contains(r.stdout, `"purged": 101`) {
		t.Fatalf("--yes: %+v", r)
	}
}

func TestNoQuestionAtOrBelowHundred(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	deadMessages(t, e, 3)
	r := onTerminal(t, e.Socket, "", "purge", "--state", "dead")
	if r.code != 0 || r.stderr != "" || r.stdout != "purged 3 deliveries\n" {
		t.Fatalf("purge of 3 on a terminal: %+v", r)
	}
}

func TestPagingHintRepeatsEveryFilter(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	ids := deadMessages(t, e, 3)
	r := relayctl(t, e.Socket, "ls", "--dest", "billing", "--state", "dead", "--route", "eq-callback",
		"--since", "1h", "--limit", "2")
	hint := regexp.MustCompile(`\(more: relayctl --socket \S+ ls --dest billing --state dead --route eq-callback ` +
		`--since \S+Z --limit 2 --before (\S+)\)\n$`)
	m := hint.FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil {
		t.Fatalf("hint: %+v", r)
	}
	// Following the hint gives the rest, still filtered.
	r = relayctl(t, e.Socket, "ls", "--dest", "billing", "--state", "dead", "--limit", "2", "--before", m[1])
	if r.code != 0 || !strings.Contains(r.stdout, ids[0]) || strings.Contains(r.stdout, ids[2]) || strings.Contains(r.stdout, "more:") {
		t.Fatalf("next page: %+v", r)
	}
	if got := shellQuote("a b'c"); got != `'a b'\''c'` {
		t.Errorf("shellQuote: %s", got)
	}
}
