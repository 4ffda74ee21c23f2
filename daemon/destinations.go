package daemon

import (
	"github.com/relayd/relayd/daemon/config"
	"github.com/relayd/relayd/relay"
)

// relayDestinations turns the configured destinations (defaults already
// applied by config.Load) into relay's resolved form.
func relayDestinations(cfg *config.Config) []relay.Destination {
	out := make([]relay.Destination, 0, len(cfg.Destinations))
	for _, d := range cfg.Destinations {
		rd := relay.Destination{
			Name:          d.Name,
			URL:           d.URL,
			Method:        d.Method,
			Headers:       d.Headers,
			Query:         d.Query,
			ForwardQuery:  d.ForwardQuery,
			ForwardAuth:   d.ForwardAuth,
			RedirectHosts: d.RedirectHosts,
			TLSSkipVerify: deref(d.TLSSkipVerify, false),
			CAFile:        d.CAFile,
			Timeout:       d.Timeout.D(),
			MaxRedirects:  deref(d.MaxRedirects, 5),
			Concurrency:   d.Concurrency,
			RateLimit:     d.RateLimit,
			Enabled:       deref(d.Enabled, true),
			Retry:         retryPolicy(cfg.Defaults.Retry, d.Retry),
			DeadLetter:    d.DeadLetter,
		}
		if b := d.Breaker; b != nil { // config.Load fills it in
			rd.BreakerFailures, rd.FailingAfter = b.Failures, b.FailingAfter
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

// retryPolicy resolves a destination's schedule: its own retry block when
// config.Load filled one in, else the defaults.
func retryPolicy(def config.Retry, own *config.Retry) relay.RetryPolicy {
	r := def
	if own != nil {
		r = *own
	}
	p := relay.RetryPolicy{
		InitialInterval: r.InitialInterval.D(),
		Multiplier:      r.Multiplier,
		Randomization:   deref(r.Randomization, 0.5),
		MaxInterval:     r.MaxInterval.D(),
		MaxElapsed:      r.MaxElapsed.D(),
		MaxAttempts:     r.MaxAttempts,
	}
	for _, s := range r.OnStatus {
		p.OnStatus = append(p.OnStatus, relay.StatusRange{Lo: s.Lo, Hi: s.Hi})
	}
	return p
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
