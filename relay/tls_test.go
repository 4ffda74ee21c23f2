package relay

import (
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeServerCA writes s's self-signed certificate as a PEM CA file.
func writeServerCA(t *testing.T, s *sink) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	if err := os.WriteFile(path, block, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTLS(t *testing.T) {
	s := newTLSSink(t, nil)
	ca := writeServerCA(t, s)
	cases := map[string]struct {
		skipVerify bool
		caFile     string
		delivered  bool
	}{
		"verify against system roots fails": {false, "", false},
		"skip verify":                       {true, "", true},
		"ca file":                           {false, ca, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := testDest("d", s.URL)
			d.TLSSkipVerify, d.CAFile = tc.skipVerify, tc.caFile
			res := sendOnce(t, d, eqCallback(), 1)
			v := classify(res, d.Retry.OnStatus)
			if tc.delivered && v != verdictDelivered {
				t.Fatalf("status %d err %v, want delivered", res.status, res.err)
			}
			if !tc.delivered && (v != verdictRetry || res.err == nil || attemptError(res) == "") {
				t.Fatalf("status %d err %v, want a recorded, retryable TLS error", res.status, res.err)
			}
		})
	}
}

func TestCAFileWithoutCertificateIsRejected(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := testDest("d", "https://127.0.0.1:9/")
	d.CAFile = path
	if _, _, err := newSender(d, &scope{}); err == nil {
		t.Fatal("a CA file without a PEM certificate was accepted")
	}
}

func TestTLSSettingsStayOnTheirHost(t *testing.T) {
	// Two self-signed servers; localhost and 127.0.0.1 are two origins.
	b := newTLSSink(t, nil)
	bPort := strings.TrimPrefix(b.URL, "https://127.0.0.1:")
	cases := map[string]struct {
		location  string
		listed    []string
		delivered bool
	}{
		"another host: system roots":   {"https://localhost:" + bPort + "/b", nil, false},
		"listed host: skip verify":     {"https://localhost:" + bPort + "/b", []string{"localhost"}, true},
		"own host, other port: trusts": {"https://127.0.0.1:" + bPort + "/b", nil, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			a := newTLSSink(t, func(w http.ResponseWriter, _ *http.Request, n int) {
				if n == 0 {
					w.Header().Set("Location", tc.location)
					w.WriteHeader(307)
				}
			})
			before := b.count()
			d := testDest("d", a.URL)
			d.TLSSkipVerify, d.RedirectHosts = true, tc.listed
			res := sendOnce(t, d, eqCallback(), 1)
			if tc.delivered {
				if res.status != 200 || b.count() != before+1 {
					t.Fatalf("status %d err %v, want delivered at B", res.status, res.err)
				}
				return
			}
			if res.err == nil || !strings.Contains(res.err.Error(), "certificate") || b.count() != before {
				t.Fatalf("status %d err %v, B saw %d: want B's certificate refused", res.status, res.err, b.count()-before)
			}
			if a.count() != 1 {
				t.Fatalf("A saw %d requests, want 1 (skip verify holds for its own host)", a.count())
			}
		})
	}
}
