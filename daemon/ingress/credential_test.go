package ingress

import (
	"crypto/sha256"
	"net/http"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/relayd/relayd/daemon/config"
	"github.com/relayd/relayd/queue"
)

func TestRemoveQueryParam(t *testing.T) {
	cases := []struct {
		name, raw, param, want string
	}{
		{"solusvm", "serverId=42&secret=S", "secret", "serverId=42"},
		{"first", "secret=S&serverId=42&crStatus=ok", "secret", "serverId=42&crStatus=ok"},
		{"middle keeps order and encoding", "b=2&secret=S&a=%41+x&c=%zz", "secret", "b=2&a=%41+x&c=%zz"},
		{"every occurrence", "secret=1&x=1&secret=2&secret=3", "secret", "x=1"},
		{"only the parameter", "secret=S", "secret", ""},
		{"without a value", "secret&x=1", "secret", "x=1"},
		{"empty value", "x=1&secret=", "secret", "x=1"},
		{"encoded name", "secr%65t=S&x=1", "secret", "x=1"},
		{"name with a space as plus", "my+secret=S&x=1", "my secret", "x=1"},
		{"other names containing it", "xsecret=1&secretx=2&secret2=3", "secret", "xsecret=1&secretx=2&secret2=3"},
		{"value naming it", "x=secret&y=secret%3DS", "secret", "x=secret&y=secret%3DS"},
		{"case matters as for the check", "Secret=S&x=1", "secret", "Secret=S&x=1"},
		{"empty pairs elsewhere kept", "a=1&&b=2&secret=S", "secret", "a=1&&b=2"},
		{"empty query", "", "secret", ""},
		{"absent", "serverId=42&serverIps=10.0.0.1%2C10.0.0.2", "secret", "serverId=42&serverIps=10.0.0.1%2C10.0.0.2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := removeQueryParam(c.raw, c.param); got != c.want {
				t.Fatalf("removeQueryParam(%q, %q) = %q, want %q", c.raw, c.param, got, c.want)
			}
		})
	}
}

// FuzzRemoveQueryParam: whatever the query, the result carries no pair the
// token check would read as the parameter, and every other pair is kept
// byte for byte, in order.
func FuzzRemoveQueryParam(f *testing.F) {
	f.Add("serverId=42&secret=S", "secret")
	f.Add("secr%65t=S&a=%zz&&b", "secret")
	f.Fuzz(func(t *testing.T, raw, name string) {
		if name == "" {
			return
		}
		got := removeQueryParam(raw, name)
		var out fasthttp.Args
		out.Parse(got)
		if out.Has(name) {
			t.Fatalf("removeQueryParam(%q, %q) = %q still has the parameter", raw, name, got)
		}
		var want []string
		var one fasthttp.Args
		for _, pair := range strings.Split(raw, "&") {
			one.Parse(pair)
			if !one.Has(name) {
				want = append(want, pair)
			}
		}
		if w := strings.Join(want, "&"); got != w {
			t.Fatalf("removeQueryParam(%q, %q) = %q, want the other pairs unchanged: %q", raw, name, got, w)
		}
	})
}

func TestRemoveHeader(t *testing.T) {
	hs := []queue.Header{{Name: "X-Broker-Token", Value: "a"}, {Name: "Content-Type", Value: "b"},
		{Name: "x-broker-token", Value: "c"}, {Name: "X-Broker-Tokens", Value: "d"}}
	got := removeHeader(hs, "X-BROKER-TOKEN")
	if len(got) != 2 || got[0].Name != "Content-Type" || got[1].Name != "X-Broker-Tokens" {
		t.Fatalf("removeHeader = %v, want Content-Type and X-Broker-Tokens", got)
	}
}

// credentialConfig has token routes whose destination strips the token and
// one whose destination has forward_auth.
func credentialConfig() *config.Config {
	tq := &config.Auth{Token: &config.TokenAuth{Query: "secret", Value: testToken}}
	th := &config.Auth{Token: &config.TokenAuth{Header: "X-Broker-Token", Value: testToken},
		HMAC: &config.HMACAuth{Header: "X-Signature", Secret: testHMACKey}}
	cfg := testConfig(
		config.Route{Name: "solus", Path: "/solus", Auth: tq, Destinations: []string{"whmcs"}},
		config.Route{Name: "broker", Path: "/broker", Auth: th, Destinations: []string{"whmcs"}},
		config.Route{Name: "forwarded", Path: "/fwd", Auth: tq, Destinations: []string{"whmcs", "passthrough"}},
	)
	cfg.Destinations = []config.Destination{{Name: "whmcs"}, {Name: "passthrough", ForwardAuth: true}}
	return cfg
}

func TestConsumedCredentialIsNotStored(t *testing.T) {
	ts := startServer(t, credentialConfig(), Options{})
	body := `{"status":"CREATED"}`
	sig := hexMAC(sha256.New, testHMACKey, body)

	a := ts.call(t, http.MethodPost, "/solus?serverId=42&secret="+testToken+"&serverIps=10.0.0.1%2C10.0.0.2&secret="+testToken, "", nil)
	m := ts.message(t, wantAccepted(t, a, 202, "solus", []string{"whmcs"}, false))
	if m.Query != "serverId=42&serverIps=10.0.0.1%2C10.0.0.2" {
		t.Errorf("stored query %q, want the token removed and the rest byte for byte", m.Query)
	}

	a = ts.call(t, http.MethodPost, "/broker?x=1", jsonCT, []byte(body), "X-Broker-Token", testToken, "X-Signature", sig)
	m = ts.message(t, wantAccepted(t, a, 202, "broker", []string{"whmcs"}, false))
	if v, ok := headerValue(m, "X-Broker-Token"); ok {
		t.Errorf("stored X-Broker-Token %q, want it removed", v)
	}
	if v, _ := headerValue(m, "X-Signature"); v != sig {
		t.Errorf("stored X-Signature %q, want the signature kept (%q)", v, sig)
	}
	if m.Query != "x=1" {
		t.Errorf("stored query %q, want x=1", m.Query)
	}

	a = ts.call(t, http.MethodPost, "/fwd?serverId=42&secret="+testToken, "", nil)
	m = ts.message(t, wantAccepted(t, a, 202, "forwarded", []string{"whmcs", "passthrough"}, false))
	if m.Query != "serverId=42&secret="+testToken {
		t.Errorf("stored query %q, want it kept whole for the forward_auth destination", m.Query)
	}
}

func TestKeyReadingConsumedCredentialIsRefused(t *testing.T) {
	for _, key := range []string{"query.secret", "header.x-broker-token"} {
		cfg := credentialConfig()
		cfg.Routes[0].Auth.Token.Header = "X-Broker-Token"
		cfg.Routes[0].TracingKey = key
		_, err := compile(cfg)
		if err == nil || !strings.Contains(err.Error(), "tracing_key") {
			t.Errorf("tracing_key %s: compile error %v, want one naming tracing_key", key, err)
		}
		if err != nil && strings.Contains(err.Error(), testToken) {
			t.Errorf("error %q shows the token", err)
		}
	}
	cfg := credentialConfig()
	cfg.Routes[2].TracingKey = "query.secret" // forward_auth: the token is kept anyway
	if _, err := compile(cfg); err != nil {
		t.Errorf("forward_auth route: %v", err)
	}
}
