package config

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// ReservedPathPrefix is where relayd serves its own endpoints; no route may
// claim a path under it.
const ReservedPathPrefix = "/_relay/"

// RouteMethods are the methods a route's methods: may list (ApplyDefaults
// upper-cases them first). Senders call back with these; anything else
// (CONNECT, TRACE, a typo) would make a route that never matches.
var RouteMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// validateRoutes checks every route; known holds the destination names.
func (c *Config) validateRoutes(ps *checks, known map[string]int) {
	first := map[string]int{}
	for i := range c.Routes {
		r := &c.Routes[i]
		path := indexPath("routes", i)
		checkName(ps, path+".name", r.Name)
		if j, dup := first[r.Name]; dup && r.Name != "" {
			ps.add(path+".name", "duplicate name%s (also routes[%d])", ps.inline(path+".name", r.Name), j)
		} else {
			first[r.Name] = i
		}
		r.validatePath(ps, path)
		for j, m := range r.Methods {
			if !slices.Contains(RouteMethods, m) {
				mp := indexPath(path+".methods", j)
				ps.add(mp, "%s is not a method a route can take (want one of %s)", ps.quote(mp, m), strings.Join(RouteMethods, ", "))
			}
		}
		for j := range r.Match {
			r.Match[j].validate(ps, indexPath(path+".match", j))
		}
		if r.Auth != nil {
			r.Auth.validate(ps, path+".auth")
		}
		checkSelector(ps, path+".idempotency_key", r.IdempotencyKey)
		checkSelector(ps, path+".ordering_key", r.OrderingKey)
		checkSelector(ps, path+".tracing_key", r.TracingKey)
		r.validateDestinations(ps, path, known)
	}
}

// validatePath checks that exactly one of path and path_prefix is set.
func (r *Route) validatePath(ps *checks, path string) {
	switch {
	case r.Path == "" && r.PathPrefix == "":
		ps.add(path, "set path (exact) or path_prefix")
	case r.Path != "" && r.PathPrefix != "":
		ps.add(path+".path_prefix", "set only one of path and path_prefix")
	case r.Path != "":
		checkRoutePath(ps, path+".path", r.Path)
	default:
		checkRoutePath(ps, path+".path_prefix", r.PathPrefix)
	}
}

func checkRoutePath(ps *checks, path, p string) {
	switch {
	case !strings.HasPrefix(p, "/"):
		ps.add(path, "%s must start with /", ps.quote(path, p))
	case strings.HasPrefix(p, ReservedPathPrefix) || p == strings.TrimSuffix(ReservedPathPrefix, "/"):
		ps.add(path, "%s is under %s, which relayd reserves for its own endpoints", ps.quote(path, p), ReservedPathPrefix)
	case strings.ContainsAny(p, "?# \t\r\n"):
		ps.add(path, "%s must be a plain path without query, fragment or spaces", ps.quote(path, p))
	}
}

func (r *Route) validateDestinations(ps *checks, path string, known map[string]int) {
	if len(r.Destinations) == 0 {
		ps.add(path+".destinations", "route has no destinations; list at least one")
		return
	}
	seen := map[string]bool{}
	for j, name := range r.Destinations {
		dp := indexPath(path+".destinations", j)
		switch {
		case seen[name]:
			ps.add(dp, "destination %s is listed twice", ps.quote(dp, name))
		default:
			if _, ok := known[name]; !ok && !ps.namesIncomplete() {
				ps.add(dp, "unknown destination %s (%s)", ps.quote(dp, name), knownList(ps, known))
			}
		}
		seen[name] = true
	}
}

// knownList names the destinations, but for those whose name must not be
// shown (it came from ${...}), which are only counted.
func knownList(ps *checks, known map[string]int) string {
	names := make([]string, 0, len(known))
	unshown := 0
	for n, i := range known {
		switch {
		case n == "":
		case ps.shown(indexPath("destinations", i) + ".name"):
			names = append(names, n)
		default:
			unshown++
		}
	}
	if len(names) == 0 && unshown == 0 {
		return "no destinations are defined"
	}
	sort.Strings(names)
	list := quoteList(names)
	if unshown > 0 {
		if list != "" {
			list += ", "
		}
		list += fmt.Sprintf("%d more from ${...}, not shown", unshown)
	}
	return "known: " + list
}

func checkSelector(ps *checks, path, s string) {
	if s == "" {
		return
	}
	if _, err := ParseSelector(s); err != nil && ps.shown(path) {
		ps.add(path, "%v", err)
	} else if err != nil { // its error quotes the selector
		ps.add(path, "the value is not a selector (want json.a.b, form.x, query.x or header.X-Name)")
	}
}

// validate checks one match condition.
func (m *Match) validate(ps *checks, path string) {
	if m.Field == "" {
		ps.add(path+".field", "must not be empty (e.g. form.action, json.status)")
	} else {
		checkSelector(ps, path+".field", m.Field)
	}
	set := 0
	for _, isSet := range []bool{m.Equals != nil, m.In != nil, m.Regex != "", m.Exists != nil} {
		if isSet {
			set++
		}
	}
	if set != 1 {
		ps.add(path, "set exactly one of equals, in, regex or exists (%d set)", set)
	}
	if m.In != nil && len(m.In) == 0 {
		ps.add(path+".in", "must list at least one value")
	}
	if m.Regex != "" {
		if _, err := regexp.Compile(m.Regex); err != nil && ps.shown(path+".regex") {
			ps.add(path+".regex", "does not compile: %v", err)
		} else if err != nil { // regexp's errors quote the expression
			ps.add(path+".regex", "does not compile (want an RE2 regular expression)")
		}
	}
}

// validate checks a route's auth block.
func (a *Auth) validate(ps *checks, path string) {
	if len(a.AllowIPs) == 0 && a.Token == nil && a.HMAC == nil && a.StandardWebhooks == nil {
		ps.add(path, "configures no check; set allow_ips, token, hmac or standard_webhooks, or remove auth")
	}
	for i, ip := range a.AllowIPs {
		checkIPOrCIDR(ps, indexPath(path+".allow_ips", i), ip)
	}
	if t := a.Token; t != nil {
		if (t.Query == "") == (t.Header == "") {
			ps.add(path+".token", "set exactly one of query and header")
		}
		if t.Header != "" && !isToken(t.Header) {
			ps.add(path+".token.header", "%s is not a valid header name", ps.quote(path+".token.header", t.Header))
		}
		if len(t.All()) == 0 && !ps.anyFailed(path+".token.values") {
			ps.add(path+".token.value", "must not be empty (set value or values)")
		}
	}
	if h := a.HMAC; h != nil {
		if h.Header == "" {
			ps.add(path+".hmac.header", "must not be empty")
		} else if !isToken(h.Header) {
			ps.add(path+".hmac.header", "%s is not a valid header name", ps.quote(path+".hmac.header", h.Header))
		}
		if len(h.All()) == 0 && !ps.anyFailed(path+".hmac.secrets") {
			ps.add(path+".hmac.secret", "must not be empty (set secret or secrets)")
		}
		switch strings.ToLower(h.Algo) {
		case "sha1", "sha256", "sha512":
		default:
			ps.add(path+".hmac.algo", "unknown algorithm%s (want sha1, sha256 or sha512)", ps.inline(path+".hmac.algo", h.Algo))
		}
	}
	if sw := a.StandardWebhooks; sw != nil {
		checkWebhookSecrets(ps, path+".standard_webhooks", sw.Secret, sw.Secrets)
		positive(ps, path+".standard_webhooks.tolerance", sw.Tolerance)
	}
}
