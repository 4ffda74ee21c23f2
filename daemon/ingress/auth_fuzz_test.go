package ingress

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/relayd/relayd/daemon/config"
)

// FuzzTokenOK: whatever a sender presents, the token check passes exactly
// when it equals one of the configured values.
func FuzzTokenOK(f *testing.F) {
	f.Add([]byte(testToken))
	f.Add([]byte(testToken[:5]))
	f.Fuzz(func(t *testing.T, got []byte) {
		values := []string{testToken, oldToken}
		c, err := compileAuth(&config.Auth{Token: &config.TokenAuth{Query: "secret", Value: values[0], Values: values[1:]}})
		if err != nil {
			t.Fatal(err)
		}
		want := string(got) == values[0] || string(got) == values[1]
		if ok := c.tokenOK(got); ok != want {
			t.Fatalf("tokenOK(%q) = %v, want %v", got, ok, want)
		}
	})
}

// FuzzHMACHeader: whatever header a sender presents, the HMAC check passes
// exactly when, after the prefix and surrounding spaces, it is the hex
// (any case) of the body's HMAC under one of the secrets.
func FuzzHMACHeader(f *testing.F) {
	body := []byte(`{"a":1}`)
	f.Add([]byte("sha256="+hexMAC(sha256.New, testHMACKey, string(body))), body)
	f.Add([]byte(" sha256="+strings.ToUpper(hexMAC(sha256.New, oldHMACKey, string(body)))+" "), body)
	f.Add([]byte("sha256=zz"), []byte{})
	f.Fuzz(func(t *testing.T, header, body []byte) {
		c, err := compileAuth(&config.Auth{HMAC: &config.HMACAuth{Header: "X-Signature",
			Secrets: []string{oldHMACKey, testHMACKey}, Prefix: "sha256="}})
		if err != nil {
			t.Fatal(err)
		}
		want := false
		if hexPart, ok := bytes.CutPrefix(bytes.TrimSpace(header), []byte("sha256=")); ok {
			for _, k := range []string{oldHMACKey, testHMACKey} {
				m := hmac.New(sha256.New, []byte(k))
				m.Write(body)
				want = want || strings.EqualFold(string(hexPart), hex.EncodeToString(m.Sum(nil)))
			}
		}
		if ok := c.hmacOK(header, body); ok != want {
			t.Fatalf("hmacOK(%q, %q) = %v, want %v", header, body, ok, want)
		}
	})
}
