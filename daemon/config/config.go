package config

// Config is the whole relayd configuration file. After Load it has every
// default applied (see defaults.go), so consumers never test for "unset".
type Config struct {
	Server       Server        `yaml:"server"`
	Admin        Admin         `yaml:"admin"`
	Storage      Storage       `yaml:"storage"`
	Defaults     Defaults      `yaml:"defaults"`
	Destinations []Destination `yaml:"destinations"`
	Routes       []Route       `yaml:"routes"`
}

// Server is the ingress listener where callbacks arrive.
type Server struct {
	Listen      string   `yaml:"listen"`
	MaxBodySize Size     `yaml:"max_body_size"`
	ReadTimeout Duration `yaml:"read_timeout"`
	// WriteTimeout bounds writing one answer to a sender.
	WriteTimeout Duration `yaml:"write_timeout"`
	IdleTimeout  Duration `yaml:"idle_timeout"`
	// MaxHeaderSize bounds a request's header block; a larger one is
	// answered 431.
	MaxHeaderSize Size `yaml:"max_header_size"`
	// MaxConns caps the open ingress connections in total, and
	// MaxConnsPerIP those from one client address; 0 = no cap.
	MaxConns       int      `yaml:"max_conns"`
	MaxConnsPerIP  int      `yaml:"max_conns_per_ip"`
	TrustedProxies []string `yaml:"trusted_proxies"`
	// StatusToken is the bearer token for GET /_relay/messages/{id}; empty
	// turns that endpoint off.
	StatusToken string `yaml:"status_token"`
	// CensorFields names the JSON keys and form/query fields whose values
	// are shown as "censored" by the status endpoint and relayctl show
	// (matched case-insensitively as substrings).
	CensorFields []string `yaml:"censor_fields"`
}

// Admin is the operator surface: the unix socket relayctl talks to and the
// optional metrics/health listener with its status page.
type Admin struct {
	Socket        string `yaml:"socket"`
	MetricsListen string `yaml:"metrics_listen"`
	// StatusPageToken, when set, is the bearer token the status page at
	// "/" of MetricsListen requires; empty leaves the page open to whoever
	// reaches the listener. A reload applies a new one.
	StatusPageToken string `yaml:"status_page_token"`
	// Group names the unix group whose members may run every relayctl
	// command; ReadonlyGroup those who may only read (status, ls, show,
	// tail, destinations). Root and the daemon's own uid always may.
	Group         string `yaml:"group"`
	ReadonlyGroup string `yaml:"readonly_group"`
}

// Storage is the embedded queue.
type Storage struct {
	Dir string `yaml:"dir"`
	// Sync fsyncs every group-committed batch before it is acknowledged.
	Sync      *bool    `yaml:"sync"`
	Retention Duration `yaml:"retention"`
	// MaxDisk caps the store's size in bytes; above it ingress answers 503.
	// Zero means no cap.
	MaxDisk Size `yaml:"max_disk"`
	// MinFree is the free space the store's filesystem must keep: below it
	// ingress answers 503, before Badger could hit ENOSPC (it writes through
	// mmap, where a full disk is a crash, not an error).
	MinFree Size `yaml:"min_free"`
	// Backend is the queue's store: "badger" (embedded, the default). SPEC
	// names "jetstream" too; it is not built yet and refused by Validate.
	Backend string `yaml:"backend"`
}

// Defaults are inherited by every destination that does not set the field.
type Defaults struct {
	Timeout       Duration `yaml:"timeout"`
	MaxRedirects  *int     `yaml:"max_redirects"`
	TLSSkipVerify *bool    `yaml:"tls_skip_verify"`
	Concurrency   int      `yaml:"concurrency"`
	Retry         Retry    `yaml:"retry"`
	Breaker       Breaker  `yaml:"breaker"`
}

// Breaker is a destination's health rule: after Failures retryable
// failures in a row nothing is sent to it for a cooldown (backing-off);
// after FailingAfter dead deliveries in a row it shows failing until a
// delivery succeeds.
type Breaker struct {
	Failures     int `yaml:"failures"`
	FailingAfter int `yaml:"failing_after"`
}

// Retry is a retry schedule: exponential backoff with jitter, bounded by
// MaxElapsed and (when non-zero) MaxAttempts.
type Retry struct {
	InitialInterval Duration `yaml:"initial_interval"`
	Multiplier      float64  `yaml:"multiplier"`
	Randomization   *float64 `yaml:"randomization"`
	MaxInterval     Duration `yaml:"max_interval"`
	MaxElapsed      Duration `yaml:"max_elapsed"`
	MaxAttempts     int      `yaml:"max_attempts"`
	// OnStatus lists the HTTP statuses that are retried; any other non-2xx
	// status makes the delivery dead at once. Network errors always retry.
	OnStatus []StatusMatch `yaml:"on_status"`
}

// Destination is one downstream URL that routes deliver to.
type Destination struct {
	Name   string `yaml:"name"`
	URL    string `yaml:"url"`
	Method string `yaml:"method"` // empty = the inbound method
	// Headers are added to (and replace) the forwarded request's headers.
	Headers      map[string]string `yaml:"headers"`
	Query        map[string]string `yaml:"query"`
	ForwardQuery bool              `yaml:"forward_query"`
	// ForwardAuth passes on the credential a route's auth consumed (its
	// token query parameter or header); by default it is stripped.
	ForwardAuth bool `yaml:"forward_auth"`
	// RedirectHosts, when set, are the only hosts a redirect may lead to;
	// TLS settings apply to them as to the URL's own host.
	RedirectHosts []string `yaml:"redirect_hosts"`

	TLSSkipVerify *bool    `yaml:"tls_skip_verify"`
	CAFile        string   `yaml:"ca_file"`
	Timeout       Duration `yaml:"timeout"`
	MaxRedirects  *int     `yaml:"max_redirects"`
	Concurrency   int      `yaml:"concurrency"`
	RateLimit     float64  `yaml:"rate_limit"` // requests/s; 0 = none
	Signing       *Signing `yaml:"signing"`
	Enabled       *bool    `yaml:"enabled"`
	// Retry overrides fields of defaults.retry for this destination only.
	Retry *Retry `yaml:"retry"`
	// Breaker overrides fields of defaults.breaker for this destination.
	Breaker *Breaker `yaml:"breaker"`
	// DeadLetter names the destination each delivery that goes dead is
	// announced to; empty = none.
	DeadLetter string `yaml:"dead_letter"`
}

// Signing signs outgoing deliveries.
type Signing struct {
	Scheme  string   `yaml:"scheme"`  // "standard-webhooks"
	Secret  string   `yaml:"secret"`  // "whsec_" + base64
	Secrets []string `yaml:"secrets"` // more, for rotation: one signature each
}

// All returns every configured signing secret, Secret first.
func (s *Signing) All() []string { return joinSecrets(s.Secret, s.Secrets) }

// Route takes matching inbound requests and fans them out to destinations.
type Route struct {
	Name       string   `yaml:"name"`
	Path       string   `yaml:"path"`        // exact match
	PathPrefix string   `yaml:"path_prefix"` // or prefix match
	Methods    []string `yaml:"methods"`     // empty = any
	Match      []Match  `yaml:"match"`       // all must hold
	Auth       *Auth    `yaml:"auth"`
	// IdempotencyKey, OrderingKey and TracingKey are selectors
	// (json.a.b, form.x, query.x, header.X-Name).
	IdempotencyKey string   `yaml:"idempotency_key"`
	OrderingKey    string   `yaml:"ordering_key"`
	TracingKey     string   `yaml:"tracing_key"`
	Destinations   []string `yaml:"destinations"`
}

// Match is one condition on a selected field. Exactly one of Equals, In,
// Regex or Exists is set.
type Match struct {
	Field  string   `yaml:"field"`
	Equals *string  `yaml:"equals"`
	In     []string `yaml:"in"`
	Regex  string   `yaml:"regex"`
	Exists *bool    `yaml:"exists"`
}

// Auth lists the checks a request must pass; every configured check must
// pass (an unset check is not applied).
type Auth struct {
	AllowIPs         []string          `yaml:"allow_ips"`
	Token            *TokenAuth        `yaml:"token"`
	HMAC             *HMACAuth         `yaml:"hmac"`
	StandardWebhooks *StandardWebhooks `yaml:"standard_webhooks"`
}

// TokenAuth compares a shared secret carried in a query parameter or header.
type TokenAuth struct {
	Query  string   `yaml:"query"`
	Header string   `yaml:"header"`
	Value  string   `yaml:"value"`
	Values []string `yaml:"values"` // more accepted values, for rotation
}

// All returns every accepted token, Value first.
func (t *TokenAuth) All() []string { return joinSecrets(t.Value, t.Values) }

// HMACAuth verifies an HMAC of the raw body carried in a header (hex).
type HMACAuth struct {
	Header  string   `yaml:"header"`
	Secret  string   `yaml:"secret"`
	Secrets []string `yaml:"secrets"` // more accepted secrets, for rotation
	Algo    string   `yaml:"algo"`    // sha256 (default), sha1, sha512
	Prefix  string   `yaml:"prefix"`  // e.g. "sha256="
}

// All returns every accepted secret, Secret first.
func (h *HMACAuth) All() []string { return joinSecrets(h.Secret, h.Secrets) }

// StandardWebhooks verifies inbound webhook-id/-timestamp/-signature headers.
type StandardWebhooks struct {
	Secret    string   `yaml:"secret"`
	Secrets   []string `yaml:"secrets"`   // more accepted secrets, for rotation
	Tolerance Duration `yaml:"tolerance"` // default 5m
}

// All returns every accepted secret, Secret first.
func (s *StandardWebhooks) All() []string { return joinSecrets(s.Secret, s.Secrets) }

// joinSecrets lists one and more, leaving out empty values.
func joinSecrets(one string, more []string) []string {
	out := make([]string, 0, 1+len(more))
	if one != "" {
		out = append(out, one)
	}
	for _, v := range more {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
