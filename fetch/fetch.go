// Package fetch is the blog's client for addresses that strangers give it (a Webmention's source, an endpoint
// found on a linked page, an author's picture): it refuses private, loopback, link-local and other non-public
// addresses when it connects (after DNS, so a name that resolves to 127.0.0.1 or a redirect to 10.0.0.1 is
// refused as well), and bounds the time, the size of a body and the number of redirects of every request.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Errors a caller can tell apart with errors.Is.
var (
	// ErrForbiddenAddress refuses an address that is not on the public internet.
	ErrForbiddenAddress = errors.New("fetch: address is not public")
	// ErrTooLarge refuses a body larger than Config.MaxBytes.
	ErrTooLarge = errors.New("fetch: body too large")
	// ErrTooManyRedirects refuses a chain of redirects longer than Config.MaxRedirects.
	ErrTooManyRedirects = errors.New("fetch: too many redirects")
	// ErrBadURL refuses an address that is not an absolute http or https URL.
	ErrBadURL = errors.New("fetch: not an http or https address")
)

// Config bounds a Client. Zero values take the defaults named beside each field.
type Config struct {
	// AllowPrivate lets the client connect to loopback, private and link-local addresses. It exists for tests
	// (two blogs on 127.0.0.1) and stays off in production: WEBMENTION_ALLOW_PRIVATE turns it on.
	AllowPrivate bool
	// Timeout bounds one request from its first connection to the last byte of its body (default 10 s).
	Timeout time.Duration
	// MaxBytes bounds the body read (default 1 MiB); a larger one is ErrTooLarge.
	MaxBytes int64
	// MaxRedirects bounds the redirects followed (default 5).
	MaxRedirects int
	// UserAgent names the blog to the servers it asks.
	UserAgent string
}

// Client fetches strangers' addresses within its Config. It is safe for concurrent use.
type Client struct {
	cfg Config
	hc  *http.Client
}

// Response is what a request brought back: the address it ended at after redirects, its status, its headers and
// its body (whole: a body past the bound is an error, never a truncated success).
type Response struct {
	URL    *url.URL
	Status int
	Header http.Header
	Body   []byte
}

// New returns a Client bounded by cfg.
func New(cfg Config) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 1 << 20
	}
	if cfg.MaxRedirects <= 0 {
		cfg.MaxRedirects = 5
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "Field-Notes-blog (Webmention)"
	}
	dialer := &net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}
	if !cfg.AllowPrivate {
		dialer.Control = refuseNonPublic
	}
	transport := &http.Transport{
		// No proxy from the environment: a proxy would connect on our behalf, past the check at connect time.
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		TLSHandshakeTimeout:    cfg.Timeout,
		ResponseHeaderTimeout:  cfg.Timeout,
		MaxIdleConns:           16,
		MaxIdleConnsPerHost:    2,
		IdleConnTimeout:        30 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	c := &Client{cfg: cfg}
	c.hc = &http.Client{
		Transport: transport,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > cfg.MaxRedirects {
				return ErrTooManyRedirects
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return ErrBadURL
			}
			req.Header.Set("User-Agent", cfg.UserAgent)
			return nil
		},
	}
	return c
}

// Get fetches rawURL, asking for the types in accept ("" for any).
func (c *Client) Get(ctx context.Context, rawURL, accept string) (*Response, error) {
	u, err := Parse(rawURL)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadURL, err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return c.do(req)
}

// PostForm sends values as a form to rawURL. Redirects are not followed for a POST but a 307 or 308 (as
// net/http does), within the same bounds.
func (c *Client) PostForm(ctx context.Context, rawURL string, values url.Values) (*Response, error) {
	u, err := Parse(rawURL)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(values.Encode()))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadURL, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// Do sends a request the caller built (a signed ActivityPub delivery, say), within the same bounds: its address
// must be an absolute http or https URL, and the address connected to a public one.
func (c *Client) Do(req *http.Request) (*Response, error) {
	if _, err := Parse(req.URL.String()); err != nil {
		return nil, err
	}
	return c.do(req)
}

func (c *Client) do(req *http.Request) (*Response, error) {
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.ContentLength > c.cfg.MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes announced, at most %d read", ErrTooLarge, resp.ContentLength, c.cfg.MaxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch: reading %s: %w", resp.Request.URL.Redacted(), err)
	}
	if int64(len(body)) > c.cfg.MaxBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, c.cfg.MaxBytes)
	}
	return &Response{URL: resp.Request.URL, Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// Parse returns rawURL as an absolute http or https URL with a host, or ErrBadURL. It drops the fragment,
// which is never sent.
func Parse(rawURL string) (*url.URL, error) {
	if len(rawURL) > 2048 {
		return nil, fmt.Errorf("%w: longer than 2048 characters", ErrBadURL)
	}
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
		return nil, fmt.Errorf("%w: %q", ErrBadURL, rawURL)
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// refuseNonPublic is the dialer's check, run on the address actually connected to (after DNS).
func refuseNonPublic(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
	}
	if !Public(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, ap.Addr())
	}
	return nil
}

// nonPublic lists the ranges that netip's predicates do not name but that are not the public internet either:
// shared address space (carrier-grade NAT), IETF protocol assignments, benchmarking, documentation, the
// reserved and broadcast block, NAT64 and 6to4 (which can wrap a private IPv4 address), and IPv6 discard and
// documentation.
var nonPublic = func() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15", "198.51.100.0/24",
		"203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
		"64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "2002::/16", "fc00::/7",
	} {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}()

// Public reports whether a is an address on the public internet: not loopback, private, link-local,
// multicast, unspecified or any of the special ranges above. An IPv4 address written as IPv6 is judged as IPv4.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}
