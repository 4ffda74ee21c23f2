package config

import (
	"regexp"
	"sort"
	"strings"
)

// ReservedPathPrefix is where relayd serves its own endpoints; no route may
// claim a path under it.
const ReservedPathPrefix = "/_relay/"

// validateRoutes checks every route; known holds the destination names.
func (c *Config) validateRoutes(ps *Problems, known map[string]bool) {
	first := map[string]int{}
	for i := range c.Routes {
		r := &c.Routes[i]
		path := indexPath("routes", i)
		checkName(ps, path+".name", r.Name)
		if j, dup := first[r.Name]; dup && r.Name != "" {
			ps.add(path+".name", "duplicate name %q (also routes[%d])", r.Name, j)
		} else {
			first[r.Name] = i
		}
		r.validatePath(ps, path)
		for j, m := range r.Methods {
			if !isToken(m) {
				ps.add(indexPath(path+".methods", j), "%q is not a valid HTTP method", m)
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
func (r *Route) validatePath(ps *Problems, path string) {
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

func checkRoutePath(ps *Problems, path, p string) {
	switch {
	case !strings.HasPrefix(p, "/"):
		ps.add(path, "%q must start with /", p)
	case strings.HasPrefix(p, ReservedPathPrefix) || p == strings.TrimSuffix(ReservedPathPrefix, "/"):
		ps.add(path, "%q is under %s, which relayd reserves for its own endpoints", p, ReservedPathPrefix)
	case strings.ContainsAny(p, "?# \t\r\n"):
		ps.add(path, "%q must be a plain path without query, fragment or spaces", p)
	}
}

func (r *Route) validateDestinations(ps *Problems, path string, known map[string]bool) {
	if len(r.Destinations) == 0 {
		ps.add(path+".destinations", "route has no destinations; list at least one")
		return
	}
	seen := map[string]bool{}
	for j, name := range r.Destinations {
		dp := indexPath(path+".destinations", j)
		switch {
		case seen[name]:
			ps.add(dp, "destination %q is listed twice", name)
		case !known[name]:
			ps.add(dp, "unknown destination %q (%s)", name, knownList(known))
		}
		seen[name] = true
	}
}

func knownList(known map[string]bool) string {
	names := make([]string, 0, len(known))
	for n := range known {
		if n != "" {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return "no destinations are defined"
	}
	sort.Strings(names)
	return "known: " + quoteList(names)
}

func checkSelector(ps *Problems, path, s string) {
	if s == "" {
		return
	}
	if _, err := ParseSelector(s); err != nil {
		ps.add(path, "%v", err)
	}
}

// validate checks one match condition.
func (m *Match) validate(ps *Problems, path string) {
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
		if _, err := regexp.Compile(m.Regex); err != nil {
			ps.add(path+".regex", "does not compile: %v", err)
		}
	}
}

// validate checks a route's auth block.
func (a *Auth) validate(ps *Problems, path string) {
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
			ps.add(path+".token.header", "%q is not a valid header name", t.Header)
		}
		if len(t.All()) == 0 {
			ps.add(path+".token.value", "must not be empty (set value or values)")
		}
	}
	if h := a.HMAC; h != nil {
		if h.Header == "" {
			ps.add(path+".hmac.header", "must not be empty")
		} else if !isToken(h.Header) {
			ps.add(path+".hmac.header", "%q is not a valid header name", h.Header)
		}
		if len(h.All()) == 0 {
			ps.add(path+".hmac.secret", "must not be empty (set secret or secrets)")
		}
		switch strings.ToLower(h.Algo) {
		case "sha1", "sha256", "sha512":
		default:
			ps.add(path+".hmac.algo", "unknown algorithm %q (want sha1, sha256 or sha512)", h.Algo)
		}
	}
	if sw := a.StandardWebhooks; sw != nil {
		checkWebhookSecrets(ps, path+".standard_webhooks", sw.Secret, sw.Secrets)
		positive(ps, path+".standard_webhooks.tolerance", sw.Tolerance)
	}
}
