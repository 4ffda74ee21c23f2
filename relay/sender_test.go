package relay

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relayd/relayd/daemon/webhooksig"
	"github.com/relayd/relayd/queue"
)

func TestSendBodyAndContentType(t *testing.T) {
	binary := make([]byte, 4096)
	for i := range binary {
		binary[i] = byte(i * 7)
	}
	cases := map[string]struct {
		contentType string // "" = no inbound Content-Type
		body        []byte
	}{
		"form":           {"application/x-www-form-urlencoded; charset=utf-8", eqCallback().Body},
		"json":           {"application/json", []byte(`{"service_instance_guid":"a1b2","status":"CREATE_FAILED","tracing_id":"t-9","nodes":[{"id":1}]}` + "\n")},
		"binary":         {"application/octet-stream", binary},
		"no type":        {"", []byte("raw\r\nbytes\x00")},
		"empty body":     {"text/plain", nil},
		"trailing space": {"text/plain", []byte("  x  \n\n")},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := newSink(t, nil)
			m := eqCallback()
			m.Headers, m.Body = nil, tc.body
			if tc.contentType != "" {
				m.Headers = []queue.Header{{Name: "Content-Type", Value: tc.contentType}}
			}
			res := sendOnce(t, testDest("d", s.URL+"/in"), m, 1)
			if res.err != nil || res.status != 200 {
				t.Fatalf("send: status %d err %v", res.status, res.err)
			}
			got := s.got()[0]
			if !bytes.Equal(got.Body, tc.body) {
				t.Errorf("body differs: got %q want %q", got.Body, tc.body)
			}
			if ct := got.Header.Get("Content-Type"); ct != tc.contentType {
				t.Errorf("Content-Type = %q, want %q", ct, tc.contentType)
			}
		})
	}
}

func TestSendHeaders(t *testing.T) {
	s := newSink(t, nil)
	m := eqCallback()
	m.TracingID = "trace-77"
	m.Headers = append(m.Headers,
		queue.Header{Name: "X-Custom", Value: "one"},
		queue.Header{Name: "X-Custom", Value: "two"},
		queue.Header{Name: "Authorization", Value: "Bearer upstream"},
		queue.Header{Name: "Connection", Value: "keep-alive, X-Conn-Only"},
		queue.Header{Name: "X-Conn-Only", Value: "hop"},
		queue.Header{Name: "Keep-Alive", Value: "timeout=5"},
		queue.Header{Name: "Transfer-Encoding", Value: "chunked"},
		queue.Header{Name: "Host", Value: "ingress.example"},
		queue.Header{Name: "Content-Length", Value: "99999"},
		queue.Header{Name: "Proxy-Authorization", Value: "Basic eA=="},
		queue.Header{Name: "Accept-Encoding", Value: "gzip"},
		queue.Header{Name: "X-Relay-Attempt", Value: "999"},
	)
	d := testDest("billing", s.URL)
	d.Headers = map[string]string{"Authorization": "Bearer billing-token", "X-Source": "relayd"}
	if res := sendOnce(t, d, m, 3); res.status != 200 {
		t.Fatalf("send: status %d err %v", res.status, res.err)
	}
	h := s.got()[0].Header
	want := map[string][]string{
		"X-Custom":            {"one", "two"},
		"Authorization":       {"Bearer billing-token"},
		"X-Source":            {"relayd"},
		"User-Agent":          {"eq-worker/1.0"},
		"X-Relay-Id":          {m.ID},
		"X-Relay-Attempt":     {"3"},
		"X-Request-Id":        {"trace-77"},
		"X-Conn-Only":         nil,
		"Keep-Alive":          nil,
		"Proxy-Authorization": nil,
		"Accept-Encoding":     nil,
		"Transfer-Encoding":   nil,
	}
	for name, vals := range want {
		if got := h.Values(name); strings.Join(got, "|") != strings.Join(vals, "|") {
			t.Errorf("%s = %q, want %q", name, got, vals)
		}
	}
	if got := s.got()[0]; got.Host != strings.TrimPrefix(s.URL, "http://") || len(got.Body) != len(m.Body) {
		t.Errorf("Host %q / body length %d: inbound Host or Content-Length leaked", got.Host, len(got.Body))
	}
}

func TestSendRequestIDDefaultsToMessageID(t *testing.T) {
	s := newSink(t, nil)
	m := eqCallback()
	sendOnce(t, testDest("d", s.URL), m, 1)
	if got := s.got()[0].Header.Get("X-Request-Id"); got != m.ID {
		t.Errorf("X-Request-Id = %q, want the message id %q", got, m.ID)
	}
}

func TestSendQuery(t *testing.T) {
	cases := map[string]struct {
		path         string
		query        map[string]string
		forwardQuery bool
		inbound      string
		want         string
	}{
		"none":                   {"/cb", nil, false, "serverId=42", ""},
		"configured":             {"/cb", map[string]string{"source": "relayd", "a b": "c&d"}, false, "serverId=42", "a+b=c%26d&source=relayd"},
		"forwarded":              {"/cb", nil, true, "serverId=42&serverIps=10.0.0.1%2C10.0.0.2", "serverId=42&serverIps=10.0.0.1%2C10.0.0.2"},
		"url query + both":       {"/cb?fixed=1", map[string]string{"source": "relayd"}, true, "serverId=42", "fixed=1&source=relayd&serverId=42"},
		"url query + forwarded":  {"/cb?fixed=1", nil, true, "crStatus=ok", "fixed=1&crStatus=ok"},
		"forward, empty inbound": {"/cb", nil, true, "", ""},
		"destination value wins": {"/cb", map[string]string{"secret": "X"}, true, "serverId=42&secret=Y&s%65cret=Z&b=%2F", "secret=X&serverId=42&b=%2F"},
		"url value wins":         {"/cb?fixed=1", nil, true, "fixed=2&serverId=42", "fixed=1&serverId=42"},
		"only a repeat inbound":  {"/cb", map[string]string{"secret": "X"}, true, "secret=Y", "secret=X"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := newSink(t, nil)
			d := testDest("d", s.URL+tc.path)
			d.Query, d.ForwardQuery = tc.query, tc.forwardQuery
			m := eqCallback()
			m.Query = tc.inbound
			if res := sendOnce(t, d, m, 1); res.status != 200 {
				t.Fatalf("send: %d %v", res.status, res.err)
			}
			if got := s.got()[0]; got.RawQuery != tc.want || got.Path != "/cb" {
				t.Errorf("got path %q query %q, want /cb %q", got.Path, got.RawQuery, tc.want)
			}
		})
	}
}

func TestSendMethod(t *testing.T) {
	cases := map[string]struct{ override, inbound, want string }{
		"inbound kept":       {"", "PUT", "PUT"},
		"override":           {"PATCH", "POST", "PATCH"},
		"override lowercase": {"put", "POST", "PUT"},
		"no method at all":   {"", "", "POST"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := newSink(t, nil)
			d := testDest("d", s.URL)
			d.Method = tc.override
			m := eqCallback()
			m.Method = tc.inbound
			sendOnce(t, d, m, 1)
			if got := s.got()[0]; got.Method != tc.want || !bytes.Equal(got.Body, m.Body) {
				t.Errorf("method %q body %q, want %q with the body", got.Method, got.Body, tc.want)
			}
		})
	}
}

func TestSendSigning(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	s := newSink(t, nil)
	d := testDest("d", s.URL)
	d.Signing = &Signing{Scheme: "standard-webhooks", Secret: secret}
	m := eqCallback()
	m.Headers = append(m.Headers, queue.Header{Name: "webhook-signature", Value: "v1,forged"})
	sendOnce(t, d, m, 1)
	got := s.got()[0]
	id, ts, sig := got.Header.Get("webhook-id"), got.Header.Get("webhook-timestamp"), got.Header.Get("webhook-signature")
	if id != m.ID {
		t.Errorf("webhook-id = %q, want %q", id, m.ID)
	}
	if unix, err := strconv.ParseInt(ts, 10, 64); err != nil || time.Since(time.Unix(unix, 0)) > time.Minute {
		t.Errorf("webhook-timestamp = %q, want now in unix seconds", ts)
	}
	if err := webhooksig.Verify(secret, id, ts, sig, got.Body, time.Now(), time.Minute); err != nil {
		t.Errorf("signature %q does not verify: %v", sig, err)
	}
}

func TestNewSenderRejects(t *testing.T) {
	cases := map[string]func(*Destination){
		"bad scheme":     func(d *Destination) { d.URL = "ftp://127.0.0.1/x" },
		"no host":        func(d *Destination) { d.URL = "http:///x" },
		"unparseable":    func(d *Destination) { d.URL = "http://127.0.0.1:80%/" },
		"missing CA":     func(d *Destination) { d.CAFile = "/nonexistent/ca.pem" },
		"bad secret":     func(d *Destination) { d.Signing = &Signing{Scheme: "standard-webhooks", Secret: "nope"} },
		"unknown scheme": func(d *Destination) { d.Signing = &Signing{Scheme: "hmac", Secret: "whsec_AAAA"} },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			d := testDest("d", "http://127.0.0.1:9/")
			mutate(&d)
			if _, _, err := newSender(d, &scope{}); err == nil {
				t.Fatal("newSender accepted an unusable destination")
			}
		})
	}
}

func TestSendRecordsResponsePrefix(t *testing.T) {
	long := strings.Repeat("0123456789", 500)
	cases := map[string]struct{ body, want string }{
		"short":            {"ok", "ok"},
		"long":             {long, long[:responsePrefix]},
		"exactly one KiB":  {long[:responsePrefix], long[:responsePrefix]},
		"beyond the drain": {strings.Repeat("x", drainLimit+responsePrefix+10), strings.Repeat("x", responsePrefix)},
		"empty":            {"", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := newSink(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.WriteHeader(500)
				_, _ = w.Write([]byte(tc.body))
			})
			res := sendOnce(t, testDest("d", s.URL), eqCallback(), 1)
			if res.status != 500 || string(res.response) != tc.want {
				t.Errorf("status %d response %d bytes, want 500 and %d bytes", res.status, len(res.response), len(tc.want))
			}
		})
	}
}

func TestSendTimeoutIsRetryable(t *testing.T) {
	release := make(chan struct{})
	s := newSink(t, func(_ http.ResponseWriter, _ *http.Request, _ int) { <-release })
	defer close(release)
	d := testDest("d", s.URL)
	d.Timeout = 50 * time.Millisecond
	res := sendOnce(t, d, eqCallback(), 1)
	if res.err == nil || classify(res, d.Retry.OnStatus) != verdictRetry {
		t.Fatalf("want a retryable timeout, got status %d err %v", res.status, res.err)
	}
}

func TestSendConnectionRefusedIsRetryable(t *testing.T) {
	s := newSink(t, nil)
	url := s.URL
	s.Close()
	res := sendOnce(t, testDest("d", url), eqCallback(), 1)
	if res.err == nil || classify(res, nil) != verdictRetry {
		t.Fatalf("want a retryable network error, got %d %v", res.status, res.err)
	}
}

func TestSendStripsConsumedAuth(t *testing.T) {
	consumed := map[string]ConsumedAuth{"eq-callback": {Query: []string{"secret"}, Headers: []string{"X-Token"}}}
	cases := map[string]struct {
		route       string
		forwardAuth bool
		wantQuery   string
		wantToken   string
	}{
		"stripped":               {"eq-callback", false, "serverId=42&b=%2F&&x=secret", ""},
		"forward_auth keeps it":  {"eq-callback", true, "serverId=42&secret=s%20x&b=%2F&&x=secret", "t0k"},
		"another route keeps it": {"other", false, "serverId=42&secret=s%20x&b=%2F&&x=secret", "t0k"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := newSink(t, nil)
			d := testDest("d", s.URL)
			d.ForwardQuery, d.ForwardAuth = true, tc.forwardAuth
			m := eqCallback()
			m.Route = tc.route
			m.Query = "serverId=42&secret=s%20x&b=%2F&&x=secret"
			m.Headers = append(m.Headers, queue.Header{Name: "x-token", Value: "t0k"}, queue.Header{Name: "X-Other", Value: "o"})
			sc := &scope{}
			sc.consumed.set(consumed)
			if res := sendIn(t, sc, d, m, 1); res.status != 200 {
				t.Fatalf("send: %d %v", res.status, res.err)
			}
			got := s.got()[0]
			if got.RawQuery != tc.wantQuery {
				t.Errorf("query %q, want %q", got.RawQuery, tc.wantQuery)
			}
			if tok := got.Header.Get("X-Token"); tok != tc.wantToken || got.Header.Get("X-Other") != "o" {
				t.Errorf("X-Token %q X-Other %q, want %q and o", tok, got.Header.Get("X-Other"), tc.wantToken)
			}
		})
	}
}

func TestSendSignsWithEverySecret(t *testing.T) {
	const oldSecret, newSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_bmV3IHNlY3JldCBmb3Igcm90YXRpb24="
	s := newSink(t, nil)
	d := testDest("d", s.URL)
	d.Signing = &Signing{Scheme: "standard-webhooks", Secret: oldSecret, Secrets: []string{newSecret}}
	sendOnce(t, d, eqCallback(), 1)
	got := s.got()[0]
	id, ts, sig := got.Header.Get("webhook-id"), got.Header.Get("webhook-timestamp"), got.Header.Get("webhook-signature")
	parts := strings.Fields(sig)
	if len(parts) != 2 || !strings.HasPrefix(parts[0], "v1,") || !strings.HasPrefix(parts[1], "v1,") {
		t.Fatalf("webhook-signature %q, want two space-separated v1 signatures", sig)
	}
	for i, secret := range []string{oldSecret, newSecret} {
		// Each signature alone verifies with its own secret: a receiver
		// that knows either one accepts the request.
		if err := webhooksig.Verify(secret, id, ts, parts[i], got.Body, time.Now(), time.Minute); err != nil {
			t.Errorf("signature %d does not verify with secret %d: %v", i+1, i+1, err)
		}
	}
}
