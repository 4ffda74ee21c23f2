package client

import (
	"os/exec"
	"strings"
	"testing"
)

// The client is linked into relayctl: it must stay standard library only.
func TestImportsOnlyStandardLibrary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p != "github.com/relayd/relayd/daemon/admin/client" {
			t.Errorf("client depends on %s", p)
		}
	}
}
