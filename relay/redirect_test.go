package relay

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/relayd/relayd/queue"
)

// redirectingSink answers request n with a redirect (code) to /hop<n+1>
// for the first hops requests, then 200.
func redirectingSink(t *testing.T, code, hops int) *sink {
	return newSink(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n < hops {
			w.Header().Set("Location", fmt.Sprintf("/hop%d", n+1))
			w.WriteHeader(code)
			return
		}
		w.WriteHeader(200)
	})
}

func TestRedirectChainKeepsMethodAndBody(t *testing.T) {
	s := redirectingSink(t, 307, 3)
	m := eqCallback()
	res := sendOnce(t, testDest("d", s.URL+"/start"), m, 1)
	if res.err != nil || res.status != 200 {
		t.Fatalf("status %d err %v, want 200 after 3 redirects", res.status, res.err)
	}
	got := s.got()
	if len(got) != 4 {
		t.Fatalf("sink saw %d requests, want 4", len(got))
	}
	for i, r := range got {
		if r.Method != "POST" || string(r.Body) != string(m.Body) || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded; charset=utf-8" {
			t.Errorf("hop %d: %s %q (%s), want POST with the body", i, r.Method, r.Body, r.Header.Get("Content-Type"))
		}
	}
	if got[3].Path != "/hop3" {
		t.Errorf("last hop path %q, want /hop3", got[3].Path)
	}
}

func TestRedirectLimitMakesDeadAtOnce(t *testing.T) {
	s := redirectingSink(t, 307, 7)
	d := testDest("d", s.URL)
	d.MaxRedirects = 5
	res := sendOnce(t, d, eqCallback(), 1)
	if res.err == nil || !strings.Contains(res.err.Error(), "too many redirects") {
		t.Fatalf("err %v, want too many redirects", res.err)
	}
	if classify(res, d.Retry.OnStatus) != verdictDead {
		t.Error("too many redirects must be dead at once")
	}
	if n := s.count(); n != 6 {
		t.Errorf("sink saw %d requests, want 6 (the first and 5 redirects)", n)
	}
}

func TestRedirectMethodSemantics(t *testing.T) {
	cases := []struct {
		code       int
		method     string
		wantMethod string
		wantBody   bool
	}{
		{301, "POST", "GET", false},
		{301, "PUT", "PUT", true},
		{302, "POST", "GET", false},
		{302, "PATCH", "PATCH", true},
		{303, "POST", "GET", false},
		{303, "PUT", "GET", false},
		{303, "HEAD", "HEAD", false},
		{307, "POST", "POST", true},
		{307, "PUT", "PUT", true},
		{308, "POST", "POST", true},
		{308, "DELETE", "DELETE", true},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d %s", tc.code, tc.method), func(t *testing.T) {
			s := redirectingSink(t, tc.code, 1)
			d := testDest("d", s.URL)
			d.Method = tc.method
			m := eqCallback()
			res := sendOnce(t, d, m, 1)
			if res.status != 200 {
				t.Fatalf("status %d err %v", res.status, res.err)
			}
			hop := s.got()[1]
			if hop.Method != tc.wantMethod {
				t.Errorf("method after redirect %s, want %s", hop.Method, tc.wantMethod)
			}
			wantBody := ""
			if tc.wantBody {
				wantBody = string(m.Body)
			}
			if string(hop.Body) != wantBody {
				t.Errorf("body after redirect %q, want %q", hop.Body, wantBody)
			}
			if !tc.wantBody && hop.Header.Get("Content-Type") != "" {
				t.Errorf("Content-Type %q kept without a body", hop.Header.Get("Content-Type"))
			}
		})
	}
}

func TestRedirectResolvesRelativeLocation(t *testing.T) {
	cases := map[string]struct{ start, location, wantPath, wantQuery string }{
		"relative path":   {"/a/b/start", "../c?x=1", "/a/c", "x=1"},
		"absolute path":   {"/a/b", "/root", "/root", ""},
		"query only":      {"/a/b?old=1", "?new=2", "/a/b", "new=2"},
		"fragment strips": {"/a", "/b#frag", "/b", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := newSink(t, func(w http.ResponseWriter, _ *http.Request, n int) {
				if n == 0 {
					w.Header().Set("Location", tc.location)
					w.WriteHeader(307)
				}
			})
			sendOnce(t, testDest("d", s.URL+tc.start), eqCallback(), 1)
			got := s.got()
			if len(got) != 2 || got[1].Path != tc.wantPath || got[1].RawQuery != tc.wantQuery {
				t.Fatalf("requests %+v, want second to %s?%s", got, tc.wantPath, tc.wantQuery)
			}
		})
	}
}

func TestRedirectToAnotherHostDropsCredentials(t *testing.T) {
	other := newSink(t, nil)
	cases := map[string]struct {
		target   func(self string) string
		wantKept bool
	}{
		"other port": {func(string) string { return other.URL + "/landing" }, false},
		"same host":  {func(self string) string { return self + "/landing" }, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var first *sink
			first = newSink(t, func(w http.ResponseWriter, _ *http.Request, n int) {
				if n == 0 {
					w.Header().Set("Location", tc.target(first.URL))
					w.WriteHeader(307)
				}
			})
			before := other.count()
			d := testDest("d", first.URL)
			d.Headers = map[string]string{"Authorization": "Bearer secret-token", "X-Api-Key": "k3y"}
			d.Signing = &Signing{Scheme: "standard-webhooks", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
			m := eqCallback()
			m.Headers = append(m.Headers, queue.Header{Name: "Cookie", Value: "session=abc"}, queue.Header{Name: "X-Plain", Value: "kept"})
			if res := sendOnce(t, d, m, 1); res.status != 200 {
				t.Fatalf("status %d err %v", res.status, res.err)
			}
			var landed seen
			if tc.wantKept {
				landed = first.got()[1]
			} else {
				landed = other.got()[before]
			}
			for _, h := range []string{"Authorization", "X-Api-Key", "Cookie", "Webhook-Signature", "Webhook-Id", "Webhook-Timestamp"} {
				if has := landed.Header.Get(h) != ""; has != tc.wantKept {
					t.Errorf("%s present=%v after redirect, want %v", h, has, tc.wantKept)
				}
			}
			if landed.Header.Get("X-Plain") != "kept" || string(landed.Body) != string(m.Body) {
				t.Error("ordinary headers and body must survive the redirect")
			}
		})
	}
}

func TestRedirectWithoutLocationIsAStatus(t *testing.T) {
	s := newSink(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(302) })
	res := sendOnce(t, testDest("d", s.URL), eqCallback(), 1)
	if res.err != nil || res.status != 302 || classify(res, testDest("d", "").Retry.OnStatus) != verdictDead {
		t.Fatalf("got %d %v, want a dead 302", res.status, res.err)
	}
}

func TestRedirectToUnsupportedSchemeIsDead(t *testing.T) {
	s := newSink(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Location", "ftp://127.0.0.1/x")
		w.WriteHeader(307)
	})
	res := sendOnce(t, testDest("d", s.URL), eqCallback(), 1)
	if res.err == nil || classify(res, nil) != verdictDead {
		t.Fatalf("got %d %v, want dead", res.status, res.err)
	}
}

func FuzzFollowRedirect(f *testing.F) {
	for _, seed := range []string{"/x", "../a?b=1", "https://127.0.0.1:8443/p", "//127.0.0.2/p", "ftp://x", "http://[::1", "%zz", "?q", "#f", ""} {
		f.Add(307, seed)
		f.Add(303, seed)
	}
	s, _, err := newSender(testDest("d", "http://127.0.0.1:8080/start"), &scope{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, status int, location string) {
		req := fasthttp.AcquireRequest()
		defer fasthttp.ReleaseRequest(req)
		req.SetRequestURI("http://127.0.0.1:8080/start?a=1")
		req.Header.SetMethod("POST")
		req.Header.Set("Authorization", "Bearer x")
		req.SetBodyString("body")
		if _, err := s.followRedirect(req, status, location); err != nil {
			return
		}
		scheme := string(req.URI().Scheme())
		if scheme != "http" && scheme != "https" {
			t.Fatalf("Location %q led to scheme %q", location, scheme)
		}
		if string(req.URI().Host()) != "127.0.0.1:8080" && len(req.Header.Peek("Authorization")) != 0 {
			t.Fatalf("Location %q: Authorization kept on a hop to %q", location, req.URI().Host())
		}
	})
}

func TestRedactLocation(t *testing.T) {
	cases := map[string]string{
		"http://h/p":                        "http://h/p",
		"http://h/p?token=s3cr3t":           "http://h/p?…",
		"https://user:pw@h:8443/p?x=1#frag": "https://…@h:8443/p?…",
		"ftp://h/file?key=s3cr3t":           "ftp://h/file?…",
		"http://[::1:bad/p?secret=s3cr3t":   "http://[::1:bad/p?…",
		"/relative/p?sig=s3cr3t":            "/relative/p?…",
		"http://h/a@b/c":                    "http://h/a@b/c",
	}
	for in, want := range cases {
		if got := redactLocation(in); got != want {
			t.Errorf("redactLocation(%q) = %q, want %q", in, got, want)
		}
	}
}
