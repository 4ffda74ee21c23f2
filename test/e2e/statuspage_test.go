package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chromiumFlags run Debian's chromium headless, with nothing reaching out
// of the machine (no sync, updates or background fetches).
var chromiumFlags = []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"}

// chromium runs the browser on url with extra flags and returns stdout.
func chromium(t *testing.T, bin, url string, extra ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append(append(append([]string{}, chromiumFlags...), "--user-data-dir="+t.TempDir()), extra...)
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", extra, err, stderr.String())
	}
	return string(out)
}

// TestStatusPageInBrowser starts relayd with destinations in every state
// (delivered to, paused, backing off, one whose downstream redirects to
// markup and goes dead), sends traffic with a <script> in its body and a
// header, and loads the status page in headless Chromium through a
// loopback proxy that adds the bearer token, as an operator's would. The
// DOM must show each destination and state, three SVG plots, the dead
// letter's censored error and the looked-up message's attempts, with no
// canary and no script. The screenshot goes to $RELAYD_SCREENSHOT when set
// (make screenshot: docs/img/status.png).
func TestStatusPageInBrowser(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not installed (.ci/run installs it: apt-get install -y chromium); the status page is not tested in a browser")
	}
	c := newCanaries("PAGE", "BILLING")
	t.Setenv("CNRY_PAGE", c["PAGE"])
	t.Setenv("CNRY_BILLING", c["BILLING"])
	billing := startSink(t, "127.0.0.1:0")
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", `javascript:<script>alert("err")</script>?k=`+c["BILLING"])
		w.WriteHeader(http.StatusFound)
	}))
	defer hostile.Close()
	metrics := reservePort(t)
	r := newRelayd(t, statusPageConfig(billing.addr, hostile.URL, reservePort(t), metrics))
	r.start()
	if _, code := r.relayctl("pause", "archive"); code != 0 {
		t.Fatal("relayctl pause archive failed")
	}
	var ids []string
	for i := range 6 {
		body := fmt.Sprintf(`{"service_instance_guid":"35307a08-%d","status":"CREATED","password":"%s"}`, i, c["PAGE"])
		if i == 0 {
			body = `{"service_instance_guid":"<script>alert('body')</script>","status":"CREATE_FAILED"}`
		}
		req, _ := http.NewRequest(http.MethodPost, r.url("/broker"), strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Trace", `<script>alert("hdr")</script>`)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var buf strings.Builder
		fmt.Fprint(&buf, resp.Body)
		ids = append(ids, acceptID(t, resp))
	}
	waitFor(t, "billing delivered, hooks dead, mailer backing off", func() bool {
		s := r.status()
		_, _, _, _, delivered := s.dest("billing")
		_, _, _, dead, _ := s.dest("hooks")
		state, _, _, _, _ := s.dest("mailer")
		return delivered == 6 && dead == 6 && state == "backing-off"
	})

	// The page wants the token; a loopback proxy presents it.
	if resp, err := http.Get("http://" + metrics + "/"); err != nil || resp.StatusCode != 401 {
		t.Fatalf("the page without its token: %v %v", resp, err)
	}
	target, _ := url.Parse("http://" + metrics)
	proxy := httputil.NewSingleHostReverseProxy(target)
	direct := proxy.Director
	proxy.Director = func(req *http.Request) { direct(req); req.Header.Set("Authorization", "Bearer "+c["PAGE"]) }
	front := httptest.NewServer(proxy)
	defer front.Close()
	page := front.URL + "/?q=" + ids[0]

	dom := chromium(t, bin, page, "--dump-dom")
	checkStatusDOM(t, dom, c)
	shot := filepath.Join(t.TempDir(), "status.png")
	chromium(t, bin, front.URL+"/", "--screenshot="+shot, "--window-size=1280,1000", "--hide-scrollbars")
	if st, err := os.Stat(shot); err != nil || st.Size() < 10<<10 {
		t.Fatalf("no screenshot: %v", err)
	}
	if dst := os.Getenv("RELAYD_SCREENSHOT"); dst != "" {
		b, _ := os.ReadFile(shot)
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot written to %s", dst)
	}
}

func acceptID(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return mustAccept(t, resp.StatusCode, b.String()).ID
}

var dataStateRE = regexp.MustCompile(`<strong>([a-z]+)</strong></td>\s*<td[^>]*>[^<]*</td>\s*<td class="state [a-z]+" data-state="([a-z-]+)"`)

func checkStatusDOM(t *testing.T, dom string, c canaries) {
	t.Helper()
	states := map[string]string{}
	for _, m := range dataStateRE.FindAllStringSubmatch(dom, -1) {
		states[m[1]] = m[2]
	}
	// hooks: six deliveries dead in a row (breaker.failing_after 5).
	want := map[string]string{"billing": "active", "hooks": "failing", "mailer": "backing-off", "archive": "paused"}
	for name, st := range want {
		if states[name] != st {
			t.Errorf("destination %s: state %q in the DOM, want %q (all: %v)", name, states[name], st, states)
		}
	}
	if n := strings.Count(dom, "<svg "); n != 3 {
		t.Errorf("%d SVG plots in the DOM, want 3", n)
	}
	if !strings.Contains(dom, `class="dead-letter"`) || !strings.Contains(dom, "is not http or https") {
		t.Error("the DOM lacks the dead letters and their last error")
	}
	if !strings.Contains(dom, "&lt;/script&gt;?…") {
		t.Error("the dead letter's error is not shown as relay recorded it (the Location's query redacted)")
	}
	if n := strings.Count(dom, `class="attempt"`); n < 3 {
		t.Errorf("the look-up shows %d attempts, want those of billing, hooks and mailer", n)
	}
	if strings.Contains(strings.ToLower(dom), "<script") {
		t.Error("a <script> element in the DOM: sender or downstream markup was not escaped")
	}
	for _, s := range []string{`&lt;script&gt;alert('body')`, `&lt;script&gt;alert("hdr")`, `&lt;script&gt;alert(\"err\")`} {
		if !strings.Contains(dom, s) {
			t.Errorf("the DOM lacks the escaped %s", s)
		}
	}
	for name, v := range c {
		if strings.Contains(dom, v) {
			t.Errorf("the DOM shows canary %s", name)
		}
	}
	checkPageReadOnly(t, dom)
}

var (
	domFormRE = regexp.MustCompile(`(?is)<form\b[^>]*>`)
	domHrefRE = regexp.MustCompile(`(?is)\b(?:href|src|action|formaction)="([^"]*)"`)
)

// checkPageReadOnly: every form is GET, every link, source and action is
// to "/" or an anchor: nothing on the page can change anything.
func checkPageReadOnly(t *testing.T, dom string) {
	t.Helper()
	forms := domFormRE.FindAllString(dom, -1)
	if len(forms) == 0 {
		t.Error("no look-up form in the DOM")
	}
	for _, f := range forms {
		if !strings.Contains(strings.ToLower(f), `method="get"`) {
			t.Errorf("a form that is not GET: %s", f)
		}
	}
	for _, m := range domHrefRE.FindAllStringSubmatch(dom, -1) {
		h := strings.ReplaceAll(m[1], "&amp;", "&")
		if !strings.HasPrefix(h, "#") && h != "/" && !strings.HasPrefix(h, "/?") && !strings.HasPrefix(h, "/#") {
			t.Errorf("a link, source or action elsewhere: %q", h)
		}
	}
}

func statusPageConfig(billing, hostile, down, metrics string) string {
	return `
server:
  listen: 127.0.0.1:0
defaults:
  retry: {initial_interval: 20ms, multiplier: 2, randomization: 0, max_interval: 100ms, max_elapsed: 1h}
destinations:
  - name: billing
    url: http://` + billing + `/billing
    headers: {Authorization: "Bearer ${CNRY_BILLING}"}
  - name: hooks
    url: ` + hostile + `/hook.php
  - name: mailer
    url: http://` + down + `/mail
    breaker: {failures: 3}
  - name: archive
    url: http://` + billing + `/archive
routes:
  - name: broker
    path: /broker
    methods: [POST]
    tracing_key: json.service_instance_guid
    destinations: [billing, hooks, mailer, archive]
admin:
  socket: {{socket}}
  metrics_listen: ` + metrics + `
  status_page_token: "${CNRY_PAGE}"
`
}
