package relay

import (
	"net/url"
	"strings"
	"sync/atomic"
)

// scope is what every destination of one Relay shares: relayd's own
// listeners (redirects to them are refused) and the credentials each
// route's auth consumed.
type scope struct {
	own      ownListeners
	consumed consumedRoutes
}

// consumedRoutes maps a route name to the credential its auth consumed; it
// is replaced whole on reload.
type consumedRoutes struct {
	byRoute atomic.Pointer[map[string]ConsumedAuth]
}

func (c *consumedRoutes) set(m map[string]ConsumedAuth) {
	cp := make(map[string]ConsumedAuth, len(m))
	for k, v := range m {
		cp[k] = v
	}
	c.byRoute.Store(&cp)
}

func (c *consumedRoutes) of(route string) ConsumedAuth {
	m := c.byRoute.Load()
	if m == nil {
		return ConsumedAuth{}
	}
	return (*m)[route]
}

// filterQuery returns raw without the parameters drop names, the rest kept
// byte for byte and in order. A parameter's name is compared decoded, so an
// encoded spelling of a dropped name ("s%65cret") is dropped too.
func filterQuery(raw string, drop func(name string) bool) string {
	kept := make([]string, 0, strings.Count(raw, "&")+1)
	for _, pair := range strings.Split(raw, "&") {
		name, _, _ := strings.Cut(pair, "=")
		if decoded, err := url.QueryUnescape(name); err == nil {
			name = decoded
		}
		if pair != "" && drop(name) {
			continue
		}
		kept = append(kept, pair)
	}
	return strings.Join(kept, "&")
}

// contains reports whether list holds s; fold compares case-insensitively.
func contains(list []string, s string, fold bool) bool {
	for _, v := range list {
		if v == s || (fold && strings.EqualFold(v, s)) {
			return true
		}
	}
	return false
}
