package config

import (
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// MaxRedirectsLimit is the largest max_redirects accepted.
const MaxRedirectsLimit = 20

// Validate checks the whole configuration and returns *Problems listing
// every problem with its YAML path, or nil. It expects defaults to have
// been applied (Load and Parse do): a zero timeout is a problem here, not
// "unset". It never panics on a Config built in code.
//
// A Config built in code cannot tell a value a destination inherited from
// its own, so a bad defaults value is reported at every destination too;
// Parse knows the file and reports it once.
func (c *Config) Validate() error { return c.validate(&checks{hidden: secretPath}) }

// validate runs every check into ps and returns its problems.
func (c *Config) validate(ps *checks) error {
	c.validateServer(ps)
	if strings.TrimSpace(c.Admin.Socket) == "" {
		ps.add("admin.socket", "must not be empty")
	}
	if c.Admin.MetricsListen != "" {
		checkHostPort(ps, "admin.metrics_listen", c.Admin.MetricsListen)
	}
	if t := c.Admin.StatusPageToken; t != "" && !bearerToken(t) {
		ps.add("admin.status_page_token", "must be a bearer token: letters, digits and -._~+/ (then = only at the end), as a browser or proxy sends it after \"Bearer \"")
	}
	if strings.TrimSpace(c.Storage.Dir) == "" {
		ps.add("storage.dir", "must not be empty")
	}
	positive(ps, "storage.retention", c.Storage.Retention)
	if c.Storage.MinFree < 0 {
		ps.add("storage.min_free", "must not be negative")
	}
	if c.Storage.MaxDisk < 0 {
		ps.add("storage.max_disk", "must not be negative (0 means no cap)")
	}
	switch c.Storage.Backend {
	case "badger":
	case "jetstream":
		ps.add("storage.backend", "jetstream is not available in this version of relayd (want badger)")
	default:
		ps.add("storage.backend", "unknown backend%s (want badger)", ps.inline("storage.backend", c.Storage.Backend))
	}
	c.validateDefaults(ps)
	known := c.validateDestinations(ps)
	c.validateRoutes(ps, known)
	ps.dropInherited()
	return ps.list.err()
}

func (c *Config) validateServer(ps *checks) {
	s := &c.Server
	checkHostPort(ps, "server.listen", s.Listen)
	if s.MaxBodySize <= 0 {
		ps.add("server.max_body_size", "must be greater than 0")
	}
	positive(ps, "server.read_timeout", s.ReadTimeout)
	positive(ps, "server.write_timeout", s.WriteTimeout)
	positive(ps, "server.idle_timeout", s.IdleTimeout)
	if s.MaxHeaderSize < 1024 {
		ps.add("server.max_header_size", "must be at least 1KiB")
	}
	if s.MaxConns < 0 {
		ps.add("server.max_conns", "must not be negative (0 means no cap)")
	}
	if s.MaxConnsPerIP < 0 {
		ps.add("server.max_conns_per_ip", "must not be negative (0 means no cap)")
	}
	for i, p := range s.TrustedProxies {
		checkIPOrCIDR(ps, indexPath("server.trusted_proxies", i), p)
	}
	for i, f := range s.CensorFields {
		if strings.TrimSpace(f) == "" {
			ps.add(indexPath("server.censor_fields", i), "must not be empty")
		}
	}
}

func (c *Config) validateDefaults(ps *checks) {
	d := &c.Defaults
	positive(ps, "defaults.timeout", d.Timeout)
	checkRedirects(ps, "defaults.max_redirects", d.MaxRedirects)
	checkConcurrency(ps, "defaults.concurrency", d.Concurrency)
	d.Retry.validate(ps, "defaults.retry")
	d.Breaker.validate(ps, "defaults.breaker")
}

// validate checks a breaker block.
func (b *Breaker) validate(ps *checks, path string) {
	if b.Failures < 1 {
		ps.add(path+".failures", "must be at least 1")
	}
	if b.FailingAfter < 1 {
		ps.add(path+".failing_after", "must be at least 1")
	}
}

// validateDeadLetters checks that each dead_letter names another known
// destination that has no dead_letter of its own (no chains, no loops).
func (c *Config) validateDeadLetters(ps *checks, known map[string]int) {
	for i := range c.Destinations {
		d := &c.Destinations[i]
		if d.DeadLetter == "" {
			continue
		}
		path := indexPath("destinations", i) + ".dead_letter"
		j, ok := known[d.DeadLetter]
		switch {
		case !ok && ps.namesIncomplete():
		case !ok:
			ps.add(path, "unknown destination%s", ps.inline(path, d.DeadLetter))
		case d.DeadLetter == d.Name:
			ps.add(path, "a destination cannot be its own dead_letter")
		case c.Destinations[j].DeadLetter != "":
			ps.add(path, "%s has a dead_letter of its own; a dead-letter destination must not (no chains)", indexPath("destinations", j))
		}
	}
}

// validateDestinations checks every destination and returns the index of
// each name, for the routes' references.
func (c *Config) validateDestinations(ps *checks) map[string]int {
	known := make(map[string]int, len(c.Destinations))
	for i := range c.Destinations {
		d := &c.Destinations[i]
		path := indexPath("destinations", i)
		checkName(ps, path+".name", d.Name)
		if j, dup := known[d.Name]; dup && d.Name != "" {
			ps.add(path+".name", "duplicate name%s (also destinations[%d])", ps.inline(path+".name", d.Name), j)
		} else {
			known[d.Name] = i
		}
		d.validate(ps, path)
	}
	c.validateDeadLetters(ps, known)
	return known
}

// validate checks one destination's own fields.
func (d *Destination) validate(ps *checks, path string) {
	checkURL(ps, path+".url", d.URL)
	if d.Method != "" && !isToken(d.Method) {
		ps.add(path+".method", "%s is not a valid HTTP method", ps.quote(path+".method", d.Method))
	}
	for name, value := range d.Headers {
		hp := joinPath(path+".headers", name)
		if !isToken(name) {
			ps.add(hp, "%q is not a valid header name", name)
		}
		if strings.ContainsAny(value, "\r\n\x00") {
			ps.add(hp, "value must not contain CR, LF or NUL")
		}
	}
	for name := range d.Query {
		if name == "" {
			ps.add(path+".query", "parameter names must not be empty")
		}
	}
	for i, h := range d.RedirectHosts {
		if msg := redirectHostProblem(h); msg != "" {
			ps.add(indexPath(path+".redirect_hosts", i), "%s", msg)
		}
	}
	if d.CAFile != "" {
		checkCAFile(ps, path+".ca_file", d.CAFile)
	}
	positive(ps, path+".timeout", d.Timeout)
	checkRedirects(ps, path+".max_redirects", d.MaxRedirects)
	checkConcurrency(ps, path+".concurrency", d.Concurrency)
	if d.RateLimit < 0 || d.RateLimit != d.RateLimit {
		ps.add(path+".rate_limit", "must be 0 (no limit) or more requests per second")
	}
	if d.Signing != nil {
		if d.Signing.Scheme != "standard-webhooks" {
			ps.add(path+".signing.scheme", "unknown scheme%s (want standard-webhooks)", ps.inline(path+".signing.scheme", d.Signing.Scheme))
		}
		checkWebhookSecrets(ps, path+".signing", d.Signing.Secret, d.Signing.Secrets)
	}
	if d.Retry != nil {
		d.Retry.validate(ps, path+".retry")
	}
	if d.Breaker != nil {
		d.Breaker.validate(ps, path+".breaker")
	}
}

// redirectHostProblem says what is wrong with a redirect_hosts entry
// ("host", "host:port", "[v6]:port" or a bare IPv6 address); "" if nothing.
// relay reads the entries the same way.
func redirectHostProblem(entry string) string {
	if strings.ContainsAny(entry, "/?#@ \t") {
		return fmt.Sprintf("%q must be a host name or address (no scheme, path or userinfo)", entry)
	}
	host, port, err := net.SplitHostPort(entry)
	if err != nil {
		host, port = strings.TrimSuffix(strings.TrimPrefix(entry, "["), "]"), ""
	}
	if host == "" {
		return "must be a host name or address, with an optional :port"
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("%q: port must be 1-65535", entry)
		}
	}
	return ""
}

// validate checks a retry schedule.
func (r *Retry) validate(ps *checks, path string) {
	positive(ps, path+".initial_interval", r.InitialInterval)
	if !(r.Multiplier >= 1) {
		ps.add(path+".multiplier", "must be at least 1%s", ps.got(path+".multiplier", r.Multiplier))
	}
	if r.Randomization != nil && !(*r.Randomization >= 0 && *r.Randomization < 1) {
		ps.add(path+".randomization", "must be at least 0 and below 1%s", ps.got(path+".randomization", *r.Randomization))
	}
	if r.MaxInterval < r.InitialInterval && !ps.anyFailed(path+".initial_interval") {
		ps.add(path+".max_interval", "must not be below initial_interval%s", ps.got(path+".initial_interval", r.InitialInterval.D()))
	}
	positive(ps, path+".max_elapsed", r.MaxElapsed)
	if r.MaxAttempts < 0 {
		ps.add(path+".max_attempts", "must not be negative (0 means bounded by max_elapsed only)")
	}
	for i, m := range r.OnStatus {
		switch {
		case m.Lo < 100 || m.Hi > 599 || m.Lo > m.Hi:
			ps.add(indexPath(path+".on_status", i), "invalid status range (want 100-599)")
		case m.Lo < 300 && m.Hi >= 200:
			ps.add(indexPath(path+".on_status", i), "2xx responses are successes and are never retried")
		}
	}
}

func positive(ps *checks, path string, d Duration) {
	if d <= 0 {
		ps.add(path, "must be greater than 0%s", ps.got(path, d.D()))
	}
}

func checkRedirects(ps *checks, path string, n *int) {
	if n != nil && (*n < 0 || *n > MaxRedirectsLimit) {
		ps.add(path, "must be between 0 and %d%s", MaxRedirectsLimit, ps.got(path, *n))
	}
}

func checkConcurrency(ps *checks, path string, n int) {
	if n < 1 {
		ps.add(path, "must be at least 1%s", ps.got(path, n))
	}
}

// checkName accepts names that are safe in logs, URLs and CLI arguments.
func checkName(ps *checks, path, name string) {
	if name == "" {
		ps.add(path, "must not be empty")
		return
	}
	for _, c := range []byte(name) {
		if !(c == '_' || c == '.' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			ps.add(path, "%s may only contain letters, digits, '_', '.' and '-'", ps.quote(path, name))
			return
		}
	}
}

func checkHostPort(ps *checks, path, addr string) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		ps.add(path, "%s is not host:port (e.g. 127.0.0.1:8080)", ps.quote(path, addr))
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		ps.add(path, "%s has an invalid port", ps.quote(path, addr))
	}
}

func checkIPOrCIDR(ps *checks, path, s string) {
	if net.ParseIP(s) != nil {
		return
	}
	if _, _, err := net.ParseCIDR(s); err != nil {
		ps.add(path, "%s is not an IP address or CIDR (e.g. 10.0.0.0/8)", ps.quote(path, s))
	}
}

func checkURL(ps *checks, path, raw string) {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		ps.add(path, "must not be empty")
	case err != nil && ps.shown(path):
		ps.add(path, "%q is not a valid URL: %v", raw, unwrapURLError(err))
	case err != nil: // url's errors quote the part they stumbled on
		ps.add(path, "the value is not a valid URL (want http://host[:port]/path)")
	case u.Scheme != "http" && u.Scheme != "https":
		ps.add(path, "%s must be an absolute http:// or https:// URL", ps.quote(path, raw))
	case u.Host == "" || u.Hostname() == "":
		ps.add(path, "%s has no host", ps.quote(path, raw))
	}
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

func checkCAFile(ps *checks, path, file string) {
	data, err := os.ReadFile(file)
	if err != nil && ps.shown(path) {
		ps.add(path, "cannot read: %v", err)
		return
	}
	if err != nil {
		ps.add(path, "cannot read the file: %v", unwrapPathError(err))
		return
	}
	if !x509.NewCertPool().AppendCertsFromPEM(data) {
		ps.add(path, "%s holds no PEM certificate", ps.quote(path, file))
	}
}

// checkWebhookSecrets checks the secret and secrets keys under path: at
// least one set, each a Standard Webhooks secret.
func checkWebhookSecrets(ps *checks, path, secret string, more []string) {
	if secret == "" && len(more) == 0 && !ps.anyFailed(path+".secrets") {
		ps.add(path+".secret", "must not be empty (set secret or secrets)")
		return
	}
	if secret != "" {
		checkWebhookSecret(ps, path+".secret", secret)
	}
	for i, s := range more {
		checkWebhookSecret(ps, indexPath(path+".secrets", i), s)
	}
}

// checkWebhookSecret checks a Standard Webhooks secret: "whsec_" + base64.
func checkWebhookSecret(ps *checks, path, secret string) {
	b64, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		ps.add(path, "must start with \"whsec_\" followed by base64")
		return
	}
	if key, err := base64.StdEncoding.DecodeString(b64); err != nil || len(key) == 0 {
		ps.add(path, "the part after \"whsec_\" is not valid base64")
	}
}

// isToken reports whether s is an RFC 9110 token (methods, header names).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// quoteList formats names as "a", "b" for messages.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// bearerToken reports whether t can be sent as "Authorization: Bearer t"
// (RFC 6750's b64token): a token with a space or a control character
// could never be presented, so the page would refuse everyone.
func bearerToken(t string) bool {
	body := strings.TrimRight(t, "=")
	if body == "" {
		return false
	}
	for _, r := range body {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~+/", r)
		if !ok {
			return false
		}
	}
	return true
}
