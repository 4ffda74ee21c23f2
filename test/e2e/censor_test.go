package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func censorConfig(sinkAddr, token string) string {
	return `
server:
  listen: 127.0.0.1:0
  status_token: st-canary-0
` + fastRetry + `
destinations:
  - name: billing
    url: http://hook:url-canary-9@` + sinkAddr + `/billing?key=url-canary-8
routes:
  - name: hooks
    path: /hook
    auth:
      token: {header: X-Hook-Auth, value: ` + token + `}
    destinations: [billing]
`
}

// What relayctl and the status endpoint show never holds a configured
// secret, and a reload's new secrets are censored at once.
func TestShownOutputHoldsNoSecret(t *testing.T) {
	sk := startSink(t, "127.0.0.1:0")
	r := newRelayd(t, censorConfig(sk.addr, "tok-canary-1"))
	r.start()
	r.relayctl("pause", "billing")
	post := func(token, body string) accepted {
		req, _ := http.NewRequest(http.MethodPost, r.url("/hook"), strings.NewReader(body))
		req.Header.Set("X-Hook-Auth", token)
		req.Header.Set("Content-Type", "text/plain")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return mustAccept(t, resp.StatusCode, string(b))
	}
	a := post("tok-canary-1", "old tok-canary-1, next tok-canary-2, url-canary-9, st-canary-0")
	shown := func() string {
		show, code := r.relayctl("--json", "show", a.ID)
		dests, code2 := r.relayctl("--json", "destinations")
		req, _ := http.NewRequest(http.MethodGet, r.url("/_relay/messages/"+a.ID), nil)
		req.Header.Set("Authorization", "Bearer st-canary-0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || code != 0 || code2 != 0 {
			t.Fatalf("show %d, destinations %d, status endpoint %v", code, code2, err)
		}
		defer resp.Body.Close()
		status, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status endpoint: %d %s", resp.StatusCode, status)
		}
		return show + dests + string(status)
	}
	out := shown()
	for _, secret := range []string{"tok-canary-1", "url-canary-9", "url-canary-8", "st-canary-0"} {
		if strings.Contains(out, secret) {
			t.Errorf("%s shown:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "tok-canary-2") {
		t.Fatalf("not yet a secret, yet censored:\n%s", out)
	}
	r.writeConfig(censorConfig(sk.addr, "tok-canary-2"))
	if out, code := r.relayctl("reload"); code != 0 {
		t.Fatalf("reload: %d %s", code, out)
	}
	if out := shown(); strings.Contains(out, "tok-canary-2") {
		t.Errorf("tok-canary-2 shown after the reload made it a secret:\n%s", out)
	}
	if strings.Contains(r.Logs(), "canary") {
		t.Errorf("a secret in the log:\n%s", r.Logs())
	}
}
