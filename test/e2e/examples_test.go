package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"
)

// exampleConfig reads configs/examples/NAME and points it at this test:
// ingress on 127.0.0.1:0, state and socket in the harness's directory, each
// destination URL's host replaced by the loopback address dests gives it,
// and each route's allow_ips by loopback. It fails when a key it rewrites
// is missing, so the example cannot drift away from what is tested here.
func exampleConfig(t *testing.T, name string, dests map[string]string) string {
	t.Helper()
	data, err := os.ReadFile("../../configs/examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	c["server"].(map[string]any)["listen"] = "127.0.0.1:0"
	c["admin"] = map[string]any{"socket": "{{socket}}"}
	c["storage"] = map[string]any{"dir": "{{dir}}/data"}
	for _, d := range c["destinations"].([]any) {
		d := d.(map[string]any)
		host, ok := dests[d["name"].(string)]
		if !ok {
			t.Fatalf("%s: destination %v has no loopback stand-in", name, d["name"])
		}
		u, err := url.Parse(d["url"].(string))
		if err != nil {
			t.Fatal(err)
		}
		u.Host = host
		d["url"] = u.String()
	}
	for _, r := range c["routes"].([]any) {
		auth, _ := r.(map[string]any)["auth"].(map[string]any)
		if auth["allow_ips"] == nil {
			t.Fatalf("%s: route %v has no allow_ips", name, r.(map[string]any)["name"])
		}
		auth["allow_ips"] = []string{"127.0.0.1/32"}
	}
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	// The harness looks for "\nadmin:" and "\nstorage:" to add its own.
	return "# configs/examples/" + name + " on loopback\n" + string(out)
}

// tlsSink is an HTTPS downstream on 127.0.0.1 with a self-signed
// certificate, like a WHMCS install; it records each request.
type tlsSink struct {
	mu   sync.Mutex
	reqs []received
	srv  *httptest.Server
}

func startTLSSink(t *testing.T) *tlsSink {
	t.Helper()
	s := &tlsSink{}
	s.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, received{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(body)})
		s.mu.Unlock()
		io.WriteString(w, "OK")
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *tlsSink) requests() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.reqs...)
}

// TestSolusVMExampleDeliversWithWHMCSSecret runs relayd on
// configs/examples/solusvm.yaml: a SolusVM 2 webhook (its parameters in the
// query string, its secret among them) reaches the WHMCS hook on a
// self-signed certificate with every SolusVM parameter and WHMCS's own
// secret, never SolusVM's; a wrong secret is refused.
func TestSolusVMExampleDeliversWithWHMCSSecret(t *testing.T) {
	const solus, whmcs = "solus-canary-Secret-3b9e", "whmcs-own-secret-c41d"
	t.Setenv("SOLUS_SECRET", solus)
	t.Setenv("WHMCS_HOOK_SECRET", whmcs)
	t.Setenv("RELAYD_STATUS_TOKEN", "status-token-e2e")
	hook := startTLSSink(t)
	r := newRelayd(t, exampleConfig(t, "solusvm.yaml", map[string]string{
		"whmcs": strings.TrimPrefix(hook.srv.URL, "https://"),
	}))
	r.start()

	// The parameters SolusVM 2 passes on every webhook (seeds: "A lista de
	// parâmetros passados por Webhooks"), then the user-defined secret.
	params := "crId=17&crHostname=cr1.example.net&crStatus=active&crLicenseType=standard" +
		"&serverId=42&serverIps=%5B%2210.0.0.1%22%2C%2210.0.0.2%22%5D&serverHostname=vps42.example.net" +
		"&serverUuid=6f1c2a4e-9b7d-4c3e-8a21-0d5f7e9b1c23&serverStatus=started&userId=7&billingUserId=1007" +
		"&userEmail=alice%40example.net&userStatus=active&userAllowedIps=%5B%5D"
	if status, answer := r.post("/hooks/solusvm?"+params+"&secret=wrong-"+solus, "", ""); status != http.StatusUnauthorized {
		t.Fatalf("wrong secret: want 401, got %d %s", status, answer)
	}
	a := r.accept("/hooks/solusvm?"+params+"&secret="+solus, "", "")
	if a.Route != "solusvm" {
		t.Fatalf("route %q, want solusvm", a.Route)
	}

	waitFor(t, "the WHMCS hook to get the event", func() bool { return len(hook.requests()) == 1 })
	got := hook.requests()[0]
	if got.Method != http.MethodPost || got.Path != "/modules/servers/solusvm2vps/hook_relayd.php" {
		t.Errorf("hook got %s %s", got.Method, got.Path)
	}
	if strings.Contains(got.Query+got.Body+strings.Join(headerValues(got.Header), " "), solus) {
		t.Errorf("the WHMCS hook received SolusVM's secret: %s", got.Query)
	}
	q, err := url.ParseQuery(got.Query)
	if err != nil {
		t.Fatal(err)
	}
	if !equalStrings(q["secret"], []string{whmcs}) {
		t.Errorf("hook's secret parameter = %q, want only WHMCS_HOOK_SECRET", q["secret"])
	}
	want, _ := url.ParseQuery(params)
	for k, v := range want {
		if !equalStrings(q[k], v) {
			t.Errorf("SolusVM parameter %s = %q at the hook, want %q", k, q[k], v)
		}
	}
	if got.Header.Get("X-Relay-Id") != a.ID {
		t.Errorf("X-Relay-Id %q, want %s", got.Header.Get("X-Relay-Id"), a.ID)
	}
}

func headerValues(h http.Header) []string {
	var all []string
	for k, vs := range h {
		all = append(all, k)
		all = append(all, vs...)
	}
	return all
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
