package e2e

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// canaries are distinct secret values planted in every secret-bearing
// config key and every inbound credential; none may show up in relayd's
// logs, its answers or any relayctl / relayd check output.
type canaries map[string]string

func newCanaries(names ...string) canaries {
	c := canaries{}
	for _, n := range names {
		b := make([]byte, 8)
		rand.Read(b)
		c[n] = "cnry" + strings.ToLower(n) + hex.EncodeToString(b)
	}
	return c
}

// whsec plants a Standard Webhooks secret; its base64 part is the canary.
func (c canaries) whsec(name string) string {
	b := make([]byte, 24)
	rand.Read(b)
	c[name] = base64.StdEncoding.EncodeToString(b)
	return "whsec_" + c[name]
}

// transcript collects everything relayd and relayctl said, by label.
type transcript struct {
	mu    sync.Mutex
	parts []string
}

func (tr *transcript) add(label, text string) {
	tr.mu.Lock()
	tr.parts = append(tr.parts, "== "+label+"\n"+text)
	tr.mu.Unlock()
}

// leaks names every canary found in the transcript, with where.
func (tr *transcript) leaks(c canaries) []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var out []string
	for _, p := range tr.parts {
		label, _, _ := strings.Cut(p, "\n")
		for name, v := range c {
			if strings.Contains(p, v) {
				out = append(out, fmt.Sprintf("%s leaks canary %s", label, name))
			}
		}
	}
	sort.Strings(out)
	return out
}

// canarySink answers every request 400 with a form body that repeats a
// configured secret and names a token field, as a careless downstream
// would; it records what it received.
type canarySink struct {
	mu   sync.Mutex
	got  []string
	body string
	addr string
}

func startCanarySink(t *testing.T, body string) *canarySink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &canarySink{body: body, addr: ln.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		r.Write(&b) // request line, headers and body as received
		s.mu.Lock()
		s.got = append(s.got, b.String())
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, s.body)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *canarySink) received() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.got, "\n")
}

func canaryConfig(c canaries, sinkAddr, apiKeyFile, metrics string) string {
	return `
server:
  listen: 127.0.0.1:0
  max_header_size: 4KiB
  max_body_size: 64KiB
  status_token: "${CNRY_STATUS}"
` + fastRetry + `
destinations:
  - name: whmcs
    url: "http://relay:${CNRY_URLPW}@` + sinkAddr + `/hook.php?key=${CNRY_URLQ}"
    query: {secret: "${CNRY_WHMCS}"}
    forward_query: true
    headers: {X-Api-Key: "${file:` + apiKeyFile + `}"}
    signing: {scheme: standard-webhooks, secret: "${CNRY_SIGN}"}
  - name: broker
    url: http://` + sinkAddr + `/broker
    headers: {Authorization: "Bearer ${CNRY_BILLING}"}
routes:
  - name: solusvm
    path: /solus
    methods: [POST]
    auth:
      token: {query: secret, value: "${CNRY_SOLUS}"}
    destinations: [whmcs]
  - name: broker
    path: /broker
    methods: [POST]
    auth:
      token: {header: X-Broker-Token, value: "${CNRY_BROKER}"}
      hmac: {header: X-Signature, secret: "${CNRY_HMAC}", prefix: "sha256="}
    tracing_key: json.service_instance_guid
    destinations: [broker]
  - name: signed
    path: /signed
    methods: [POST]
    auth:
      standard_webhooks: {secrets: ["${CNRY_SWH}"]}
    destinations: [whmcs]
admin:
  socket: {{socket}}
  metrics_listen: ` + metrics + `
  status_page_token: "${CNRY_PAGE}"
`
}

// TestCanarySweep plants a distinct canary in every secret-bearing config
// key and every inbound credential, sends every kind of request (good,
// refused, malformed, oversized), runs every relayctl command in both
// output modes, relayd check and relayctl config check on broken configs
// and two reloads, then greps everything said for the canaries.
func TestCanarySweep(t *testing.T) {
	c := newCanaries("STATUS", "URLPW", "URLQ", "WHMCS", "APIKEY", "BILLING",
		"SOLUS", "BROKER", "HMAC", "RESPTOKEN", "WRONG1", "WRONG2", "WRONG3", "WRONG4",
		"WRONG5", "WRONG6", "WRONG7", "PAGE")
	sign, swh := c.whsec("SIGN"), c.whsec("SWH")
	for _, n := range []string{"PAGE", "STATUS", "URLPW", "URLQ", "WHMCS", "BILLING", "SOLUS", "BROKER", "HMAC"} {
		t.Setenv("CNRY_"+n, c[n])
	}
	t.Setenv("CNRY_SIGN", sign)
	t.Setenv("CNRY_SWH", swh)

	sk := startCanarySink(t, "token="+c["RESPTOKEN"]+"&echo="+c["WHMCS"]+"&status=bad")
	var tr transcript
	r := newRelayd(t, "")
	apiKeyFile := filepath.Join(r.dir, "api-key")
	if err := os.WriteFile(apiKeyFile, []byte(c["APIKEY"]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	metrics := reservePort(t)
	r.writeConfig(canaryConfig(c, sk.addr, apiKeyFile, metrics))
	r.start()

	ids := canaryRequests(t, r, c, swh, &tr)
	waitFor(t, "every delivery dead (the sink answers 400)", func() bool {
		_, _, _, dead, _ := r.status().dest("whmcs")
		_, _, _, bdead, _ := r.status().dest("broker")
		return dead == 2 && bdead == 1
	})
	canaryStatusEndpoint(t, r, c, ids, &tr)
	canaryStatusPage(t, metrics, c, ids, &tr)
	canaryRelayctl(t, r, ids, &tr)
	canaryChecks(t, r, c, &tr)
	canaryReloads(t, r, apiKeyFile, &tr)

	r.signal(15)
	r.wait()
	tr.add("relayd log", r.Logs())
	for _, l := range tr.leaks(c) {
		t.Error(l)
	}
	// The inbound credentials stay on their hop: the sink never sees them.
	got := sk.received()
	for _, n := range []string{"SOLUS", "BROKER", "WRONG1", "WRONG2", "WRONG3", "WRONG4", "WRONG5"} {
		if strings.Contains(got, c[n]) {
			t.Errorf("the downstream received inbound credential %s", n)
		}
	}
	if !strings.Contains(got, c["WHMCS"]) || !strings.Contains(got, c["APIKEY"]) {
		t.Errorf("the downstream did not receive its own credentials:\n%s", got)
	}
}

// canaryRequests sends good, refused, malformed and oversized requests and
// returns the ids of the accepted ones.
func canaryRequests(t *testing.T, r *relayd, c canaries, swh string, tr *transcript) []string {
	t.Helper()
	var ids []string
	send := func(label string, want int, req *http.Request) {
		t.Helper()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tr.add("answer to "+label, resp.Status+"\n"+fmt.Sprint(resp.Header)+"\n"+string(b))
		if resp.StatusCode != want {
			t.Fatalf("%s: want %d, got %d %s", label, want, resp.StatusCode, b)
		}
		if want == http.StatusAccepted {
			ids = append(ids, mustAccept(t, resp.StatusCode, string(b)).ID)
		}
	}
	post := func(path, body string, hdr ...string) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, r.url(path), strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		return req
	}
	send("solus good", 202, post("/solus?serverId=42&secret="+c["SOLUS"], `{"a":1}`))
	send("solus wrong secret", 401, post("/solus?serverId=42&secret="+c["WRONG1"], `{"a":1}`))
	body := `{"service_instance_guid":"35307a08","password":"` + c["WRONG7"] + `"}`
	mac := hmac.New(sha256.New, []byte(c["HMAC"]))
	mac.Write([]byte(body))
	sig := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	send("broker good", 202, post("/broker", body, "X-Broker-Token", c["BROKER"], "X-Signature", sig))
	send("broker wrong token", 401, post("/broker", body, "X-Broker-Token", c["WRONG2"], "X-Signature", sig))
	send("signed good", 202, post("/signed", `{"e":1}`, swHeaders(swh, "msg_1", `{"e":1}`)...))
	// Headers only: relayd answers 413 on the announced length, and a
	// client still writing the body would race the reset.
	tooLarge := rawRequest(t, r.addr, "POST /solus?secret="+c["WRONG5"]+" HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n\r\n")
	if !strings.HasPrefix(tooLarge, "HTTP/1.1 413") {
		t.Fatalf("too large: want 413, got %.60q", tooLarge)
	}
	tr.add("answer to too large", tooLarge)
	tr.add("raw malformed", rawRequest(t, r.addr, "GET /solus?secret="+c["WRONG3"]+" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+c["WRONG4"]+"\r\nBad header line\r\n\r\n"))
	tr.add("raw oversized", rawRequest(t, r.addr, "POST /solus?secret="+c["WRONG3"]+" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+c["WRONG4"]+"\r\nX-Pad: "+strings.Repeat("p", 8<<10)+"\r\nContent-Length: 0\r\n\r\n"))
	return ids
}

// swHeaders signs body as a Standard Webhooks sender would.
func swHeaders(secret, id, body string) []string {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + body))
	return []string{"webhook-id", id, "webhook-timestamp", ts,
		"webhook-signature", "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))}
}

// rawRequest writes raw bytes to the ingress and returns whatever it answers.
func rawRequest(t *testing.T, addr, raw string) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(conn, raw)
	b, _ := io.ReadAll(bufio.NewReader(conn))
	if len(b) == 0 {
		t.Fatalf("no answer to %.40q", raw)
	}
	return string(b)
}

func canaryStatusEndpoint(t *testing.T, r *relayd, c canaries, ids []string, tr *transcript) {
	t.Helper()
	for _, tok := range []string{c["STATUS"], c["WRONG6"]} {
		// By id, and by key (the broker callback's instance guid).
		for _, id := range append(ids, "?key=35307a08") {
			path := "/_relay/messages/" + id
			if strings.HasPrefix(id, "?") {
				path = "/_relay/messages" + id
			}
			req, _ := http.NewRequest(http.MethodGet, r.url(path), nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			tr.add("status endpoint "+id, resp.Status+"\n"+string(b))
		}
	}
}

// canaryStatusPage loads the status page and each message's look-up with
// the page's token and with a wrong one.
func canaryStatusPage(t *testing.T, addr string, c canaries, ids []string, tr *transcript) {
	t.Helper()
	for _, tok := range []string{c["PAGE"], c["WRONG6"]} {
		for _, q := range append([]string{""}, ids...) {
			req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/?q="+q, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if tok == c["PAGE"] && (resp.StatusCode != 200 || (q != "" && !strings.Contains(string(b), `class="attempt"`))) {
				t.Errorf("status page q=%s: %s, or no attempt shown", q, resp.Status)
			}
			tr.add("status page q="+q, resp.Status+"\n"+fmt.Sprint(resp.Header)+"\n"+string(b))
		}
	}
}

// canaryRelayctl runs every relayctl command, plain and --json.
func canaryRelayctl(t *testing.T, r *relayd, ids []string, tr *transcript) {
	t.Helper()
	cmds := [][]string{{"status"}, {"destinations"}, {"destinations", "-o", "wide"}, {"ls"}, {"ls", "-o", "wide"},
		{"ls", "--state", "dead"}, {"replay", "--dest", "broker", "--state", "dead", "--dry-run"},
		{"pause", "whmcs"}, {"resume", "whmcs"}, {"ls", "--key", "35307a08"}, {"show", "35307a08"}}
	for _, id := range ids {
		cmds = append(cmds, []string{"show", id})
	}
	for _, json := range []bool{false, true} {
		tail := startTail(t, r, json)
		for _, args := range cmds {
			canaryCtl(t, r, tr, json, args...)
		}
		canaryCtl(t, r, tr, json, "replay", "--dest", "broker", "--state", "dead")
		waitFor(t, "tail shows the replayed attempt", func() bool { return strings.Contains(tail.out(), "broker") })
		tr.add(fmt.Sprintf("tail json=%v", json), tail.stop())
	}
	// The backlog (-n) carries the same errors again, from memory.
	backlog := startTailWith(t, r, "-n", "1000", "--json")
	waitFor(t, "tail -n shows the backlog", func() bool { return strings.Contains(backlog.out(), "broker") })
	tr.add("tail -n 1000 --json", backlog.stop())
	canaryCtl(t, r, tr, false, "purge", "--state", "dead", "--dest", "broker", "--dry-run")
	canaryCtl(t, r, tr, false, "purge", "--state", "dead", "--dest", "broker")
	// Completion shows ids, routes and destination names.
	for _, words := range [][]string{{"show", ""}, {"ls", "--route", ""}, {"ls", "--dest", ""}, {"pause", ""}} {
		got := completeHook(t, append([]string{"--socket", r.socket}, words...)...)
		tr.add(fmt.Sprintf("relayctl __complete %q", words), strings.Join(got, "\n"))
	}
}

func canaryCtl(t *testing.T, r *relayd, tr *transcript, json bool, args ...string) {
	t.Helper()
	full := []string{"--socket", r.socket}
	if json {
		full = append(full, "--json")
	}
	full = append(full, args...)
	out, err := exec.Command(filepath.Join(binDir, "relayctl"), full...).CombinedOutput()
	tr.add(fmt.Sprintf("relayctl %v", full[2:]), string(out))
	if err != nil {
		t.Errorf("relayctl %v: %v\n%s", full[2:], err, out)
	}
}

// tailProc is a running `relayctl tail`.
type tailProc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	buf  bytes.Buffer
	done chan struct{}
}

func startTail(t *testing.T, r *relayd, json bool) *tailProc {
	t.Helper()
	args := []string{"--socket", r.socket}
	if json {
		args = append(args, "--json")
	}
	tp := &tailProc{cmd: exec.Command(filepath.Join(binDir, "relayctl"), append(args, "tail")...), done: make(chan struct{})}
	tp.cmd.Stdout, tp.cmd.Stderr = tp, tp
	if err := tp.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { tp.cmd.Wait(); close(tp.done) }()
	t.Cleanup(func() { tp.cmd.Process.Kill(); <-tp.done })
	return tp
}

func (tp *tailProc) Write(p []byte) (int, error) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return tp.buf.Write(p)
}

func (tp *tailProc) out() string {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return tp.buf.String()
}

func (tp *tailProc) stop() string {
	tp.cmd.Process.Signal(os.Interrupt)
	<-tp.done
	return tp.out()
}

// canaryChecks runs relayd check and relayctl config check on configs
// broken in ways that put a secret next to the problem.
func canaryChecks(t *testing.T, r *relayd, c canaries, tr *transcript) {
	t.Helper()
	broken := map[string]string{
		"secret as a duration":         "server:\n  listen: 127.0.0.1:0\n  read_timeout: \"${CNRY_SOLUS}\"\n",
		"secret as a number":           "defaults:\n  concurrency: \"${CNRY_WHMCS}\"\n",
		"secret as a size":             "server:\n  max_body_size: \"${CNRY_BROKER}\"\n",
		"secret as a url":              "destinations:\n  - name: d\n    url: \"${CNRY_BILLING}\"\nroutes:\n  - {name: r, path: /r, destinations: [d]}\n",
		"literal secret in a bad list": "routes:\n  - name: r\n    path: /r\n    auth: {token: {query: secret, value: " + c["WRONG1"] + "}}\n    destinations: {" + c["WRONG2"] + ": 1}\n",
		"yaml syntax error":            "server:\n  status_token: " + c["WRONG3"] + "\n   listen: [\n",
		"unknown key beside a secret":  "server:\n  status_token: \"${CNRY_STATUS}\"\n  statsu_token: " + c["WRONG4"] + "\n",
	}
	for name, cfg := range broken {
		path := filepath.Join(r.dir, "broken.yaml")
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{filepath.Join(binDir, "relayd"), "check", "--config", path},
			{filepath.Join(binDir, "relayctl"), "config", "check", path},
			{filepath.Join(binDir, "relayctl"), "--json", "config", "check", path},
		} {
			out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
			tr.add(fmt.Sprintf("%s on %s", filepath.Base(args[0])+" "+strings.Join(args[1:len(args)-1], " "), name), string(out))
			if err == nil {
				t.Errorf("%v accepted the config with %s", args, name)
			}
		}
	}
}

// canaryReloads rotates the API key file and reloads (accepted), then
// reloads a config broken next to a secret (refused), in both modes.
func canaryReloads(t *testing.T, r *relayd, apiKeyFile string, tr *transcript) {
	t.Helper()
	if err := os.WriteFile(apiKeyFile, []byte("rotated-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	canaryCtl(t, r, tr, false, "reload")
	good, err := os.ReadFile(r.config)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(good), "max_header_size: 4KiB", "max_header_size: \"${CNRY_HMAC}\"", 1)
	if err := os.WriteFile(r.config, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, json := range []string{"", "--json"} {
		args := []string{"--socket", r.socket}
		if json != "" {
			args = append(args, json)
		}
		out, err := exec.Command(filepath.Join(binDir, "relayctl"), append(args, "reload")...).CombinedOutput()
		tr.add("refused reload "+json, string(out))
		if err == nil {
			t.Errorf("a reload of a broken config succeeded: %s", out)
		}
	}
	if err := os.WriteFile(r.config, good, 0o600); err != nil {
		t.Fatal(err)
	}
}
