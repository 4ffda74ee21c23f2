package daemon

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsPointOneWay enforces the layout of docs/DESIGN.md:
// cli → daemon → {ingress, admin, relay} → queue, and relayctl stays small.
func TestImportsPointOneWay(t *testing.T) {
	const mod = "github.com/relayd/relayd"
	allowed := map[string][]string{
		"queue":               {},
		"relay/webhooksig":    {},
		"relay":               {"queue", "relay/webhooksig"},
		"daemon/config":       {},
		"daemon/admin/client": {},
		"cli/relayctl":        {"daemon/admin/client", "daemon/config", "configs"},
		"daemon/ingress":      {"daemon/config", "queue", "relay/webhooksig"},
		"daemon/metrics":      {"queue", "relay", "relay/webhooksig"},
	}
	for pkg, ok := range allowed {
		out, err := exec.Command("go", "list", "-deps", mod+"/"+pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			rel, ours := strings.CutPrefix(dep, mod+"/")
			// An internal package is part of its parent (Go lets no
			// other package import it): queue/internal/wal is queue.
			if parent, _, internal := strings.Cut(rel, "/internal/"); internal {
				rel = parent
			}
			if !ours || rel == pkg {
				continue
			}
			if !contains(ok, rel) {
				t.Errorf("%s imports %s; allowed: %v", pkg, rel, ok)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
