package relay

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/relayd/relayd/daemon/webhooksig"
)

// hopClients are a destination's fasthttp clients. first sends the first
// hop, to the configured URL, with the destination's TLS settings. Redirect
// hops are dialed through a hopDialer (relayd's own listeners and
// link-local addresses refused); trusted serves the destination's own host
// and its redirect_hosts with its TLS settings, other every other host with
// default verification against the system roots, since tls_skip_verify or
// a private CA is the operator's trust in their downstream, not in wherever
// it redirects to.
type hopClients struct {
	first, trusted, other *fasthttp.Client
}

func (c *hopClients) closeIdle() {
	c.first.CloseIdleConnections()
	c.trusted.CloseIdleConnections()
	c.other.CloseIdleConnections()
}

// newHopClients builds dest's clients; it returns the CA file's content so
// a reload notices a changed file.
func newHopClients(d Destination, hops *hopDialer) (*hopClients, []byte, error) {
	own, caPEM, err := destinationTLS(d)
	if err != nil {
		return nil, nil, err
	}
	system := &tls.Config{MinVersion: tls.VersionTLS12}
	return &hopClients{
		first:   newClient(d, own, nil),
		trusted: newClient(d, own, hops.DialTimeout),
		other:   newClient(d, system, hops.DialTimeout),
	}, caPEM, nil
}

// destinationTLS is the TLS config for dest's own host and redirect_hosts.
func destinationTLS(d Destination) (*tls.Config, []byte, error) {
	tlsCfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		// #nosec G402 -- operators opt in per destination (self-signed downstreams).
		InsecureSkipVerify: d.TLSSkipVerify,
	}
	if d.CAFile == "" {
		return tlsCfg, nil, nil
	}
	pem, err := os.ReadFile(d.CAFile)
	if err != nil {
		return nil, nil, fmt.Errorf("read ca_file: %w", err)
	}
	// The CA is added to the system roots so a host of redirect_hosts may
	// still be publicly trusted.
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, nil, fmt.Errorf("ca_file %q holds no PEM certificate", d.CAFile)
	}
	tlsCfg.RootCAs = pool
	return tlsCfg, pem, nil
}

// newClient builds one fasthttp client of dest. It is a fasthttp.Client,
// not a HostClient: a HostClient would send a redirect to another host to
// its own Addr. dial nil is fasthttp's own dialer.
func newClient(d Destination, tlsCfg *tls.Config, dial fasthttp.DialFuncWithTimeout) *fasthttp.Client {
	return &fasthttp.Client{
		Name:        "relayd",
		TLSConfig:   tlsCfg,
		DialTimeout: dial,
		// One connection per worker plus one spare; a request waits for a
		// free connection rather than failing with ErrNoFreeConns.
		MaxConnsPerHost:     d.Concurrency + 1,
		MaxConnWaitTimeout:  d.Timeout,
		MaxIdleConnDuration: 4 * time.Second, // below common server keep-alive timeouts
		// The operator's URL is sent as written.
		DisablePathNormalizing: true,
		// Only the first 1 KiB of a response is kept; a large body is not
		// buffered in memory.
		StreamResponseBody: true,
		// fasthttp would otherwise silently retry GET/PUT attempts; relay
		// counts its own attempts. The one retry kept is for a kept-alive
		// connection the server closed before answering.
		MaxIdemponentCallAttempts: 2,
		RetryIfErr:                retryStaleConn,
	}
}

func retryStaleConn(_ *fasthttp.Request, attempts int, err error) (resetTimeout, retry bool) {
	return false, attempts < 2 && (errors.Is(err, fasthttp.ErrConnectionClosed) || errors.Is(err, io.EOF))
}

// baseURL returns dest's URL with its configured query parameters added and
// any fragment removed, and the names of the parameters it holds (which an
// inbound forwarded query may not repeat); it fails on a URL relay cannot
// send to.
func baseURL(d Destination) (*url.URL, map[string]bool, error) {
	u, err := url.Parse(d.URL)
	if err != nil {
		return nil, nil, fmt.Errorf("parse url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, nil, fmt.Errorf("url %q: scheme must be http or https", d.URL)
	}
	if u.Host == "" {
		return nil, nil, fmt.Errorf("url %q: no host", d.URL)
	}
	u.Fragment, u.RawFragment = "", ""
	names := map[string]bool{}
	for k := range u.Query() {
		names[k] = true
	}
	if len(d.Query) > 0 {
		extra := url.Values{}
		for k, v := range d.Query {
			extra.Set(k, v)
			names[k] = true
		}
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += extra.Encode() // sorted by key
	}
	return u, names, nil
}

// newSender builds everything dest needs to send: clients, URL, headers and
// the signing keys. Errors name what was wrong; nothing is started.
func newSender(d Destination, sc *scope) (*sender, []byte, error) {
	target, ownParams, err := baseURL(d)
	if err != nil {
		return nil, nil, err
	}
	trusted := &trustedHosts{own: hostEntry{host: strings.ToLower(target.Hostname())}, restricted: len(d.RedirectHosts) > 0}
	for _, h := range d.RedirectHosts {
		e, err := parseHostEntry(h)
		if err != nil {
			return nil, nil, err
		}
		trusted.listed = append(trusted.listed, e)
	}
	hops := &hopDialer{own: &sc.own, trusted: trusted, dial: (&net.Dialer{}).DialContext}
	clients, caPEM, err := newHopClients(d, hops)
	if err != nil {
		return nil, nil, err
	}
	s := &sender{
		clients:      clients,
		hops:         hops,
		url:          target.String(),
		ownParams:    ownParams,
		method:       strings.ToUpper(d.Method),
		forwardQuery: d.ForwardQuery,
		forwardAuth:  d.ForwardAuth,
		consumed:     &sc.consumed,
		timeout:      d.Timeout,
		maxRedirects: d.MaxRedirects,
	}
	for k, v := range d.Headers {
		s.headers = append(s.headers, header{k, v})
	}
	sort.Slice(s.headers, func(i, j int) bool { return s.headers[i].name < s.headers[j].name })
	s.crossOriginDrop = append([]string(nil), credentialHeaders...)
	for _, h := range s.headers {
		s.crossOriginDrop = append(s.crossOriginDrop, h.name)
	}
	if s.secrets, err = signingSecrets(d.Signing); err != nil {
		return nil, nil, err
	}
	return s, caPEM, nil
}

// signingSecrets checks a destination's signing block and lists its
// secrets, Secret first; nil when it signs nothing.
func signingSecrets(sg *Signing) ([]string, error) {
	if sg == nil {
		return nil, nil
	}
	if sg.Scheme != "standard-webhooks" {
		return nil, fmt.Errorf("signing scheme %q: only standard-webhooks is supported", sg.Scheme)
	}
	var out []string
	for _, secret := range append([]string{sg.Secret}, sg.Secrets...) {
		if secret == "" {
			continue
		}
		if _, err := webhooksig.DecodeSecret(secret); err != nil {
			return nil, fmt.Errorf("signing secret %d: %w", len(out)+1, err)
		}
		out = append(out, secret)
	}
	if len(out) == 0 {
		return nil, errors.New("signing: no secret")
	}
	return out, nil
}
