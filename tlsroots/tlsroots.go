// Package tlsroots gives the blog's outgoing TLS connections (mail relay, webhooks) trusted roots where the
// system has none, as in the container image built FROM scratch: the NSS bundle of golang.org/x/crypto's
// x509roots, installed as crypto/x509's fallback the first time a connection needs it. Importing
// x509roots/fallback instead parses the bundle's ~150 certificates at every start (3-14 ms and 0.7 MB here),
// for a blog that may never send a mail.
package tlsroots

import (
	"crypto/x509"
	"sync"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

var once sync.Once

// Ensure installs the fallback roots, once per process; call it before making an outgoing TLS connection. Where
// the system has roots of its own, crypto/x509 keeps using those.
func Ensure() {
	once.Do(func() {
		pool := x509.NewCertPool()
		for r := range bundle.Roots() {
			cert, err := x509.ParseCertificate(r.Certificate)
			if err != nil {
				continue // the bundle is parsed by its own tests; one bad entry must not stop mail
			}
			if r.Constraint == nil {
				pool.AddCert(cert)
			} else {
				pool.AddCertWithConstraint(cert, r.Constraint)
			}
		}
		defer func() { recover() }() // SetFallbackRoots panics when something else already set fallback roots: those stand
		x509.SetFallbackRoots(pool)
	})
}
