package ingress

import (
	"bytes"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/relayd/relayd/daemon/config"
)

// table is one compiled configuration: everything Apply swaps at once.
type table struct {
	routes      []*route
	maxBody     int // bytes; 0 = fasthttp's default
	statusToken []byte
	trusted     []netip.Prefix
}

// route is a compiled config.Route.
type route struct {
	name    string
	path    []byte // exact path, or the prefix when prefix is set
	prefix  bool
	methods []string // upper case; empty = any
	conds   []condition
	auth    *authCheck // nil = no checks

	idempotency, ordering, tracing *selector // nil = none

	// credential is removed from the message before it is persisted;
	// zero when no token is consumed or a destination has forward_auth.
	credential consumedCredential

	dests      []string
	answerTail []byte // ,"route":…,"destinations":[…] rendered once
}

type condKind int

const (
	condEquals condKind = iota
	condIn
	condRegex
	condExists
)

// condition is a compiled config.Match.
type condition struct {
	sel    *selector
	kind   condKind
	equals string
	in     []string
	re     *regexp.Regexp
	exists bool
}

// compile builds a table from cfg; every problem is named by its YAML path.
func compile(cfg *config.Config) (*table, error) {
	t := &table{maxBody: int(cfg.Server.MaxBodySize)}
	if cfg.Server.StatusToken != "" {
		t.statusToken = []byte(cfg.Server.StatusToken)
	}
	var err error
	if t.trusted, err = parsePrefixes(cfg.Server.TrustedProxies); err != nil {
		return nil, fmt.Errorf("server.trusted_proxies: %w", err)
	}
	forwardAuth := map[string]bool{}
	for _, d := range cfg.Destinations {
		forwardAuth[d.Name] = d.ForwardAuth
	}
	for i := range cfg.Routes {
		r, err := compileRoute(&cfg.Routes[i], forwardAuth)
		if err != nil {
			return nil, fmt.Errorf("routes[%d] (%s): %w", i, cfg.Routes[i].Name, err)
		}
		t.routes = append(t.routes, r)
	}
	return t, nil
}

// compileRoute compiles one route; forwardAuth says which destinations
// take the inbound credential.
func compileRoute(cr *config.Route, forwardAuth map[string]bool) (*route, error) {
	r := &route{name: cr.Name, dests: slices.Clone(cr.Destinations)}
	switch {
	case cr.Path != "" && cr.PathPrefix != "":
		return nil, fmt.Errorf("path and path_prefix are both set")
	case cr.Path != "":
		r.path = []byte(cr.Path)
	case cr.PathPrefix != "":
		r.path, r.prefix = []byte(cr.PathPrefix), true
	default:
		return nil, fmt.Errorf("path or path_prefix is required")
	}
	if len(r.dests) == 0 {
		return nil, fmt.Errorf("destinations: at least one is required")
	}
	for _, m := range cr.Methods {
		r.methods = append(r.methods, strings.ToUpper(strings.TrimSpace(m)))
	}
	for j := range cr.Match {
		c, err := compileCondition(&cr.Match[j])
		if err != nil {
			return nil, fmt.Errorf("match[%d]: %w", j, err)
		}
		r.conds = append(r.conds, c)
	}
	var err error
	if r.auth, err = compileAuth(cr.Auth); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	if err := r.compileKeys(cr, forwardAuth); err != nil {
		return nil, err
	}
	r.answerTail = appendRouteTail(nil, r.name, r.dests)
	return r, nil
}

// compileKeys compiles the idempotency, ordering and tracing keys and
// decides whether the route's token is removed before persisting. A route
// verifying Standard Webhooks without an idempotency_key is deduplicated
// by webhook-id: a sender's retry of the same delivery is not enqueued
// twice.
func (r *route) compileKeys(cr *config.Route, forwardAuth map[string]bool) error {
	idem := cr.IdempotencyKey
	if idem == "" && cr.Auth != nil && cr.Auth.StandardWebhooks != nil {
		idem = "header." + headerWebhookID
	}
	keys := []struct {
		dst  **selector
		text string
		name string
	}{
		{&r.idempotency, idem, "idempotency_key"},
		{&r.ordering, cr.OrderingKey, "ordering_key"},
		{&r.tracing, cr.TracingKey, "tracing_key"},
	}
	var err error
	for _, k := range keys {
		if *k.dst, err = compileSelector(k.text); err != nil {
			return fmt.Errorf("%s: %w", k.name, err)
		}
	}
	if cr.Auth == nil || cr.Auth.Token == nil || slices.ContainsFunc(r.dests, func(d string) bool { return forwardAuth[d] }) {
		return nil
	}
	r.credential = consumedCredential{query: cr.Auth.Token.Query, header: cr.Auth.Token.Header}
	for _, k := range keys {
		if sel := *k.dst; sel != nil && r.credential.reads(sel) {
			return fmt.Errorf("%s: %s reads the token auth consumes, which is not stored (set forward_auth on a destination to keep it)", k.name, sel.text)
		}
	}
	return nil
}

func compileCondition(m *config.Match) (condition, error) {
	if m.Field == "" {
		return condition{}, fmt.Errorf("field is required")
	}
	sel, err := compileSelector(m.Field)
	if err != nil {
		return condition{}, fmt.Errorf("field: %w", err)
	}
	c := condition{sel: sel}
	set := 0
	if m.Equals != nil {
		set++
		c.kind, c.equals = condEquals, *m.Equals
	}
	if m.In != nil {
		set++
		c.kind, c.in = condIn, slices.Clone(m.In)
	}
	if m.Regex != "" {
		set++
		if c.re, err = regexp.Compile(m.Regex); err != nil {
			return condition{}, fmt.Errorf("regex: %w", err)
		}
		c.kind = condRegex
	}
	if m.Exists != nil {
		set++
		c.kind, c.exists = condExists, *m.Exists
	}
	if set != 1 {
		return condition{}, fmt.Errorf("exactly one of equals, in, regex or exists must be set (found %d)", set)
	}
	return c, nil
}

// holds reports whether the condition holds for rq; err means the body a
// selector had to read is malformed.
func (c *condition) holds(rq *request) (bool, error) {
	v, found, err := rq.value(c.sel)
	if err != nil {
		return false, err
	}
	switch c.kind {
	case condExists:
		return found == c.exists, nil
	case condEquals:
		return found && string(v) == c.equals, nil
	case condIn:
		if !found {
			return false, nil
		}
		for _, s := range c.in {
			if string(v) == s {
				return true, nil
			}
		}
		return false, nil
	case condRegex:
		return found && c.re.Match(v), nil
	}
	return false, nil
}

// routeMiss says why no route took a request.
type routeMiss int

const (
	missPath   routeMiss = iota // no route has this path: 404
	missMethod                  // some have the path, none the method: 405
	missMatch                   // path and method held, conditions did not: 404
)

// find returns the first route whose path, method and conditions hold.
func (t *table) find(rq *request) (*route, routeMiss, error) {
	path, method := rq.ctx.Path(), rq.ctx.Method()
	miss := missPath
	for _, r := range t.routes {
		if !r.matchesPath(path) {
			continue
		}
		if !r.allows(method) {
			if miss == missPath {
				miss = missMethod
			}
			continue
		}
		miss = missMatch
		ok, err := r.holds(rq)
		if err != nil {
			return r, miss, err
		}
		if ok {
			return r, miss, nil
		}
	}
	return nil, miss, nil
}

// allowHeader lists the methods routes on path accept (for 405 Allow).
func (t *table) allowHeader(path []byte) string {
	var ms []string
	for _, r := range t.routes {
		if r.matchesPath(path) {
			for _, m := range r.methods {
				if !slices.Contains(ms, m) {
					ms = append(ms, m)
				}
			}
		}
	}
	return strings.Join(ms, ", ")
}

func (r *route) matchesPath(path []byte) bool {
	if r.prefix {
		return bytes.HasPrefix(path, r.path)
	}
	return bytes.Equal(path, r.path)
}

func (r *route) allows(method []byte) bool {
	if len(r.methods) == 0 {
		return true
	}
	for _, m := range r.methods {
		if string(method) == m {
			return true
		}
	}
	return false
}

func (r *route) holds(rq *request) (bool, error) {
	for i := range r.conds {
		ok, err := r.conds[i].holds(rq)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}
