package config

import (
	"reflect"
	"testing"
	"time"
)

func TestMinimalConfigGetsEveryDefault(t *testing.T) {
	c, err := Load("testdata/good/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	def := Default()
	if !reflect.DeepEqual(c.Server, def.Server) || !reflect.DeepEqual(c.Admin, def.Admin) ||
		!reflect.DeepEqual(c.Storage, def.Storage) || !reflect.DeepEqual(c.Defaults, def.Defaults) {
		t.Errorf("top-level blocks differ from Default():\n%+v\n%+v", c, def)
	}
	// The values SPEC.md documents.
	specs := map[string][2]any{
		"listen":        {c.Server.Listen, "127.0.0.1:8080"},
		"max_body_size": {c.Server.MaxBodySize, Size(1 << 20)},
		"read_timeout":  {c.Server.ReadTimeout.D(), 10 * time.Second},
		"idle_timeout":  {c.Server.IdleTimeout.D(), 60 * time.Second},
		"socket":        {c.Admin.Socket, "/run/relayd/admin.sock"},
		"dir":           {c.Storage.Dir, "/var/lib/relayd"},
		"sync":          {*c.Storage.Sync, true},
		"retention":     {c.Storage.Retention.D(), 168 * time.Hour},
		"max_disk":      {c.Storage.MaxDisk, Size(0)},
	}
	for name, v := range specs {
		if v[0] != v[1] {
			t.Errorf("%s = %v, want %v", name, v[0], v[1])
		}
	}
	d := c.Destinations[0]
	if d.Method != "" || d.Timeout.D() != 10*time.Second || *d.MaxRedirects != 5 || *d.TLSSkipVerify ||
		d.Concurrency != 4 || !*d.Enabled || d.Signing != nil {
		t.Errorf("destination defaults: %+v", d)
	}
	wantRetry := Retry{
		InitialInterval: Duration(5 * time.Second), Multiplier: 2, Randomization: ptr(0.5),
		MaxInterval: Duration(time.Hour), MaxElapsed: Duration(72 * time.Hour),
		OnStatus: []StatusMatch{{408, 408}, {425, 425}, {429, 429}, {500, 599}},
	}
	if !reflect.DeepEqual(*d.Retry, wantRetry) {
		t.Errorf("retry = %+v, want %+v", *d.Retry, wantRetry)
	}
	wantCensor := []string{"password", "secret", "token", "passwd", "api_key", "authorization"}
	if !reflect.DeepEqual(c.Server.CensorFields, wantCensor) {
		t.Errorf("censor_fields = %v", c.Server.CensorFields)
	}
}

func TestDestinationInheritsAndOverridesDefaults(t *testing.T) {
	c, err := Load("testdata/good/inheritance.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plain, own := c.Destinations[0], c.Destinations[1]
	tests := map[string][2]any{
		"plain timeout from defaults":     {plain.Timeout.D(), 3 * time.Second},
		"plain max_redirects":             {*plain.MaxRedirects, 7},
		"plain tls_skip_verify true":      {*plain.TLSSkipVerify, true},
		"plain concurrency":               {plain.Concurrency, 6},
		"plain enabled by default":        {*plain.Enabled, true},
		"plain retry max_attempts":        {plain.Retry.MaxAttempts, 9},
		"plain retry multiplier (global)": {plain.Retry.Multiplier, 2.0},
		"own timeout kept":                {own.Timeout.D(), time.Second},
		"own explicit max_redirects 0":    {*own.MaxRedirects, 0},
		"own explicit tls_skip_verify":    {*own.TLSSkipVerify, false},
		"own concurrency":                 {own.Concurrency, 2},
		"own enabled false":               {*own.Enabled, false},
		"own method upper-cased":          {own.Method, "POST"},
		"own retry multiplier":            {own.Retry.Multiplier, 3.0},
		"own explicit randomization 0":    {*own.Retry.Randomization, 0.0},
		"own retry max_attempts inherit":  {own.Retry.MaxAttempts, 9},
		"own retry initial inherited":     {own.Retry.InitialInterval.D(), 5 * time.Second},
		"route methods upper-cased":       {c.Routes[0].Methods[1], "PUT"},
		"hmac algo default":               {c.Routes[0].Auth.HMAC.Algo, "sha256"},
		"standard_webhooks tolerance":     {c.Routes[0].Auth.StandardWebhooks.Tolerance.D(), 5 * time.Minute},
	}
	for name, v := range tests {
		if v[0] != v[1] {
			t.Errorf("%s = %v, want %v", name, v[0], v[1])
		}
	}
	if !reflect.DeepEqual(own.Retry.OnStatus, []StatusMatch{{429, 429}}) {
		t.Errorf("own retry on_status = %v, want defaults' [429]", own.Retry.OnStatus)
	}
}

func TestExplicitEmptyListsAreKept(t *testing.T) {
	c, err := Load("testdata/good/empty_lists.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.CensorFields == nil || len(c.Server.CensorFields) != 0 {
		t.Errorf("censor_fields = %#v, want empty", c.Server.CensorFields)
	}
	if c.Defaults.Retry.OnStatus == nil || len(c.Defaults.Retry.OnStatus) != 0 {
		t.Errorf("on_status = %#v, want empty", c.Defaults.Retry.OnStatus)
	}
}

func TestAnchorsMerge(t *testing.T) {
	c, err := Load("testdata/good/anchors.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b := c.Destinations[1]
	if b.Name != "b" || b.Concurrency != 3 || b.Timeout.D() != 5*time.Second || b.URL != "http://127.0.0.1:9102/b" {
		t.Errorf("merged destination = %+v", b)
	}
}

func TestApplyDefaultsIsIdempotentAndUnshared(t *testing.T) {
	c, err := Load("testdata/good/inheritance.yaml")
	if err != nil {
		t.Fatal(err)
	}
	before := clone(t, c)
	c.ApplyDefaults()
	if !reflect.DeepEqual(before, c) {
		t.Error("a second ApplyDefaults changed the config")
	}
	// No destination may share a pointer or slice with defaults or another.
	*c.Destinations[0].Retry.Randomization = 0.9
	c.Destinations[0].Retry.OnStatus[0].Lo = 400
	if *c.Defaults.Retry.Randomization != 0.5 || c.Defaults.Retry.OnStatus[0].Lo != 429 {
		t.Error("destination retry aliases defaults.retry")
	}
}

// TestDefaultIsValidOnceRouted: Default() plus a destination and a route,
// built in code, passes Validate after ApplyDefaults.
func TestDefaultIsValidOnceRouted(t *testing.T) {
	c := Default()
	c.Destinations = []Destination{{Name: "d", URL: "http://127.0.0.1:1/"}}
	c.Routes = []Route{{Name: "r", Path: "/r", Destinations: []string{"d"}}}
	c.ApplyDefaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestValidateZeroConfigDoesNotPanic: a Config built in code without
// defaults is reported, not crashed on.
func TestValidateZeroConfigDoesNotPanic(t *testing.T) {
	c := &Config{
		Destinations: []Destination{{Retry: &Retry{}, Signing: &Signing{}}},
		Routes:       []Route{{Auth: &Auth{Token: &TokenAuth{}, HMAC: &HMACAuth{}, StandardWebhooks: &StandardWebhooks{}}, Match: []Match{{}}}},
	}
	ps := asProblems(t, c.Validate())
	if len(ps) < 10 {
		t.Errorf("only %d problems for an empty config:\n%v", len(ps), &ps)
	}
}

func clone(t *testing.T, c *Config) *Config {
	t.Helper()
	cp := *c
	cp.Destinations = make([]Destination, len(c.Destinations))
	for i, d := range c.Destinations {
		r := *d.Retry
		r.Randomization = ptr(*d.Retry.Randomization)
		r.OnStatus = append([]StatusMatch(nil), d.Retry.OnStatus...)
		d.Retry = &r
		cp.Destinations[i] = d
	}
	return &cp
}
