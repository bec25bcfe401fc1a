package mailrelay

import (
	"net/smtp"
	"testing"
)

// LOGIN, like net/smtp's PLAIN, sends the password only over TLS or to a relay on this machine: without TLS,
// an AUTH line offering LOGIN may be an attacker's.
func TestLoginAuthOnlyOverTLSOrLoopback(t *testing.T) {
	tests := []struct {
		name    string
		host    string // the relay SMTP_URL names
		server  smtp.ServerInfo
		wantErr bool
	}{
		{"TLS", "mail.example", smtp.ServerInfo{Name: "mail.example", TLS: true}, false},
		{"clear text", "mail.example", smtp.ServerInfo{Name: "mail.example"}, true},
		{"clear text to loopback", "127.0.0.1", smtp.ServerInfo{Name: "127.0.0.1"}, false},
		{"another host", "mail.example", smtp.ServerInfo{Name: "other.example", TLS: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &loginAuth{user: "ada", pass: "secret", host: tt.host}
			mech, _, err := a.Start(&tt.server)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Start: err %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if mech != "LOGIN" {
				t.Errorf("mechanism %q, want LOGIN", mech)
			}
			for i, want := range []string{"ada", "secret"} {
				got, err := a.Next([]byte("whatever the prompt"), true)
				if err != nil || string(got) != want {
					t.Errorf("answer %d: %q, %v; want %q", i+1, got, err, want)
				}
			}
			if _, err := a.Next([]byte("again?"), true); err == nil {
				t.Error("a third challenge was answered")
			}
		})
	}
}
