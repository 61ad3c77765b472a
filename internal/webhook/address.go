package webhook

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"github.com/xuqmgroup/xuqm/internal/fault"
)

// publicAddr holds for addresses a webhook may reach: not loopback, private, link-local
// (cloud metadata at 169.254.169.254 included), unspecified, multicast or shared space.
func publicAddr(a netip.Addr) bool {
	a = a.Unmap()
	switch {
	case !a.IsValid(), a.IsLoopback(), a.IsPrivate(), a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast(),
		a.IsUnspecified(), a.IsMulticast(), a.IsInterfaceLocalMulticast():
		return false
	case a.Is4() && netip.MustParsePrefix("100.64.0.0/10").Contains(a): // carrier-grade NAT
		return false
	case a.Is4() && a.As4()[0] == 0:
		return false
	}
	return true
}

var errPrivate = errors.New("webhook: the address is not public")

// checkURL refuses a URL that is not http(s) or whose host is, or resolves to, an address
// that is not public (unless allowed).
func (s *Service) checkURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return fault.InvalidField("url", "must be an http or https URL with a host")
	}
	if s.opts.AllowPrivate {
		return nil
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		if !publicAddr(a) {
			return fault.InvalidField("url", "%s is a loopback, private, link-local or otherwise non-public address; webhooks may only reach public addresses", host)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return fault.InvalidField("url", "the host %s does not resolve", host)
	}
	for _, a := range addrs {
		if !publicAddr(a) {
			return fault.InvalidField("url", "%s resolves to %s, a loopback, private, link-local or otherwise non-public address; webhooks may only reach public addresses", host, a)
		}
	}
	return nil
}

// dialer checks every address it connects to, so that a name that resolved to a public
// address when the webhook was saved and to a private one now (DNS rebinding) is not reached.
func dialer(allowPrivate bool) *net.Dialer {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if !allowPrivate {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !publicAddr(ap.Addr()) {
				return errPrivate
			}
			return nil
		}
	}
	return d
}
