package daemon

import (
	"github.com/relayd/relayd/daemon/config"
	"github.com/relayd/relayd/relay"
)

// relayDestinations turns the configured destinations into relay's
// resolved form. config.Load applied every default (no pointer is nil, no
// block missing), so nothing here supplies one.
func relayDestinations(cfg *config.Config) []relay.Destination {
	out := make([]relay.Destination, 0, len(cfg.Destinations))
	for _, d := range cfg.Destinations {
		rd := relay.Destination{
			Name:            d.Name,
			URL:             d.URL,
			Method:          d.Method,
			Headers:         d.Headers,
			Query:           d.Query,
			ForwardQuery:    d.ForwardQuery,
			ForwardAuth:     d.ForwardAuth,
			RedirectHosts:   d.RedirectHosts,
			TLSSkipVerify:   *d.TLSSkipVerify,
			CAFile:          d.CAFile,
			Timeout:         d.Timeout.D(),
			MaxRedirects:    *d.MaxRedirects,
			Concurrency:     d.Concurrency,
			RateLimit:       d.RateLimit,
			Enabled:         *d.Enabled,
			Retry:           retryPolicy(d.Retry),
			DeadLetter:      d.DeadLetter,
			BreakerFailures: d.Breaker.Failures,
			FailingAfter:    d.Breaker.FailingAfter,
		}
		if d.Signing != nil {
			rd.Signing = &relay.Signing{Scheme: d.Signing.Scheme, Secrets: d.Signing.All()}
		}
		out = append(out, rd)
	}
	return out
}

// consumedAuth lists, by route name, the credential each route's token
// check consumes, which relay strips for destinations without forward_auth.
func consumedAuth(cfg *config.Config) map[string]relay.ConsumedAuth {
	out := map[string]relay.ConsumedAuth{}
	for _, r := range cfg.Routes {
		if r.Auth == nil || r.Auth.Token == nil {
			continue
		}
		var c relay.ConsumedAuth
		if q := r.Auth.Token.Query; q != "" {
			c.Query = append(c.Query, q)
		}
		if h := r.Auth.Token.Header; h != "" {
			c.Headers = append(c.Headers, h)
		}
		out[r.Name] = c
	}
	return out
}

// retryPolicy converts a destination's retry block, which config.Load
// filled in from defaults.retry.
func retryPolicy(r *config.Retry) relay.RetryPolicy {
	p := relay.RetryPolicy{
		InitialInterval: r.InitialInterval.D(),
		Multiplier:      r.Multiplier,
		Randomization:   *r.Randomization,
		MaxInterval:     r.MaxInterval.D(),
		MaxElapsed:      r.MaxElapsed.D(),
		MaxAttempts:     r.MaxAttempts,
	}
	for _, s := range r.OnStatus {
		p.OnStatus = append(p.OnStatus, relay.StatusRange{Lo: s.Lo, Hi: s.Hi})
	}
	return p
}
