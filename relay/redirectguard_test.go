package relay

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// redirectTo is a sink answering its first request with a 307 to location.
func redirectTo(t *testing.T, location func() string) *sink {
	return newSink(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 0 {
			w.Header().Set("Location", location())
			w.WriteHeader(307)
		}
	})
}

// portOf returns the port of a sink on 127.0.0.1.
func portOf(s *sink) int { return s.Listener.Addr().(*net.TCPAddr).Port }

// wantRefused checks that res is a dead, permanent refusal naming reason,
// and that it quotes nothing of the Location's query or userinfo.
func wantRefused(t *testing.T, res attemptResult, reason string) {
	t.Helper()
	var refused *refusedRedirect
	if !errors.As(res.err, &refused) || !strings.Contains(res.err.Error(), reason) {
		t.Fatalf("status %d err %v, want a refusal saying %q", res.status, res.err, reason)
	}
	if classify(res, testDest("d", "").Retry.OnStatus) != verdictDead {
		t.Error("a refused redirect must be dead at once")
	}
	if msg := attemptError(res); strings.Contains(msg, "s3cr3t") {
		t.Errorf("attempt error %q quotes the Location's secret", msg)
	}
}

func TestRedirectToOwnListenerIsRefused(t *testing.T) {
	ingress := newSink(t, nil) // stands for relayd's ingress
	port := portOf(ingress)
	cases := map[string]struct {
		location string
		own      net.Addr
		want     string // the address the error names
	}{
		"literal address":           {"http://127.0.0.1:%d/eq_callback?secret=s3cr3t", ingress.Listener.Addr(), "127.0.0.1:%d"},
		"name resolving to it":      {"http://u:s3cr3t@localhost:%d/eq_callback", ingress.Listener.Addr(), "127.0.0.1:%d (resolved from localhost)"},
		"listener on every address": {"http://127.0.0.1:%d/eq_callback", &net.TCPAddr{IP: net.IPv4zero, Port: port}, "127.0.0.1:%d"},
		"listener on ::":            {"http://127.0.0.1:%d/eq_callback", &net.TCPAddr{IP: net.IPv6unspecified, Port: port}, "127.0.0.1:%d"},
		"dialed as 0.0.0.0":         {"http://0.0.0.0:%d/eq_callback", ingress.Listener.Addr(), "0.0.0.0:%d"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dest := redirectTo(t, func() string { return fmt.Sprintf(tc.location, port) })
			sc := &scope{}
			sc.own.set([]net.Addr{tc.own})
			res := sendIn(t, sc, testDest("d", dest.URL), eqCallback(), 1)
			wantRefused(t, res, "redirect to relayd's own listener "+fmt.Sprintf(tc.want, port)+" refused")
			if n := ingress.count(); n != 0 {
				t.Fatalf("the ingress received %d requests", n)
			}
		})
	}
}

func TestRedirectToOwnListenerViaNameIsCheckedAtDial(t *testing.T) {
	// The Location names a host, so only the dialer can tell where it
	// leads; the refusal must not come from the Location string.
	ingress := newSink(t, nil)
	dest := redirectTo(t, func() string { return fmt.Sprintf("http://LocalHost:%d/x", portOf(ingress)) })
	sc := &scope{}
	sc.own.set([]net.Addr{ingress.Listener.Addr()})
	res := sendIn(t, sc, testDest("d", dest.URL), eqCallback(), 1)
	wantRefused(t, res, fmt.Sprintf("redirect to relayd's own listener 127.0.0.1:%d (resolved from localhost) refused", portOf(ingress)))
	if res.status != 307 || ingress.count() != 0 {
		t.Fatalf("status %d, ingress saw %d: want the 307 recorded and nothing sent", res.status, ingress.count())
	}
}

// countingSender builds d's sender whose redirect hops are dialed through
// a counter wrapped around what fasthttp calls, so a hop refused before
// any dial shows none; with fail set nothing reaches the network.
func countingSender(t *testing.T, d Destination, fail bool) (*sender, func() []string) {
	t.Helper()
	s, _, err := newSender(d, &scope{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var dials []string
	for _, c := range []*fasthttp.Client{s.clients.trusted, s.clients.other} {
		real := c.DialTimeout
		c.DialTimeout = func(addr string, timeout time.Duration) (net.Conn, error) {
			mu.Lock()
			dials = append(dials, addr)
			mu.Unlock()
			if fail {
				return nil, errors.New("test dialer: not dialing")
			}
			return real(addr, timeout)
		}
	}
	return s, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), dials...) }
}

func TestRedirectToLinkLocalIsRefusedBeforeDial(t *testing.T) {
	cases := map[string]struct {
		location, reason string
		listed           []string
		wantDial         string
	}{
		"metadata address": {"http://169.254.169.254/latest/meta-data?token=s3cr3t", "redirect to link-local 169.254.169.254 refused", nil, ""},
		"ipv6 link-local":  {"http://[fe80::1]:8080/x", "redirect to link-local fe80::1 refused", nil, ""},
		"listed":           {"http://169.254.169.254/latest", "", []string{"127.0.0.1", "169.254.169.254"}, "169.254.169.254:80"},
		"listed with port": {"http://169.254.169.254:8080/latest", "", []string{"169.254.169.254:8080"}, "169.254.169.254:8080"},
		"listed, other port": {
			"http://169.254.169.254:8081/latest", "redirect to host 169.254.169.254:8081 not in redirect_hosts", []string{"169.254.169.254:8080"}, "",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dest := redirectTo(t, func() string { return tc.location })
			d := testDest("d", dest.URL)
			d.RedirectHosts = tc.listed
			s, dials := countingSender(t, d, true)
			res := s.send(testLease(eqCallback(), "d", 1), time.Now(), make([]byte, responsePrefix))
			if tc.reason != "" {
				wantRefused(t, res, tc.reason)
				if got := dials(); len(got) != 0 {
					t.Fatalf("dialed %v for a refused redirect", got)
				}
				return
			}
			if got := dials(); len(got) != 1 || got[0] != tc.wantDial {
				t.Fatalf("dials %v, want one to %s (listed)", got, tc.wantDial)
			}
		})
	}
}

func TestRedirectHosts(t *testing.T) {
	target := newSink(t, nil)
	port := portOf(target)
	cases := map[string]struct {
		listed []string
		ok     bool
	}{
		"not listed":              {[]string{"billing.example"}, false},
		"listed, any port":        {[]string{"billing.example", "LOCALHOST"}, true},
		"listed with its port":    {[]string{fmt.Sprintf("localhost:%d", port)}, true},
		"listed with other port":  {[]string{"localhost:1"}, false},
		"empty list: any host ok": {nil, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			before := target.count()
			dest := redirectTo(t, func() string { return fmt.Sprintf("http://localhost:%d/landing?k=s3cr3t", port) })
			d := testDest("d", dest.URL)
			d.RedirectHosts = tc.listed
			res := sendOnce(t, d, eqCallback(), 1)
			if !tc.ok {
				wantRefused(t, res, fmt.Sprintf("redirect to host localhost:%d not in redirect_hosts", port))
				if target.count() != before {
					t.Fatal("the refused host received the request")
				}
				return
			}
			if res.status != 200 || target.count() != before+1 {
				t.Fatalf("status %d err %v, want delivered at the listed host", res.status, res.err)
			}
		})
	}
}

func TestRedirectHostsSameHostAlwaysAllowed(t *testing.T) {
	s := redirectingSink(t, 307, 1)
	d := testDest("d", s.URL)
	d.RedirectHosts = []string{"billing.example"}
	if res := sendOnce(t, d, eqCallback(), 1); res.status != 200 {
		t.Fatalf("status %d err %v: a redirect on the destination's own host must be followed", res.status, res.err)
	}
}

func TestNewSenderRejectsBadRedirectHost(t *testing.T) {
	for _, entry := range []string{"", "host:99999", "http://host/", ":80"} {
		d := testDest("d", "http://127.0.0.1:9/")
		d.RedirectHosts = []string{entry}
		if _, _, err := newSender(d, &scope{}); err == nil {
			t.Errorf("redirect_hosts entry %q accepted", entry)
		}
	}
}
