package relay

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// refusedRedirect is a redirect hop relay will not make. It makes the
// delivery dead at once: the downstream chose the target, and asking again
// gets the same answer.
type refusedRedirect struct{ reason string }

func (e *refusedRedirect) Error() string { return e.reason }

// ownListeners holds the bound addresses of relayd's own listeners (the
// ingress and the metrics listener). It is set once they are bound, and
// shared by every destination of a Relay.
type ownListeners struct {
	addrs atomic.Pointer[[]netip.AddrPort]
}

func (o *ownListeners) set(addrs []net.Addr) {
	var list []netip.AddrPort
	for _, a := range addrs {
		if a == nil {
			continue
		}
		if ap, err := netip.ParseAddrPort(a.String()); err == nil {
			list = append(list, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()))
		}
	}
	o.addrs.Store(&list)
}

// match returns the listener a connection to ip:port would reach. A
// listener on 0.0.0.0 or :: is reached through any local address; any
// listener through 0.0.0.0 or ::, which Linux dials as a local address.
func (o *ownListeners) match(ip netip.Addr, port uint16) (netip.AddrPort, bool) {
	list := o.addrs.Load()
	if list == nil {
		return netip.AddrPort{}, false
	}
	for _, l := range *list {
		if l.Port() != port {
			continue
		}
		if l.Addr() == ip || ip.IsUnspecified() || (l.Addr().IsUnspecified() && isLocal(ip)) {
			return netip.AddrPortFrom(ip, port), true
		}
	}
	return netip.AddrPort{}, false
}

// isLocal reports whether ip is an address of this machine.
func isLocal(ip netip.Addr) bool {
	if ip.IsLoopback() || ip.IsUnspecified() {
		return true
	}
	ifaddrs, err := net.InterfaceAddrs()
	if err != nil {
		return true // cannot tell: refuse rather than risk a loop
	}
	for _, a := range ifaddrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Unmap() == ip {
			return true
		}
	}
	return false
}

// hostEntry is one trusted host: a destination's own host or an entry of
// its redirect_hosts. An empty port matches any port.
type hostEntry struct{ host, port string }

// parseHostEntry reads "host", "host:port", "[v6]:port", "[v6]" or "v6".
func parseHostEntry(s string) (hostEntry, error) {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "/?#@ \t") {
		return hostEntry{}, fmt.Errorf("redirect_hosts entry %q is not a host (no scheme, path or userinfo)", s)
	}
	if h, p, err := net.SplitHostPort(s); err == nil {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return hostEntry{}, fmt.Errorf("redirect_hosts entry %q: bad port", s)
		}
		if h == "" {
			return hostEntry{}, fmt.Errorf("redirect_hosts entry %q: no host", s)
		}
		return hostEntry{strings.ToLower(h), p}, nil
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if s == "" {
		return hostEntry{}, fmt.Errorf("redirect_hosts entry %q is not a host", s)
	}
	return hostEntry{strings.ToLower(s), ""}, nil
}

// trustedHosts are the hosts a destination's TLS settings apply to and
// its redirects may reach: its own and those of redirect_hosts.
type trustedHosts struct {
	own        hostEntry
	listed     []hostEntry
	restricted bool // redirect_hosts set: nothing else may be reached
}

// trusts reports whether host:port (port effective, host without
// brackets) is the destination's own host or listed.
func (t *trustedHosts) trusts(host, port string) bool {
	return t.own.matches(host, port) || t.lists(host, port)
}

func (t *trustedHosts) lists(host, port string) bool {
	for _, e := range t.listed {
		if e.matches(host, port) {
			return true
		}
	}
	return false
}

func (e hostEntry) matches(host, port string) bool {
	return strings.EqualFold(e.host, host) && (e.port == "" || e.port == port)
}

// checkIP refuses a redirect hop to ip:port that would reach one of
// relayd's own listeners, or a link-local address the destination does
// not list. host is the Location's host, for the message.
func checkIP(own *ownListeners, trusted *trustedHosts, host string, ip netip.Addr, port uint16) error {
	ip = ip.Unmap()
	if l, ok := own.match(ip, port); ok {
		return &refusedRedirect{fmt.Sprintf("redirect to relayd's own listener %s%s refused", l, via(host, ip))}
	}
	if (ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast()) && !trusted.lists(host, strconv.Itoa(int(port))) {
		return &refusedRedirect{fmt.Sprintf("redirect to link-local %s%s refused", ip, via(host, ip))}
	}
	return nil
}

// via names the host a hop was resolved from when it was a name.
func via(host string, ip netip.Addr) string {
	if a, err := netip.ParseAddr(host); err == nil && a.Unmap() == ip {
		return ""
	}
	return fmt.Sprintf(" (resolved from %s)", host)
}

// defaultDialTimeout bounds a redirect hop's dial when fasthttp gives none.
const defaultDialTimeout = 10 * time.Second

// hopDialer dials redirect hops. It resolves the host itself, checks every
// address (checkIP) and dials only addresses it checked, so a name that
// resolves to relayd's own listener is refused like the literal address.
type hopDialer struct {
	own     *ownListeners
	trusted *trustedHosts
	// dial makes the connection; a test wraps it to count dials.
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// DialTimeout is a fasthttp.DialFuncWithTimeout.
func (h *hopDialer) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("redirect hop address %q: %w", addr, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("redirect hop address %q: bad port", addr)
	}
	if timeout <= 0 {
		timeout = defaultDialTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ips, err := resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	for _, ip := range ips {
		if err := checkIP(h.own, h.trusted, host, ip, uint16(port)); err != nil {
			return nil, err
		}
	}
	var errs []error
	for _, ip := range ips {
		conn, err := h.dial(ctx, "tcp", netip.AddrPortFrom(ip.Unmap(), uint16(port)).String())
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// resolve returns host's addresses: the host itself when it is an IP.
func resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("resolve redirect host %s: %w", host, err)
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("resolve redirect host %s: no address", host)
	}
	return ips, nil
}
