package config

import (
	"net"
	"net/netip"
	"strings"
)

// SetupBase is the address the setup link is printed with: BASE_URL, or the listen address with localhost for a
// loopback or unspecified host. WebAuthn needs a host name (a browser refuses a passkey for 127.0.0.1), and
// localhost reaches a server listening on a loopback address or on every address alike.
func (cfg Config) SetupBase() string {
	base := cfg.PublicBase()
	if cfg.BaseURL != "" {
		return base
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return base
	}
	if ip, err := netip.ParseAddr(host); err == nil && (ip.IsLoopback() || ip.IsUnspecified()) {
		return "http://localhost:" + port
	}
	return base
}

// PublicBase is the blog's address for links printed to the operator: BASE_URL, or the local listen address.
func (cfg Config) PublicBase() string {
	switch {
	case cfg.BaseURL != "":
		return cfg.BaseURL
	case strings.HasPrefix(cfg.Addr, ":"):
		return "http://localhost" + cfg.Addr
	}
	return "http://" + cfg.Addr
}
