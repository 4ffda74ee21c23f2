package configs

import (
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/relayd/relayd/daemon/config"
)

// loadExample loads examples/NAME with the production environment.
func loadExample(t *testing.T, name string) *config.Config {
	t.Helper()
	setProductionEnv(t)
	c, err := config.Load("examples/" + name)
	if err != nil {
		t.Fatalf("Load(examples/%s):\n%v", name, err)
	}
	return c
}

func route(t *testing.T, c *config.Config, name string) config.Route {
	t.Helper()
	for _, r := range c.Routes {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no route %q", name)
	return config.Route{}
}

func destination(t *testing.T, c *config.Config, name string) config.Destination {
	t.Helper()
	for _, d := range c.Destinations {
		if d.Name == name {
			return d
		}
	}
	t.Fatalf("no destination %q", name)
	return config.Destination{}
}

// TestSolusVMExampleKeepsEachSecretOnItsHop: the SolusVM route checks the
// management node's address and SolusVM's token (consumed there), and the
// WHMCS destination carries its own secret, the SolusVM parameters and
// tls_skip_verify for the hook's self-signed certificate.
func TestSolusVMExampleKeepsEachSecretOnItsHop(t *testing.T) {
	c := loadExample(t, "solusvm.yaml")
	r := route(t, c, "solusvm")
	if r.Auth == nil || len(r.Auth.AllowIPs) == 0 {
		t.Fatal("solusvm route has no allow_ips for the management node")
	}
	if r.Auth.Token == nil || r.Auth.Token.Query != "secret" || r.Auth.Token.Value != "solus-secret" {
		t.Errorf("solusvm route token = %+v, want the query parameter secret checked against ${SOLUS_SECRET}", r.Auth.Token)
	}
	if !slices.Equal(r.Destinations, []string{"whmcs"}) {
		t.Errorf("solusvm route delivers to %v, want [whmcs]", r.Destinations)
	}
	d := destination(t, c, "whmcs")
	if d.Query["secret"] != "whmcs-hook-secret" {
		t.Errorf("whmcs query secret = %q, want ${WHMCS_HOOK_SECRET}", d.Query["secret"])
	}
	if d.ForwardAuth {
		t.Error("whmcs has forward_auth: SolusVM's secret would reach WHMCS")
	}
	if skip := d.TLSSkipVerify != nil && *d.TLSSkipVerify; !d.ForwardQuery || !skip {
		t.Errorf("whmcs forward_query %v, tls_skip_verify %v; want both", d.ForwardQuery, skip)
	}
}

// TestAnyninesExampleTracesAndOrders: the broker's tracing_id becomes
// X-Request-Id and one service instance's events stay in order.
func TestAnyninesExampleTracesAndOrders(t *testing.T) {
	r := route(t, loadExample(t, "anynines.yaml"), "anynines")
	if r.TracingKey != "json.tracing_id" || r.OrderingKey != "json.service_instance_guid" {
		t.Errorf("tracing_key %q, ordering_key %q; want json.tracing_id and json.service_instance_guid", r.TracingKey, r.OrderingKey)
	}
}

// TestEqCallbackExampleDeliversEveryStage: a task calls back once per stage
// with the same key, so an idempotency key on form.key would drop stages.
func TestEqCallbackExampleDeliversEveryStage(t *testing.T) {
	r := route(t, loadExample(t, "eq_callback.yaml"), "eq-callback")
	if r.IdempotencyKey != "" {
		t.Errorf("idempotency_key %q would drop every stage but the first", r.IdempotencyKey)
	}
	if r.OrderingKey != "form.key" || !slices.Equal(r.Destinations, []string{"billing", "mailer"}) {
		t.Errorf("ordering_key %q, destinations %v; want form.key and [billing mailer]", r.OrderingKey, r.Destinations)
	}
}

// TestExamplesUseDocumentationAddresses: an example copied as it is must not
// deliver to, or admit, a real host by accident.
func TestExamplesUseDocumentationAddresses(t *testing.T) {
	for _, name := range []string{"solusvm.yaml", "eq_callback.yaml", "anynines.yaml"} {
		c := loadExample(t, name)
		for _, d := range c.Destinations {
			u, err := url.Parse(d.URL)
			if err != nil {
				t.Fatal(err)
			}
			if h := u.Hostname(); !strings.HasSuffix(h, ".example.internal") {
				t.Errorf("%s: destination %s host %q is not under example.internal", name, d.Name, h)
			}
		}
		for _, r := range c.Routes {
			if r.Auth == nil {
				t.Errorf("%s: route %s has no auth", name, r.Name)
				continue
			}
			for _, cidr := range r.Auth.AllowIPs {
				if !privateOrDoc(cidr) {
					t.Errorf("%s: route %s allows %s, want a private or documentation range", name, r.Name, cidr)
				}
			}
		}
	}
}

// privateOrDoc reports whether cidr is RFC 1918 or TEST-NET-3 (203.0.113.0/24).
func privateOrDoc(cidr string) bool {
	ip, _, err := net.ParseCIDR(cidr)
	if err != nil {
		ip = net.ParseIP(cidr)
	}
	if ip == nil {
		return false
	}
	_, testNet3, _ := net.ParseCIDR("203.0.113.0/24")
	return ip.IsPrivate() || testNet3.Contains(ip)
}
