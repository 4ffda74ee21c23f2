package monitoring

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const (
	alertsFile     = "../../docs/monitoring/relayd-alerts.yaml"
	alertTestsFile = "../../docs/monitoring/relayd-alerts_test.yaml"
)

// promtool returns the path of promtool, or skips: it comes with Debian's
// prometheus package, which .ci/run installs.
func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not found: install Debian's prometheus package (.ci/run does) to validate the alert rules")
	}
	return path
}

// TestAlertRulesPassPromtool: `promtool check rules` accepts the shipped
// rules, and their unit tests pass (`promtool test rules`: input series,
// expected alerts with their labels and annotations).
func TestAlertRulesPassPromtool(t *testing.T) {
	bin := promtool(t)
	for _, args := range [][]string{
		{"check", "rules", alertsFile},
		{"test", "rules", alertTestsFile},
	} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// TestAlertRulesUseExportedMetricsAndNameACommand needs no promtool: each
// rule's expression uses only metrics relayd exports (a renamed metric
// would leave an alert that can never fire), the alerts the operations
// guide promises exist, and each tells the operator which relayctl command
// to run.
func TestAlertRulesUseExportedMetricsAndNameACommand(t *testing.T) {
	data, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	var rf ruleFile
	if err := yaml.Unmarshal(data, &rf); err != nil {
		t.Fatalf("%s: %v", alertsFile, err)
	}
	seen := map[string]bool{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			seen[r.Alert] = true
			if bad := unknownMetrics(r.Expr); len(bad) > 0 {
				t.Errorf("alert %s uses metrics relayd does not export: %v", r.Alert, bad)
			}
			if r.Annotations["summary"] == "" || !strings.Contains(r.Annotations["description"], "relayctl ") {
				t.Errorf("alert %s: want a summary and a description naming the relayctl command to run", r.Alert)
			}
			if r.Labels["severity"] == "" {
				t.Errorf("alert %s has no severity label", r.Alert)
			}
		}
	}
	for _, name := range []string{
		"RelaydDeadLetter", "RelaydOldestPendingTooOld", "RelaydDestinationBackingOff",
		"RelaydDestinationFailing", "RelaydStorageNearMaxDisk", "RelaydStorageNearMinFree",
		"RelaydUnhealthy", "RelaydReloadFailed",
	} {
		if !seen[name] {
			t.Errorf("no alert %s in %s", name, alertsFile)
		}
	}
}
