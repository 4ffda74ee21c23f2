package admin_test

import (
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/relayd/relayd/daemon/admin"
	"github.com/relayd/relayd/daemon/admin/admintest"
	"github.com/relayd/relayd/queue"
	"github.com/relayd/relayd/relay"
)

const pageSecret = "s3cr3t-page-canary"

// hostileSink answers every request with a redirect whose Location holds
// markup and a configured secret: relay's error quotes it.
func hostileSink(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", `javascript:<script>alert("err")</script>`+pageSecret)
		w.WriteHeader(http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// pageEnv is a real admin server (Badger in a temp dir, a running relay)
// with a dead hostile message, and its metrics listener on 127.0.0.1.
type pageEnv struct {
	e     *admintest.Env
	url   string
	id    string
	token string
}

func startPage(t *testing.T, token string) *pageEnv {
	t.Helper()
	e := admintest.Start(t, admintest.Options{Censor: admin.CensorRules{Secrets: []string{pageSecret}}})
	if err := e.Relay.Apply([]relay.Destination{
		admintest.Destination("billing", e.Sink.URL+"/billing"),
		admintest.Destination("hostile", hostileSink(t)),
	}); err != nil {
		t.Fatal(err)
	}
	id := e.Enqueue(t, &queue.Message{
		Headers: []queue.Header{{Name: "Content-Type", Value: "application/json"},
			{Name: "X-Evil", Value: `<script>alert("hdr")</script>`}},
		Body:         []byte(`{"note":"<script>alert(\"body\")</script>","password":"hunter2","k":"` + pageSecret + `"}`),
		TracingID:    "task-7bc29eb2",
		Destinations: []string{"billing", "hostile"},
	})
	waitUntil(t, "the hostile delivery dead", func() bool { return e.Counts(t, "hostile").Dead == 1 })
	p := &pageEnv{e: e, id: id, token: token}
	page := e.Server.StatusPage(admin.PageOptions{
		Token: func() string { return p.token },
		Rates: func() admin.Rates {
			r := admin.Rates{End: time.Date(2026, 12, 1, 10, 59, 0, 0, time.UTC),
				Accepted: make([]int64, 60), Delivered: make([]int64, 60), Failed: make([]int64, 60)}
			r.Accepted[59], r.Delivered[58], r.Failed[0] = 7, 5, 3
			return r
		},
	})
	srv := httptest.NewServer(admin.MetricsHandler(e.Store, http.NotFoundHandler(), page))
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

func (p *pageEnv) get(t *testing.T, path, auth string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, p.url+path, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestStatusPageShowsCensoredEscaped: the page lists the destinations
// with their states, three SVG plots of the given hour, the dead letter
// with its last error and the looked-up message's attempts exactly as
// relayctl show has them; markup from the sender and the downstream is
// escaped and no secret shows.
func TestStatusPageShowsCensoredEscaped(t *testing.T) {
	p := startPage(t, "")
	resp, page := p.get(t, "/?q="+p.id, "")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d %s:\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), page)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	if strings.Contains(strings.ToLower(page), "<script") {
		t.Errorf("a <script> from the sender or downstream is not escaped:\n%s", page)
	}
	for _, secret := range []string{pageSecret, "hunter2"} {
		if strings.Contains(page, secret) || strings.Contains(html.UnescapeString(page), secret) {
			t.Errorf("the page shows secret %q", secret)
		}
	}
	text := html.UnescapeString(page)
	for _, want := range []string{`data-state="active"`, "<strong>billing</strong>", "<strong>hostile</strong>",
		`<script>alert(\"body\")</script>`, `<script>alert("hdr")</script>`, `Location "javascript:<script>alert(\"err\")</script>censored" is not http or https`,
		"7 in the hour", "5 in the hour", "3 in the hour"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if n := strings.Count(page, "<svg "); n != 3 {
		t.Errorf("%d SVG plots, want 3", n)
	}
	if n := strings.Count(page, "<rect "); n != 180 {
		t.Errorf("%d bars, want 60 per plot", n)
	}
	// The dead letters list the message with its censored last error.
	dead := section(t, page, `id="dead"`, `id="lookup"`)
	if !strings.Contains(dead, p.id) || !strings.Contains(html.UnescapeString(dead), "is not http or https") {
		t.Errorf("dead letters lack %s and its error:\n%s", p.id, dead)
	}
	// The look-up shows every attempt as relayctl show renders it.
	m, err := p.e.Client.Message(bg, p.id)
	if err != nil {
		t.Fatal(err)
	}
	lookup := html.UnescapeString(section(t, page, `id="message"`, "</main>"))
	attempts := 0
	for _, d := range m.Deliveries {
		for _, a := range d.Attempts {
			attempts++
			if !strings.Contains(lookup, a.Error) || !strings.Contains(lookup, a.Response) {
				t.Errorf("the look-up lacks %s's attempt %q / %q", d.Destination, a.Error, a.Response)
			}
		}
	}
	if attempts < 2 || strings.Count(lookup, `class="attempt"`) != attempts {
		t.Errorf("%d attempt rows, relayctl show has %d", strings.Count(lookup, `class="attempt"`), attempts)
	}
	checkReadOnly(t, page)
}

var (
	formRE = regexp.MustCompile(`(?is)<form\b[^>]*>`)
	hrefRE = regexp.MustCompile(`(?is)<(?:a|link|area)\b[^>]*\bhref="([^"]*)"`)
	srcRE  = regexp.MustCompile(`(?is)\b(?:src|action|formaction)="([^"]*)"`)
)

// checkReadOnly: every form is GET to "/", every link is to "/" or an
// anchor, and nothing is loaded from elsewhere.
func checkReadOnly(t *testing.T, page string) {
	t.Helper()
	forms := formRE.FindAllString(page, -1)
	if len(forms) == 0 {
		t.Error("no look-up form")
	}
	for _, f := range forms {
		if !strings.Contains(strings.ToLower(f), `method="get"`) {
			t.Errorf("a form that is not GET: %s", f)
		}
	}
	for _, m := range hrefRE.FindAllStringSubmatch(page, -1) {
		if h := html.UnescapeString(m[1]); !strings.HasPrefix(h, "#") && h != "/" && !strings.HasPrefix(h, "/?") && !strings.HasPrefix(h, "/#") {
			t.Errorf("a link elsewhere: %q", h)
		}
	}
	for _, m := range srcRE.FindAllStringSubmatch(page, -1) {
		if h := html.UnescapeString(m[1]); h != "/" && !strings.HasPrefix(h, "/#") {
			t.Errorf("a src or action elsewhere: %q", h)
		}
	}
}

func section(t *testing.T, page, from, to string) string {
	t.Helper()
	_, rest, ok := strings.Cut(page, from)
	if !ok {
		t.Fatalf("the page has no %s", from)
	}
	s, _, _ := strings.Cut(rest, to)
	return s
}

// TestStatusPageToken: with admin.status_page_token set, the page wants
// it as a bearer token; /metrics and the health checks stay as they were.
func TestStatusPageToken(t *testing.T) {
	p := startPage(t, "tok-3f9a")
	for auth, want := range map[string]int{
		"":                  401,
		"Bearer wrong":      401,
		"Basic tok-3f9a":    401,
		"Bearer tok-3f9":    401,
		"Bearer tok-3f9a":   200,
		"bearer  tok-3f9a ": 200,
	} {
		resp, body := p.get(t, "/", auth)
		if resp.StatusCode != want {
			t.Errorf("Authorization %q: %d, want %d", auth, resp.StatusCode, want)
		}
		if want == 401 && (resp.Header.Get("WWW-Authenticate") == "" || strings.Contains(body, "tok-3f9a")) {
			t.Errorf("Authorization %q: 401 without WWW-Authenticate or with the token: %s", auth, body)
		}
	}
	// A reload's new token applies at once.
	p.token = "tok-new"
	if resp, _ := p.get(t, "/", "Bearer tok-3f9a"); resp.StatusCode != 401 {
		t.Errorf("the old token still opens the page: %d", resp.StatusCode)
	}
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 404, "/other": 404} {
		if resp, _ := p.get(t, path, ""); resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	resp, err := http.Post(p.url+"/", "application/x-www-form-urlencoded", strings.NewReader("q=x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d, want 405", resp.StatusCode)
	}
}

// TestStatusPageLookupErrors: a look-up that is not an id, or an unknown
// id, says so; what was typed is shown escaped.
func TestStatusPageLookupErrors(t *testing.T) {
	p := startPage(t, "")
	for q, want := range map[string]string{
		`<script>x</script>`:       "no message with that id or key",
		strings.Repeat("z", 32):    "no message " + strings.Repeat("z", 32),
		strings.Repeat("a", 10000): "not a message id or key",
	} {
		_, page := p.get(t, "/?q="+urlQuery(q), "")
		if !strings.Contains(page, want) || strings.Contains(page, "<script>x") {
			t.Errorf("q=%.40q: the page lacks %q or shows markup", q, want)
		}
	}
}

// TestStatusPageLookupByKey: a business key that names one message shows
// it, as its id does.
func TestStatusPageLookupByKey(t *testing.T) {
	p := startPage(t, "")
	_, page := p.get(t, "/?q=task-7bc29eb2", "")
	if !strings.Contains(page, `id="message"`) || !strings.Contains(page, p.id) {
		t.Fatalf("looking up the tracing id does not show message %s", p.id)
	}
}

func urlQuery(s string) string {
	return strings.NewReplacer("<", "%3C", ">", "%3E", "/", "%2F").Replace(s)
}
