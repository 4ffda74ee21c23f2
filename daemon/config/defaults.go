package config

import (
	"strings"
	"time"
)

// Default returns the configuration relayd runs with when a key is left
// out: the values shown in SPEC.md. It has no destinations and no routes.
func Default() *Config {
	return &Config{
		Server: Server{
			Listen:        "127.0.0.1:8080",
			MaxBodySize:   1 << 20,
			ReadTimeout:   Duration(10 * time.Second),
			WriteTimeout:  Duration(10 * time.Second),
			IdleTimeout:   Duration(60 * time.Second),
			MaxHeaderSize: 16 << 10,
			CensorFields:  []string{"password", "secret", "token", "passwd", "api_key", "authorization"},
		},
		Admin: Admin{Socket: "/run/relayd/admin.sock"},
		Storage: Storage{
			Dir:       "/var/lib/relayd",
			Sync:      ptr(true),
			Retention: Duration(168 * time.Hour),
			MinFree:   128 << 20,
			Backend:   "badger",
		},
		Defaults: Defaults{
			Timeout:       Duration(10 * time.Second),
			MaxRedirects:  ptr(5),
			TLSSkipVerify: ptr(false),
			Concurrency:   4,
			Retry: Retry{
				InitialInterval: Duration(5 * time.Second),
				Multiplier:      2,
				Randomization:   ptr(0.5),
				MaxInterval:     Duration(time.Hour),
				MaxElapsed:      Duration(72 * time.Hour),
				MaxAttempts:     0,
				OnStatus:        []StatusMatch{{408, 408}, {425, 425}, {429, 429}, {500, 599}},
			},
			Breaker: Breaker{Failures: 3, FailingAfter: 5},
		},
	}
}

// DefaultStandardWebhooksTolerance is how far an inbound webhook-timestamp
// may be from now when auth.standard_webhooks.tolerance is not set.
const DefaultStandardWebhooksTolerance = Duration(5 * time.Minute)

// DefaultDrainTimeout is how long shutdown waits for in-flight deliveries
// when daemon.Options.DrainTimeout is not set (not a config key: the main
// decides it). Kept here so every default relayd runs with is in one file.
const DefaultDrainTimeout = 30 * time.Second

// DefaultHMACAlgo is auth.hmac.algo when not set.
const DefaultHMACAlgo = "sha256"

// ApplyDefaults fills every unset field: server, admin, storage and
// defaults from Default(), then each destination from c.Defaults (a
// destination's retry block overrides defaults.retry field by field), and
// normalises methods to upper case. Afterwards no pointer field that means
// "unset" is nil and no duration that means "unset" is zero; Signing and
// Auth stay nil when absent because nil means "none". It is the only place
// defaults are applied, and applying it twice changes nothing.
//
// Zero cannot be told from unset for plain numbers: an explicit
// "concurrency: 0" or "max_attempts: 0" in a destination also inherits.
func (c *Config) ApplyDefaults() {
	def := Default()
	s := &c.Server
	setIfZero(&s.Listen, def.Server.Listen)
	setIfZero(&s.MaxBodySize, def.Server.MaxBodySize)
	setIfZero(&s.ReadTimeout, def.Server.ReadTimeout)
	setIfZero(&s.WriteTimeout, def.Server.WriteTimeout)
	setIfZero(&s.IdleTimeout, def.Server.IdleTimeout)
	setIfZero(&s.MaxHeaderSize, def.Server.MaxHeaderSize)
	if s.CensorFields == nil { // an explicit [] censors nothing
		s.CensorFields = def.Server.CensorFields
	}
	setIfZero(&c.Admin.Socket, def.Admin.Socket)
	setIfZero(&c.Storage.Dir, def.Storage.Dir)
	setIfNil(&c.Storage.Sync, *def.Storage.Sync)
	setIfZero(&c.Storage.Retention, def.Storage.Retention)
	setIfZero(&c.Storage.MinFree, def.Storage.MinFree)
	setIfZero(&c.Storage.Backend, def.Storage.Backend)

	dd := &c.Defaults
	setIfZero(&dd.Timeout, def.Defaults.Timeout)
	setIfNil(&dd.MaxRedirects, *def.Defaults.MaxRedirects)
	setIfNil(&dd.TLSSkipVerify, *def.Defaults.TLSSkipVerify)
	setIfZero(&dd.Concurrency, def.Defaults.Concurrency)
	dd.Retry.inherit(&def.Defaults.Retry)
	setIfZero(&dd.Breaker.Failures, def.Defaults.Breaker.Failures)
	setIfZero(&dd.Breaker.FailingAfter, def.Defaults.Breaker.FailingAfter)

	for i := range c.Destinations {
		c.Destinations[i].inherit(dd)
	}
	for i := range c.Routes {
		c.Routes[i].applyDefaults()
	}
}

// inherit fills the destination's unset fields from defaults.
func (d *Destination) inherit(dd *Defaults) {
	d.Method = strings.ToUpper(d.Method)
	setIfZero(&d.Timeout, dd.Timeout)
	setIfNil(&d.MaxRedirects, *dd.MaxRedirects)
	setIfNil(&d.TLSSkipVerify, *dd.TLSSkipVerify)
	setIfZero(&d.Concurrency, dd.Concurrency)
	setIfNil(&d.Enabled, true)
	if d.Retry == nil {
		d.Retry = &Retry{}
	}
	d.Retry.inherit(&dd.Retry)
	if d.Breaker == nil {
		d.Breaker = &Breaker{}
	}
	setIfZero(&d.Breaker.Failures, dd.Breaker.Failures)
	setIfZero(&d.Breaker.FailingAfter, dd.Breaker.FailingAfter)
}

// inherit fills r's unset fields from base, copying rather than sharing
// pointers and slices so that no two destinations alias each other.
func (r *Retry) inherit(base *Retry) {
	setIfZero(&r.InitialInterval, base.InitialInterval)
	setIfZero(&r.Multiplier, base.Multiplier)
	if r.Randomization == nil && base.Randomization != nil {
		r.Randomization = ptr(*base.Randomization)
	}
	setIfZero(&r.MaxInterval, base.MaxInterval)
	setIfZero(&r.MaxElapsed, base.MaxElapsed)
	setIfZero(&r.MaxAttempts, base.MaxAttempts)
	if r.OnStatus == nil && base.OnStatus != nil {
		r.OnStatus = make([]StatusMatch, len(base.OnStatus))
		copy(r.OnStatus, base.OnStatus)
	}
}

// applyDefaults normalises a route and fills its auth defaults.
func (r *Route) applyDefaults() {
	for i, m := range r.Methods {
		r.Methods[i] = strings.ToUpper(m)
	}
	if r.Auth == nil {
		return
	}
	if r.Auth.HMAC != nil {
		r.Auth.HMAC.Algo = strings.ToLower(r.Auth.HMAC.Algo)
		setIfZero(&r.Auth.HMAC.Algo, DefaultHMACAlgo)
	}
	if r.Auth.StandardWebhooks != nil {
		setIfZero(&r.Auth.StandardWebhooks.Tolerance, DefaultStandardWebhooksTolerance)
	}
}

func ptr[T any](v T) *T { return &v }

func setIfZero[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

func setIfNil[T any](p **T, v T) {
	if *p == nil {
		*p = &v
	}
}
