package config

import "testing"

// TestSetupBaseNamesLocalhost checks the address the setup link is printed with: WebAuthn refuses numeric
// addresses, so a server listening on a loopback (or every) address prints localhost, and BASE_URL wins.
func TestSetupBaseNamesLocalhost(t *testing.T) {
	for _, tc := range []struct{ addr, base, want string }{
		{"127.0.0.1:8080", "", "http://localhost:8080"},
		{"127.0.0.2:8080", "", "http://localhost:8080"},
		{"[::1]:9000", "", "http://localhost:9000"},
		{"0.0.0.0:8080", "", "http://localhost:8080"},
		{"[::]:8080", "", "http://localhost:8080"},
		{":8080", "", "http://localhost:8080"},
		{"192.0.2.10:8080", "", "http://192.0.2.10:8080"},
		{"127.0.0.1:8080", "https://blog.example.com", "https://blog.example.com"},
	} {
		if got := (Config{Addr: tc.addr, BaseURL: tc.base}).SetupBase(); got != tc.want {
			t.Errorf("ADDR=%s BASE_URL=%q: setup link on %q, want %q", tc.addr, tc.base, got, tc.want)
		}
	}
}
