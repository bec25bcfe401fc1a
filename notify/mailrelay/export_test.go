package mailrelay

import "crypto/x509"

// TrustRoots makes s trust pool instead of the system's roots: a test relay's certificate is its own.
func (s *SMTP) TrustRoots(pool *x509.CertPool) { s.tls.RootCAs = pool }
