package configs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/relayd/relayd/daemon/config"
)

// TestEveryConfigParses loads every *.yaml here and in examples/ (one per
// sender) with the environment a deployment would provide and fails on any
// problem.
func TestEveryConfigParses(t *testing.T) {
	setProductionEnv(t)
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("found %d config files, want at least relayd.example.yaml and relayd.production.yaml", len(files))
	}
	examples, err := filepath.Glob("examples/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(examples) < 3 {
		t.Fatalf("found %d configs in examples/, want at least solusvm, eq_callback and anynines", len(examples))
	}
	files = append(files, examples...)
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			if _, err := config.Load(f); err != nil {
				t.Fatalf("Load(%s):\n%v", f, err)
			}
		})
	}
}

// TestExampleNeedsNoEnvironment: the embedded default must start on a bare
// machine, so every ${VAR} in it needs a :-default.
func TestExampleNeedsNoEnvironment(t *testing.T) {
	for _, m := range regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)`).FindAllStringSubmatch(string(Example), -1) {
		t.Setenv(m[1], "") // restores the variable after the test
		os.Unsetenv(m[1])
	}
	c, err := config.Parse(Example, "embedded example")
	if err != nil {
		t.Fatalf("Parse(Example):\n%v", err)
	}
	if c.Server.Listen != "127.0.0.1:8080" || c.Admin.MetricsListen != "" {
		t.Errorf("listen %q, metrics_listen %q; want 127.0.0.1:8080 and off", c.Server.Listen, c.Admin.MetricsListen)
	}
	if filepath.IsAbs(c.Storage.Dir) || filepath.IsAbs(c.Admin.Socket) {
		t.Errorf("storage.dir %q / admin.socket %q must be relative for a developer", c.Storage.Dir, c.Admin.Socket)
	}
	for _, name := range []string{"eq-callback", "solusvm", "anynines"} {
		if !hasRoute(c, name) {
			t.Errorf("example has no route %q", name)
		}
	}
}

// TestExampleDeliversOnlyToLoopback guards `make run`: it really delivers,
// so no destination of the example may be another host.
func TestExampleDeliversOnlyToLoopback(t *testing.T) {
	c, err := config.Parse(Example, "embedded example")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range c.Destinations {
		u, err := url.Parse(d.URL)
		if err != nil {
			t.Fatal(err)
		}
		if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
			t.Errorf("destination %s: %s is not a loopback IP", d.Name, d.URL)
		}
	}
}

// TestProductionShowsEveryKey keeps the reference complete: every key of
// the Config tree must appear in relayd.production.yaml.
func TestProductionShowsEveryKey(t *testing.T) {
	data, err := os.ReadFile("relayd.production.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	nodeKeys(doc.Content[0], "", have)
	want := map[string]bool{}
	typeKeys(reflect.TypeOf(config.Config{}), "", want)
	var missing []string
	for k := range want {
		if !have[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("relayd.production.yaml does not show these keys:\n  %s", strings.Join(missing, "\n  "))
	}
}

func hasRoute(c *config.Config, name string) bool {
	for _, r := range c.Routes {
		if r.Name == name {
			return true
		}
	}
	return false
}

// typeKeys lists the YAML key paths of a struct type ("destinations[].url").
// Maps are leaves: their keys are data, not schema.
func typeKeys(t reflect.Type, prefix string, out map[string]bool) {
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		path := strings.TrimPrefix(prefix+"."+name, ".")
		out[path] = true
		ft := t.Field(i).Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			if ft.Kind() == reflect.Slice {
				path += "[]"
			}
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft.NumField() > 0 && ft.Field(0).IsExported() && ft.Field(0).Tag.Get("yaml") != "" {
			typeKeys(ft, path, out)
		}
	}
}

// nodeKeys lists the key paths present in a YAML tree, in typeKeys' form.
func nodeKeys(n *yaml.Node, prefix string, out map[string]bool) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			path := strings.TrimPrefix(prefix+"."+n.Content[i].Value, ".")
			out[path] = true
			nodeKeys(n.Content[i+1], path, out)
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			nodeKeys(item, prefix+"[]", out)
		}
	}
}

// setProductionEnv provides the secrets relayd.production.yaml reads, and a
// real CA file for its ca_file.
func setProductionEnv(t *testing.T) {
	t.Helper()
	for name, value := range map[string]string{
		"RELAYD_STATUS_TOKEN":    "status-token",
		"BILLING_TOKEN":          "billing-token",
		"BILLING_SIGNING_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"EQ_HMAC_SECRET":         "eq-hmac-secret",
		"SOLUS_SECRET":           "solus-secret",
		"WHMCS_HOOK_SECRET":      "whmcs-hook-secret",
		"OPS_ALERTS_TOKEN":       "ops-alerts-token",
		"PLATFORM_API_KEY":       "platform-key",
		"BROKER_TOKEN":           "broker-token",
		"EVENTS_WEBHOOK_SECRET":  "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
		"RELAYD_CA_FILE":         writeCA(t),
	} {
		t.Setenv(name, value)
	}
}

// writeCA writes a freshly generated self-signed certificate as PEM.
func writeCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "relayd test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
