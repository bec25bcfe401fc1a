// Package clientip finds the address of the client behind a request, believing X-Forwarded-For only from
// trusted proxies.
package clientip

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Resolver finds client addresses; Trusted are the proxies whose X-Forwarded-For is believed.
type Resolver struct {
	Trusted []netip.Prefix
}

// Of returns the address of the client: the socket's peer, unless that peer is a trusted proxy, in which case
// X-Forwarded-For is read from the right, skipping trusted proxies, so a client cannot choose its address by
// sending the header itself.
func (r Resolver) Of(c *fiber.Ctx) netip.Addr {
	peer, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok {
		return netip.IPv4Unspecified()
	}
	peer = peer.Unmap()
	if !r.trusted(peer) {
		return peer
	}
	hops := strings.Split(c.Get(fiber.HeaderXForwardedFor), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		addr, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		addr = addr.Unmap()
		if !r.trusted(addr) {
			return addr
		}
	}
	return peer
}

func (r Resolver) trusted(a netip.Addr) bool {
	for _, p := range r.Trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParseTrusted reads a list of IPs or CIDR prefixes separated by commas (the TRUSTED_PROXIES setting).
func ParseTrusted(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if p, err := netip.ParsePrefix(part); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return nil, fmt.Errorf("TRUSTED_PROXIES: %q is not an IP address or CIDR prefix", part)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// Network returns the network an address belongs to for limits and bans: its /24 for IPv4, its /64 for IPv6
// (one subscriber usually holds a whole /64).
func Network(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	bits := 24
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}
