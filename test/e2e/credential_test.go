package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Inbound credentials (canaries: they must appear nowhere downstream) and
// the destinations' own ones.
const (
	solusSecret  = "solus-inbound-Secret-7f3a"
	brokerToken  = "broker-inbound-Token-91c2"
	whmcsSecret  = "whmcs-dest-secret-55d0"
	billingToken = "billing-dest-token-a8e4"
)

func credentialConfig(sinkAddr string) string {
	return `
server:
  listen: 127.0.0.1:0
` + fastRetry + `
destinations:
  - name: whmcs
    url: http://` + sinkAddr + `/whmcs/hook.php
    forward_query: true
    query: {secret: ` + whmcsSecret + `}
  - name: billing
    url: http://` + sinkAddr + `/billing
    headers: {Authorization: "Bearer ` + billingToken + `"}
routes:
  - name: solusvm
    path: /solus
    methods: [POST]
    auth:
      token: {query: secret, value: ` + solusSecret + `}
    destinations: [whmcs]
  - name: broker
    path: /broker
    methods: [POST]
    auth:
      token: {header: X-Broker-Token, value: ` + brokerToken + `}
    destinations: [billing]
`
}

// TestConsumedCredentialStaysOnItsHop: the token a route's auth consumed
// (SolusVM's ?secret=, a broker's X-Broker-Token) reaches no destination
// and is not stored; each destination gets its own credential instead.
func TestConsumedCredentialStaysOnItsHop(t *testing.T) {
	sk := startSink(t, "127.0.0.1:0")
	r := newRelayd(t, credentialConfig(sk.addr))
	r.start()

	solus := r.accept("/solus?serverId=42&secret="+solusSecret, "", "")
	req, _ := http.NewRequest(http.MethodPost, r.url("/broker"), strings.NewReader(`{"status":"CREATED"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Broker-Token", brokerToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	broker := mustAccept(t, resp.StatusCode, string(answer))

	waitFor(t, "both delivered", func() bool { return len(sk.requests()) == 2 })
	for _, got := range sk.requests() {
		all := fmt.Sprint(got.Query, got.Header, got.Body)
		for _, canary := range []string{solusSecret, brokerToken} {
			if strings.Contains(all, canary) {
				t.Errorf("%s received the inbound credential %q: %s", got.Path, canary, all)
			}
		}
		switch got.Path {
		case "/whmcs/hook.php":
			q, err := url.ParseQuery(got.Query)
			if err != nil || q.Get("serverId") != "42" || len(q["secret"]) != 1 || q.Get("secret") != whmcsSecret || len(q) != 2 {
				t.Errorf("whmcs got query %q, want serverId=42 and its own secret once", got.Query)
			}
		case "/billing":
			if v := got.Header.Values("X-Broker-Token"); len(v) != 0 {
				t.Errorf("billing got X-Broker-Token %q", v)
			}
			if a := got.Header.Get("Authorization"); a != "Bearer "+billingToken {
				t.Errorf("billing got Authorization %q, want its own", a)
			}
		default:
			t.Errorf("unexpected delivery to %s", got.Path)
		}
	}
	for _, id := range []string{solus.ID, broker.ID} {
		out, code := r.relayctl("--json", "show", id)
		if code != 0 || !strings.Contains(out, id) {
			t.Fatalf("relayctl show %s: exit %d %s", id, code, out)
		}
		for _, canary := range []string{solusSecret, brokerToken} {
			if strings.Contains(out, canary) {
				t.Errorf("relayctl show %s shows the inbound credential: %s", id, out)
			}
		}
	}
	for _, canary := range []string{solusSecret, brokerToken, whmcsSecret, billingToken} {
		if strings.Contains(r.Logs(), canary) {
			t.Errorf("relayd logged a credential")
		}
	}
}

// TestConsumedTokenStaysOnItsHop: forward_auth passes the consumed token
// on to that destination alone; the rest of the raw query is kept.
func TestConsumedTokenStaysOnItsHop(t *testing.T) {
	plain := startSink(t, "127.0.0.1:0")
	fwd := startSink(t, "127.0.0.1:0")
	r := newRelayd(t, `
server:
  listen: 127.0.0.1:0
`+fastRetry+`
destinations:
  - {name: plain, url: "http://`+plain.addr+`/cb", forward_query: true}
  - {name: fwd, url: "http://`+fwd.addr+`/cb", forward_query: true, forward_auth: true}
routes:
  - name: solus
    path: /eq_callback
    auth: {token: {query: secret, value: s3cr3t-token}}
    destinations: [plain, fwd]
`)
	r.start()
	r.accept("/eq_callback?serverId=42&secret=s3cr3t-token&b=%2F", "text/plain", "x")
	waitFor(t, "both delivered", func() bool { return len(plain.requests()) == 1 && len(fwd.requests()) == 1 })
	if q := plain.requests()[0].Query; q != "serverId=42&b=%2F" {
		t.Errorf("without forward_auth the destination got query %q, want %q", q, "serverId=42&b=%2F")
	}
	if q := fwd.requests()[0].Query; q != "serverId=42&secret=s3cr3t-token&b=%2F" {
		t.Errorf("with forward_auth the destination got query %q, want the inbound one", q)
	}
}
