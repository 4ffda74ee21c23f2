package ingress

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relayd/relayd/daemon/config"
	"github.com/relayd/relayd/daemon/webhooksig"
)

const (
	testToken   = "t0p-s3cret-token"
	testHMACKey = "hmac-key-value"
	testWhsec   = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

func hexMAC(h func() hash.Hash, key, body string) string {
	m := hmac.New(h, []byte(key))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

func authConfig() *config.Config {
	return testConfig(
		config.Route{Name: "token-query", Path: "/tq", Auth: &config.Auth{Token: &config.TokenAuth{Query: "secret", Value: testToken}},
			Destinations: []string{"d"}},
		config.Route{Name: "token-header", Path: "/th", Auth: &config.Auth{Token: &config.TokenAuth{Header: "X-Token", Value: testToken}},
			Destinations: []string{"d"}},
		config.Route{Name: "hmac", Path: "/hmac", Auth: &config.Auth{HMAC: &config.HMACAuth{Header: "X-Signature",
			Secret: testHMACKey, Algo: "sha256", Prefix: "sha256="}}, Destinations: []string{"d"}},
		config.Route{Name: "hmac-sha1", Path: "/hmac1", Auth: &config.Auth{HMAC: &config.HMACAuth{Header: "X-Hub-Signature",
			Secret: testHMACKey, Algo: "sha1"}}, Destinations: []string{"d"}},
		config.Route{Name: "webhooks", Path: "/sw", Auth: &config.Auth{StandardWebhooks: &config.StandardWebhooks{Secret: testWhsec}},
			Destinations: []string{"d"}},
		config.Route{Name: "loopback", Path: "/ip-ok", Auth: &config.Auth{AllowIPs: []string{"127.0.0.0/8"}}, Destinations: []string{"d"}},
		config.Route{Name: "elsewhere", Path: "/ip-no", Auth: &config.Auth{AllowIPs: []string{"10.0.0.0/8", "::1"}}, Destinations: []string{"d"}},
		config.Route{Name: "all", Path: "/all", Auth: &config.Auth{AllowIPs: []string{"127.0.0.1"},
			Token: &config.TokenAuth{Header: "X-Token", Value: testToken},
			HMAC:  &config.HMACAuth{Header: "X-Signature", Secret: testHMACKey}}, Destinations: []string{"d"}},
	)
}

func TestAuth(t *testing.T) {
	ts := startServer(t, authConfig(), Options{})
	body := `{"event":"server.created","serverId":7}`
	now := time.Now()
	swSig, err := webhooksig.Sign(testWhsec, "msg_1", now, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	rotSig, _ := webhooksig.Sign(testWhsec, "msg_r", now, []byte(body))
	swTS := strconv.FormatInt(now.Unix(), 10)
	oldTS := strconv.FormatInt(now.Add(-time.Hour).Unix(), 10)
	oldSig, _ := webhooksig.Sign(testWhsec, "msg_1", now.Add(-time.Hour), []byte(body))
	good256 := "sha256=" + hexMAC(sha256.New, testHMACKey, body)

	cases := []struct {
		name       string
		uri        string
		headers    []string
		wantStatus int
	}{
		{"token query good", "/tq?serverId=1&secret=" + testToken, nil, 202},
		{"token query wrong", "/tq?secret=" + testToken + "x", nil, 401},
		{"token query missing", "/tq", nil, 401},
		{"token query in header does not count", "/tq", []string{"secret", testToken}, 401},
		{"token header good", "/th", []string{"X-Token", testToken}, 202},
		{"token header case-insensitive name", "/th", []string{"x-token", testToken}, 202},
		{"token header wrong", "/th", []string{"X-Token", strings.ToUpper(testToken)}, 401},
		{"token header prefix only", "/th", []string{"X-Token", testToken[:5]}, 401},
		{"hmac good", "/hmac", []string{"X-Signature", good256}, 202},
		{"hmac upper-case hex", "/hmac", []string{"X-Signature", "sha256=" + strings.ToUpper(hexMAC(sha256.New, testHMACKey, body))}, 202},
		{"hmac without prefix", "/hmac", []string{"X-Signature", hexMAC(sha256.New, testHMACKey, body)}, 401},
		{"hmac wrong key", "/hmac", []string{"X-Signature", "sha256=" + hexMAC(sha256.New, "other", body)}, 401},
		{"hmac other body", "/hmac", []string{"X-Signature", "sha256=" + hexMAC(sha256.New, testHMACKey, body+" ")}, 401},
		{"hmac not hex", "/hmac", []string{"X-Signature", "sha256=" + strings.Repeat("zz", 32)}, 401},
		{"hmac missing", "/hmac", nil, 401},
		{"hmac sha1", "/hmac1", []string{"X-Hub-Signature", hexMAC(sha1.New, testHMACKey, body)}, 202},
		{"hmac sha1 given sha256", "/hmac1", []string{"X-Hub-Signature", hexMAC(sha256.New, testHMACKey, body)}, 401},
		{"webhooks good", "/sw", []string{"webhook-id", "msg_1", "webhook-timestamp", swTS, "webhook-signature", swSig}, 202},
		{"webhooks several signatures", "/sw", []string{"webhook-id", "msg_r", "webhook-timestamp", swTS,
			"webhook-signature", "v1,AAAA " + rotSig}, 202},
		{"webhooks other id", "/sw", []string{"webhook-id", "msg_2", "webhook-timestamp", swTS, "webhook-signature", swSig}, 401},
		{"webhooks too old", "/sw", []string{"webhook-id", "msg_1", "webhook-timestamp", oldTS, "webhook-signature", oldSig}, 401},
		{"webhooks missing", "/sw", nil, 401},
		{"ip allowed", "/ip-ok", nil, 202},
		{"ip not allowed", "/ip-no", nil, 403},
		{"all checks pass", "/all", []string{"X-Token", testToken, "X-Signature", hexMAC(sha256.New, testHMACKey, body)}, 202},
		{"all but hmac", "/all", []string{"X-Token", testToken, "X-Signature", "00"}, 401},
		{"all but token", "/all", []string{"X-Signature", hexMAC(sha256.New, testHMACKey, body)}, 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := ts.stored(t)
			a := ts.call(t, http.MethodPost, tc.uri, jsonCT, []byte(body), tc.headers...)
			switch tc.wantStatus {
			case 202:
				wantAccepted(t, a, 202, a.json["route"].(string), []string{"d"}, false)
			case 401:
				wantError(t, a, 401, "unauthorized")
			case 403:
				wantError(t, a, 403, "forbidden")
			}
			want := before
			if tc.wantStatus == 202 {
				want++
			}
			if n := ts.stored(t); n != want {
				t.Errorf("%d messages stored, want %d", n, want)
			}
		})
	}
	for _, secret := range []string{testToken, testHMACKey, testWhsec} {
		if strings.Contains(ts.logs.String(), secret) {
			t.Errorf("a secret was logged: %q", secret)
		}
	}
	if !strings.Contains(ts.logs.String(), "callback rejected") {
		t.Error("rejections were not logged")
	}
}

func TestTrustedProxies(t *testing.T) {
	route := config.Route{Name: "office", Path: "/cb", Auth: &config.Auth{AllowIPs: []string{"203.0.113.0/24"}},
		Destinations: []string{"d"}}
	open := config.Route{Name: "open", Path: "/open", Destinations: []string{"d"}}

	cases := []struct {
		name       string
		trusted    []string
		xff        []string
		path       string
		wantStatus int
		wantRemote string
	}{
		{"untrusted peer: X-Forwarded-For ignored", nil, []string{"203.0.113.9"}, "/cb", 403, ""},
		{"trusted peer: client from X-Forwarded-For", []string{"127.0.0.0/8"}, []string{"203.0.113.9"}, "/cb", 202, "203.0.113.9"},
		{"right-most untrusted entry wins", []string{"127.0.0.0/8", "10.0.0.0/8"},
			[]string{"203.0.113.9, 198.51.100.1, 10.1.1.1"}, "/cb", 403, ""},
		{"spoofed left entry ignored", []string{"127.0.0.0/8"}, []string{"198.51.100.1, 203.0.113.7"}, "/cb", 202, "203.0.113.7"},
		{"several headers are one list", []string{"127.0.0.0/8", "10.0.0.0/8"}, []string{"1.1.1.1", "203.0.113.5, 10.0.0.2"}, "/cb", 202, "203.0.113.5"},
		{"entry with port", []string{"127.0.0.1/32"}, []string{"203.0.113.4:5555"}, "/cb", 202, "203.0.113.4"},
		{"unparseable entry: unknown client", []string{"127.0.0.0/8"}, []string{"203.0.113.9, garbage"}, "/cb", 403, ""},
		{"no header: the peer", []string{"127.0.0.0/8"}, nil, "/open", 202, "127.0.0.1"},
		{"remote stored from X-Forwarded-For", []string{"127.0.0.0/8"}, []string{"2001:db8::1"}, "/open", 202, "2001:db8::1"},
	}
	// One server; trusted_proxies is swapped live by Apply for each case.
	ts := startServer(t, testConfig(route, open), Options{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(route, open)
			cfg.Server.TrustedProxies = tc.trusted
			if err := ts.Apply(cfg); err != nil {
				t.Fatal(err)
			}
			before := ts.stored(t)
			var hs []string
			for _, x := range tc.xff {
				hs = append(hs, "X-Forwarded-For", x)
			}
			a := ts.call(t, http.MethodPost, tc.path, "", nil, hs...)
			if tc.wantStatus == 403 {
				wantError(t, a, 403, "forbidden")
				if n := ts.stored(t); n != before {
					t.Errorf("forbidden request persisted")
				}
				return
			}
			id := wantAccepted(t, a, 202, a.json["route"].(string), []string{"d"}, false)
			if m := ts.message(t, id); m.RemoteAddr != tc.wantRemote {
				t.Errorf("RemoteAddr %q, want %q", m.RemoteAddr, tc.wantRemote)
			}
		})
	}
}
