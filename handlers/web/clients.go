package web

import (
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Clients finds the address of the client behind a request, believing X-Forwarded-For only from the proxies
// in Trusted.
type Clients struct {
	Trusted []netip.Prefix
}

// Of returns the address of the client: the socket's peer, unless that peer is a trusted proxy, in which case
// X-Forwarded-For is read from the right, skipping trusted proxies, so a client cannot choose its address by
// sending the header itself.
func (r Clients) Of(c *fiber.Ctx) netip.Addr {
	peer, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok {
		return netip.IPv4Unspecified()
	}
	peer = peer.Unmap()
	if !r.trusted(peer) {
		return peer
	}
	// Every X-Forwarded-For line counts, in order: a proxy that appends its own line after the client's must not
	// let the client's line speak for it.
	var hops []string
	for _, line := range c.Request().Header.PeekAll(fiber.HeaderXForwardedFor) {
		hops = append(hops, strings.Split(string(line), ",")...)
	}
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

func (r Clients) trusted(a netip.Addr) bool {
	for _, p := range r.Trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
