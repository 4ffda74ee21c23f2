package daemon

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// importRules is the layout of docs/DESIGN.md: for every package of ours
// (a path, or "dir/..." for it and everything under it), the packages of
// ours it may depend on, directly or not. The most specific pattern
// applies; a package no pattern covers fails the test, so a new package
// states its place here.
//
// cli → daemon → {ingress, admin, relay} → queue. The one edge that is not
// downward is daemon/webhooksig, imported by relay (signs) and ingress
// (verifies): it is a leaf that imports nothing of ours, so neither
// importer pulls in the other or anything of the daemon through it.
var importRules = map[string][]string{
	"queue/...":         {"queue/..."}, // the store and its internal packages only
	"daemon/webhooksig": {},            // the leaf both relay and ingress use
	"daemon/config":     {},
	"configs":           {},
	"relay":             {"queue/...", "daemon/webhooksig"},
	// ingress imports nothing under relay/: it persists, relay delivers.
	"daemon/ingress":      {"daemon/config", "queue/...", "daemon/webhooksig"},
	"daemon/admin/client": {},
	// admin serves the operator's commands on the queue and the relay and
	// speaks its client's wire types; it neither reads config nor routes.
	"daemon/admin":           {"daemon/admin/client", "queue/...", "relay", "daemon/webhooksig"},
	"daemon/admin/admintest": {"daemon/admin", "daemon/admin/client", "queue/...", "relay", "daemon/webhooksig"},
	"daemon/metrics":         {"queue/...", "relay", "daemon/webhooksig"},
	"daemon":                 {"daemon/...", "queue/...", "relay/..."},
	"cli/relayctl":           {"daemon/admin/client", "daemon/config", "configs"},
	"cli/relayd":             {"daemon/...", "queue/...", "relay/...", "configs"},
	// The end-to-end, bench and torture tests drive the real binaries.
	"test/...": {},
}

// TestImportsPointOneWay enforces importRules for every package of the
// module, with `go list -deps`.
func TestImportsPointOneWay(t *testing.T) {
	const mod = "github.com/relayd/relayd"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, mod+"/...").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], mod+"/")
		allowed, ok := ruleFor(pkg)
		if !ok {
			t.Errorf("%s has no import rule; add it to importRules", pkg)
			continue
		}
		checked++
		for _, dep := range fields[1:] {
			rel, ours := strings.CutPrefix(dep, mod+"/")
			if !ours || rel == pkg {
				continue
			}
			if !slices.ContainsFunc(allowed, func(p string) bool { return matches(p, rel) }) {
				t.Errorf("%s imports %s; allowed: %v", pkg, rel, allowed)
			}
		}
	}
	if checked < len(importRules) {
		t.Errorf("checked %d packages, fewer than the %d rules: go list missed some", checked, len(importRules))
	}
}

// ruleFor returns the rule of the most specific pattern covering pkg.
func ruleFor(pkg string) (allowed []string, ok bool) {
	best := ""
	for p := range importRules {
		if matches(p, pkg) && len(p) > len(best) {
			best = p
		}
	}
	allowed, ok = importRules[best]
	return allowed, ok
}

// matches reports whether pattern ("a/b" or "a/b/...") covers pkg.
func matches(pattern, pkg string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pkg == pattern
}
