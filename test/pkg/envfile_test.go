package pkg

import (
	"regexp"
	"testing"
)

// TestEnvFileListsProductionVariables: /etc/relayd/relayd.env names every
// ${VAR} the production reference uses, so an admin copying from it finds
// each variable to set.
func TestEnvFileListsProductionVariables(t *testing.T) {
	env := readFile(t, "../../systemd/relayd.env")
	prod := readFile(t, "../../configs/relayd.production.yaml")
	for _, m := range regexp.MustCompile(`\$\{([A-Z_][A-Z0-9_]*)`).FindAllStringSubmatch(prod, -1) {
		if m[1] == "VAR" { // the comment explaining ${VAR}
			continue
		}
		if !regexp.MustCompile(`(?m)^#?` + m[1] + `=`).MatchString(env) {
			t.Errorf("systemd/relayd.env does not list %s (used by relayd.production.yaml)", m[1])
		}
	}
}
