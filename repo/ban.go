package repo

import (
	"strings"
	"time"
)

// The kinds of ban. Addresses and networks are banned by their keyed hashes, the same ones stored with comments.
const (
	BanEmail  = "email"
	BanDomain = "domain"
	BanIP     = "ip"
	BanNet    = "net"
)

// Ban keeps someone's new comments out of view: they are held as spam.
type Ban struct {
	ID    int64
	Kind  string
	Value string
	// Label says in words what is banned ("spam@example.com", "the address of comment 12").
	Label     string
	CreatedAt time.Time
}

// EmailDomain returns the part of an email after its last @.
func EmailDomain(email string) string {
	return email[strings.LastIndexByte(email, '@')+1:]
}
