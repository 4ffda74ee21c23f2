package main

import (
	"strings"
	"testing"
)

// TestConfigManPageQuotesTheReference: every line of the reference reaches
// the page, and none of them can act as a roff request or escape.
func TestConfigManPageQuotesTheReference(t *testing.T) {
	ref := "storage:\n  dir: /var/lib/relayd\n.so /etc/shadow\n'bp\nsecret: \"a\\fBb\"\n"
	page := configManPage(ref)
	body, ok := between(page, ".nf\n", ".fi\n")
	if !ok {
		t.Fatalf("no .nf/.fi block in:\n%s", page)
	}
	want := "storage:\n  dir: /var/lib/relayd\n\\&.so /etc/shadow\n\\&'bp\nsecret: \"a\\efBb\"\n"
	if body != want {
		t.Errorf("literal block:\n%s\nwant:\n%s", body, want)
	}
}

func between(s, start, end string) (string, bool) {
	_, rest, ok := strings.Cut(s, start)
	if !ok {
		return "", false
	}
	body, _, ok := strings.Cut(rest, end)
	return body, ok
}
