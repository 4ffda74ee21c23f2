package relay

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/relayd/relayd/relay/webhooksig"
)

// newClient builds dest's fasthttp client with its own TLS settings. It is
// a fasthttp.Client, not a HostClient: a HostClient would send a redirect to
// another host to its own Addr.
func newClient(d Destination) (*fasthttp.Client, []byte, error) {
	tlsCfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		// #nosec G402 -- operators opt in per destination (self-signed downstreams).
		InsecureSkipVerify: d.TLSSkipVerify,
	}
	var caPEM []byte
	if d.CAFile != "" {
		pem, err := os.ReadFile(d.CAFile)
		if err != nil {
			return nil, nil, fmt.Errorf("read ca_file: %w", err)
		}
		// The CA is added to the system roots so one destination may still
		// redirect to a publicly trusted host.
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("ca_file %q holds no PEM certificate", d.CAFile)
		}
		tlsCfg.RootCAs = pool
		caPEM = pem
	}
	conns := max(d.Concurrency, 1)
	c := &fasthttp.Client{
		Name:      "relayd",
		TLSConfig: tlsCfg,
		// One connection per worker plus one spare; a request waits for a
		// free connection rather than failing with ErrNoFreeConns.
		MaxConnsPerHost:     conns + 1,
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
	return c, caPEM, nil
}

func retryStaleConn(_ *fasthttp.Request, attempts int, err error) (resetTimeout, retry bool) {
	return false, attempts < 2 && (errors.Is(err, fasthttp.ErrConnectionClosed) || errors.Is(err, io.EOF))
}

// baseURL returns dest's URL with its configured query parameters added and
// any fragment removed; it fails on a URL relay cannot send to.
func baseURL(d Destination) (string, error) {
	u, err := url.Parse(d.URL)
	if err != nil {
		return "", fmt.Errorf("parse url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("url %q: scheme must be http or https", d.URL)
	}
	if u.Host == "" {
		return "", fmt.Errorf("url %q: no host", d.URL)
	}
	u.Fragment, u.RawFragment = "", ""
	if len(d.Query) > 0 {
		extra := url.Values{}
		for k, v := range d.Query {
			extra.Set(k, v)
		}
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += extra.Encode() // sorted by key
	}
	return u.String(), nil
}

// newSender builds everything dest needs to send: client, URL, headers and
// the signing key. Errors name what was wrong; nothing is started.
func newSender(d Destination) (*sender, []byte, error) {
	client, caPEM, err := newClient(d)
	if err != nil {
		return nil, nil, err
	}
	target, err := baseURL(d)
	if err != nil {
		return nil, nil, err
	}
	s := &sender{
		client:       client,
		url:          target,
		method:       strings.ToUpper(d.Method),
		forwardQuery: d.ForwardQuery,
		timeout:      d.Timeout,
		maxRedirects: d.MaxRedirects,
	}
	if s.timeout <= 0 {
		s.timeout = 10 * time.Second
	}
	for k, v := range d.Headers {
		s.headers = append(s.headers, header{k, v})
	}
	sort.Slice(s.headers, func(i, j int) bool { return s.headers[i].name < s.headers[j].name })
	if d.Signing != nil {
		if d.Signing.Scheme != "standard-webhooks" {
			return nil, nil, fmt.Errorf("signing scheme %q: only standard-webhooks is supported", d.Signing.Scheme)
		}
		if _, err := webhooksig.DecodeSecret(d.Signing.Secret); err != nil {
			return nil, nil, fmt.Errorf("signing: %w", err)
		}
		s.secret = d.Signing.Secret
	}
	return s, caPEM, nil
}
