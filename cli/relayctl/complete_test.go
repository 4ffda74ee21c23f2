package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/relayd/relayd/daemon/admin/admintest"
	"github.com/relayd/relayd/queue"
)

// complete runs the completion hook as the scripts do: the words after
// "relayctl", the word being completed last.
func complete(t *testing.T, words ...string) []string {
	t.Helper()
	var out, errb strings.Builder
	code := run(context.Background(), append([]string{"relayctl", completeCommand}, words...), &out, &errb)
	if code != 0 || errb.Len() != 0 {
		t.Fatalf("__complete %q: exit %d, stderr %q", words, code, errb.String())
	}
	return strings.Fields(out.String())
}

func wantCandidates(t *testing.T, words []string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("__complete %q = %q, want %q", words, got, want)
	}
}

func TestCompleteDestinationsAndStates(t *testing.T) {
	e := admintest.Start(t, admintest.Options{Destinations: []string{"billing", "mailer", "broker"}})
	all := []string{"billing", "mailer", "broker"}
	// A destination no longer configured with a delivery still queued: a
	// filter may name it, pause and resume may not.
	e.Enqueue(t, &queue.Message{Destinations: []string{"old"}})
	withOld := append(slices.Clone(all), "old")
	tests := []struct {
		words []string
		want  []string
	}{
		{[]string{"pause", ""}, all},
		{[]string{"resume", "b"}, []string{"billing", "broker"}},
		{[]string{"pause", "billing", ""}, nil}, // pause takes one
		{[]string{"ls", "--dest", ""}, withOld},
		{[]string{"ls", "--dest", "=", "m"}, []string{"mailer"}}, // bash splits --dest=m
		{[]string{"ls", "--dest", "="}, withOld},                 // bash's --dest=<TAB>
		{[]string{"ls", "--dest=m"}, []string{"--dest=mailer"}},  // zsh and fish do not
		{[]string{"replay", "--state", "dead", "--dest", ""}, withOld},
		{[]string{"ls", "--state", ""}, []string{"pending", "delivering", "retrying", "paused", "dead", "delivered"}},
		{[]string{"replay", "--state", "d"}, []string{"dead", "delivered"}},
		{[]string{"purge", "--state", ""}, []string{"dead", "delivered"}},
		{[]string{"purge", "--state", "dead", "--"}, []string{"--help", "--json", "--state", "--dest", "--before", "--dry-run", "--yes"}},
	}
	for _, tt := range tests {
		words := append([]string{"--socket", e.Socket}, tt.words...)
		wantCandidates(t, words, complete(t, words...), tt.want)
	}
}

func TestCompleteCommandsNeverOffersHelp(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nobody.sock")
	for _, words := range [][]string{{""}, {"pause", ""}, {"config", ""}, {"status", ""}} {
		got := complete(t, append([]string{"--socket", missing}, words...)...)
		if slices.Contains(got, "help") {
			t.Errorf("__complete %q offers help: %q", words, got)
		}
	}
	wantCandidates(t, []string{"re"}, complete(t, "re"), []string{"resume", "replay", "reload"})
	wantCandidates(t, []string{"config", ""}, complete(t, "config", ""), []string{"check"})
	wantCandidates(t, []string{"config", "check", ""}, complete(t, "config", "check", ""), []string{filesDirective})
	wantCandidates(t, []string{"--socket", ""}, complete(t, "--socket", ""), []string{filesDirective})
	wantCandidates(t, []string{"completion", ""}, complete(t, "completion", ""), []string{"bash", "zsh", "fish"})
}

func TestCompleteRecentIDsAndRoutes(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	if err := e.Relay.Pause("billing"); err != nil { // keep them pending: nothing to wait for
		t.Fatal(err)
	}
	var ids []string
	for i := 0; i < 25; i++ {
		route := "eq-callback"
		if i%2 == 1 {
			route = "solusvm"
		}
		ids = append(ids, e.Enqueue(t, &queue.Message{Route: route, Body: []byte(fmt.Sprint(i)), Destinations: []string{"billing"}}))
	}
	newest := slices.Clone(ids[5:])
	slices.Reverse(newest)
	sock := []string{"--socket", e.Socket}
	wantCandidates(t, []string{"show", ""}, complete(t, append(sock, "show", "")...), newest)
	// replay takes several ids: the ones given are not offered again.
	got := complete(t, append(sock, "replay", newest[0], newest[1], "")...)
	wantCandidates(t, []string{"replay", "ID", "ID", ""}, got, newest[2:])
	got = complete(t, append(sock, "show", newest[3][:31])...)
	wantCandidates(t, []string{"show", "PREFIX"}, got, newest[3:4])
	wantCandidates(t, []string{"ls", "--route", ""}, complete(t, append(sock, "ls", "--route", "")...),
		[]string{"eq-callback", "solusvm"})
}

// A daemon that cannot be asked (down, refusing the peer, answering
// crafted names) gives no candidate, no error and exit 0.
func TestCompleteOffersNothingUnsafeOrUnreachable(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nobody.sock")
	refusing := startCraftedAdmin(t, http.StatusForbidden, `{"error":1,"error_message":"uid 1000 (eve) may not run status"}`)
	crafted := startCraftedAdmin(t, http.StatusOK,
		`{"destinations":[{"name":"$(touch pwned)","state":"active"},{"name":"a b","state":"active"},{"name":"ok-1","state":"active"}],`+
			`"messages":[{"id":"../../etc/passwd","route":"`+"`id`"+`"},{"id":"0123456789abcdefghijklmnopqrstuv","route":"r.1"}]}`)
	tests := []struct {
		socket string
		words  []string
		want   []string
	}{
		{missing, []string{"pause", ""}, nil},
		{missing, []string{"show", ""}, nil},
		{refusing, []string{"pause", ""}, nil},
		{refusing, []string{"ls", "--route", ""}, nil},
		{crafted, []string{"pause", ""}, []string{"ok-1"}},
		{crafted, []string{"show", ""}, []string{"0123456789abcdefghijklmnopqrstuv"}},
		{crafted, []string{"ls", "--route", ""}, []string{"r.1"}},
	}
	for _, tt := range tests {
		t.Setenv("RELAYD_SOCKET", tt.socket) // the hook honours it as relayctl does
		wantCandidates(t, tt.words, complete(t, tt.words...), tt.want)
	}
}

// startCraftedAdmin serves body with status to every request on a unix
// socket: the answers of a hostile or refusing admin socket.
func startCraftedAdmin(t *testing.T, status int, body string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "rc")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "admin.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close(); os.RemoveAll(dir) })
	return sock
}
