// Package clientip keeps what the blog knows of client addresses without HTTP: the trusted proxies' setting, the
// prefix one client is counted by, and the keyed hashes bans and comments keep instead of addresses. Finding the
// address behind a request is handlers/web's (web.Clients).
package clientip

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
)

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

// Key is what one client counts as for limits: the address itself for IPv4, its /64 for IPv6 (one subscriber
// usually holds a whole /64 and could otherwise take a fresh address for every request).
func Key(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	bits := a.BitLen()
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}

// Network returns the network an address belongs to for bans: its /24 for IPv4, its /64 for IPv6
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

// Hasher turns addresses into keyed hashes (HMAC-SHA256 with the site's key), so comments and bans can refer to
// an address or network without the blog keeping any address.
type Hasher struct {
	key []byte
}

// NewHasher returns a hasher keyed with key.
func NewHasher(key []byte) Hasher { return Hasher{key: key} }

func (h Hasher) sum(s string) string {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// Address returns the hash of one address.
func (h Hasher) Address(a netip.Addr) string { return h.sum("addr:" + a.Unmap().String()) }

// Net returns the hash of the network an address belongs to (see Network).
func (h Hasher) Net(a netip.Addr) string { return h.NetPrefix(Network(a)) }

// NetPrefix returns the hash of a network given as its /24 or /64 prefix.
func (h Hasher) NetPrefix(p netip.Prefix) string { return h.sum("net:" + p.Masked().String()) }

// ParseBan reads what an owner typed to ban an address: a single address, an IPv4 /24 or an IPv6 /64 (the
// networks whose hashes comments keep). It returns the hash, whether it names a network, and the canonical text.
func (h Hasher) ParseBan(s string) (hash string, network bool, label string, err error) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return h.Address(a), false, a.Unmap().String(), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return "", false, "", fmt.Errorf("%q is not an IP address or prefix", s)
	}
	p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-map[bool]int{true: 96, false: 0}[p.Addr().Is4In6()]).Masked()
	if (p.Addr().Is4() && p.Bits() != 24) || (p.Addr().Is6() && p.Bits() != 64) {
		return "", false, "", fmt.Errorf("%s: only a single address, an IPv4 /24 or an IPv6 /64 can be banned "+
			"(comments keep hashes of their address and of its /24 or /64, never the address itself)", s)
	}
	return h.NetPrefix(p), true, p.String(), nil
}
