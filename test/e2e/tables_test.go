package e2e

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestTablesFitHundredColumns: with a long destination URL and a long
// connection error, the real relayctl's tables fit 100 columns and show the
// error's end (its cause); -o wide shows it whole.
func TestTablesFitHundredColumns(t *testing.T) {
	down := reservePort(t)
	r := newRelayd(t, `
server:
  listen: 127.0.0.1:0
`+fastRetry+`
destinations:
  - name: billing-production-eu-central
    url: http://`+down+`/billing/api/v2/callbacks/eq_callback/with/a/rather/long/path?source=relayd
routes:
  - name: eq-callback-from-provisioning-workers
    path: /eq_callback
    destinations: [billing-production-eu-central]
`)
	r.start()
	r.accept("/eq_callback", "text/plain", "x")
	waitFor(t, "a connection error", func() bool {
		out, _ := r.relayctl("destinations")
		return strings.Contains(out, "connection refused")
	})
	for _, args := range [][]string{{"status"}, {"destinations"}, {"ls"}} {
		out, code := r.relayctl(args...)
		for _, line := range strings.Split(out, "\n") {
			if n := utf8.RuneCountInString(line); code != 0 || n > 100 {
				t.Errorf("relayctl %v: exit %d, a line of %d characters:\n%s", args, code, n, out)
				break
			}
		}
	}
	out, _ := r.relayctl("destinations")
	if !strings.Contains(out, "connect: connection refused\n") {
		t.Errorf("destinations does not end with the cause:\n%s", out)
	}
	if out, _ = r.relayctl("destinations", "-o", "wide"); !strings.Contains(out, "/with/a/rather/long/path?source=") {
		t.Errorf("destinations -o wide cut the URL:\n%s", out)
	}
}
