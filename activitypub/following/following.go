// Package following is the blog following others on the fediverse: the owner follows an actor (a blog, a Mastodon
// account) by handle or address, the Follow goes out signed through the durable queue, their server's Accept or
// Reject is recorded, and an unfollow sends the Undo. The posts followed actors send are kept in a bounded list
// (the newest of each, the newest of all) that the console shows. The inbox (package activitypub) hands it what
// followed actors send; everything else stays activitypub's.
package following

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/microcosm-cc/bluemonday"

	"blog/activitypub/remote"
	"blog/activitypub/streams"
	"blog/fetch"
	"blog/repo"
	"blog/repo/federation"
)

// Remote is what following needs of the blog as an actor (activitypub.Service): its id, the actors it reads
// (checked and kept), the objects it reads by address, and a nudge for its delivery queue.
type Remote interface {
	ActorID() string
	RemoteActor(ctx context.Context, id string) (federation.Actor, error)
	Object(ctx context.Context, address string) (streams.Object, error)
	Wake()
}

// Config is what the service is built from.
type Config struct {
	Store *federation.Store
	// Remote is set once the blog's actor is built (it hands the inbox's activities here).
	Remote Remote
	// Fetch reads WebFinger documents: non-public addresses refused unless it was built to allow them.
	Fetch *fetch.Client
	// PlainHTTP lets a handle's server be asked over http when https fails (two blogs on loopback in tests).
	PlainHTTP bool
	Log       *slog.Logger
}

// Service follows actors and keeps what they post.
type Service struct{ cfg Config }

// New returns the service; cfg.Remote may be set after (SetRemote).
func New(cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Service{cfg: cfg}
}

// SetRemote names the blog's actor, which is built with this service as its Following.
func (s *Service) SetRemote(r Remote) { s.cfg.Remote = r }

// BadTarget refuses something to follow that names no one; its message says why, for the owner.
type BadTarget struct{ Msg string }

func (e BadTarget) Error() string { return e.Msg }

// handle is @user@server (the first @ optional); server may carry a port. parseHandle bounds the parts: counted
// repetitions ({1,253}) would compile to a program of 100 KB, kept from start to end.
var handle = regexp.MustCompile(`^@?([\w.~-]+)@([a-zA-Z0-9.-]+(?::\d+)?)$`)

// parseHandle matches a handle, a name of at most 100 characters at a host of at most 253 with a port of at most
// five digits, as handle's submatches (nil when it is not one).
func parseHandle(s string) []string {
	m := handle.FindStringSubmatch(s)
	if m == nil || len(m[1]) > 100 {
		return nil
	}
	if host, port, _ := strings.Cut(m[2], ":"); len(host) > 253 || len(port) > 5 {
		return nil
	}
	return m
}

// Resolve returns the actor a handle (@user@server) or an address names, read and kept.
func (s *Service) Resolve(ctx context.Context, target string) (federation.Actor, error) {
	target = strings.TrimSpace(target)
	id := ""
	switch m := parseHandle(target); {
	case m != nil:
		var err error
		if id, err = s.webFinger(ctx, m[1], strings.ToLower(m[2])); err != nil {
			return federation.Actor{}, err
		}
	case strings.HasPrefix(target, "https://") || strings.HasPrefix(target, "http://"):
		if _, err := fetch.Parse(target); err != nil || len(target) > 2048 {
			return federation.Actor{}, BadTarget{"That address cannot be followed."}
		}
		id = target
	default:
		return federation.Actor{}, BadTarget{"Give a handle such as @name@example.social, or the address of an actor."}
	}
	a, err := s.cfg.Remote.RemoteActor(ctx, id)
	if err != nil && id == target {
		// A profile's page (https://server/@name) is not the actor, but its server says which one is.
		if o, oerr := s.cfg.Remote.Object(ctx, target); oerr == nil && o.ID != "" && o.ID != target && sameHost(o.ID, target) {
			a, err = s.cfg.Remote.RemoteActor(ctx, o.ID)
		}
	}
	if err != nil {
		s.cfg.Log.Info("following: cannot read the actor", "target", target, "err", err)
		return federation.Actor{}, BadTarget{"No account could be read at " + target + "."}
	}
	if a.URI == s.cfg.Remote.ActorID() {
		return federation.Actor{}, BadTarget{"That is this blog."}
	}
	return a, nil
}

// webFinger asks user@server's server for its actor's address.
func (s *Service) webFinger(ctx context.Context, user, server string) (string, error) {
	schemes := []string{"https"}
	if s.cfg.PlainHTTP {
		schemes = append(schemes, "http")
		// A blog on loopback (tests on one machine) has no TLS: a TLS hello to it waits for the timeout.
		if h, _, _ := strings.Cut(server, ":"); h == "localhost" || net.ParseIP(h) != nil {
			schemes = []string{"http"}
		}
	}
	var last error
	for _, scheme := range schemes {
		q := url.Values{"resource": {"acct:" + user + "@" + server}}
		fctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		resp, err := s.cfg.Fetch.Get(fctx, scheme+"://"+server+"/.well-known/webfinger?"+q.Encode(), "application/jrd+json, application/json")
		cancel()
		if err != nil {
			last = err
			continue
		}
		if resp.Status != http.StatusOK {
			last = fmt.Errorf("status %d", resp.Status)
			continue
		}
		var doc struct {
			Links []struct{ Rel, Type, Href string } `json:"links"`
		}
		if err := json.Unmarshal(resp.Body, &doc); err != nil {
			last = err
			continue
		}
		for _, l := range doc.Links {
			if l.Rel == "self" && (strings.Contains(l.Type, "activity+json") || strings.Contains(l.Type, "ld+json")) && sameHostName(l.Href, server) {
				return l.Href, nil
			}
		}
		last = errors.New("no actor in the WebFinger document")
	}
	s.cfg.Log.Info("following: WebFinger", "handle", user+"@"+server, "err", last)
	return "", BadTarget{"No account @" + user + "@" + server + " could be found."}
}

// Follow follows the actor target names: kept as pending, its Follow queued (signed, tried again until their
// server takes it).
func (s *Service) Follow(ctx context.Context, target string) (federation.Followee, error) {
	a, err := s.Resolve(ctx, target)
	if err != nil {
		return federation.Followee{}, err
	}
	me := s.cfg.Remote.ActorID()
	followID := me + "#follows/" + streams.ShortHash(a.URI+time.Now().String())
	follow := streams.Doc{"@context": streams.Context[0], "id": followID, "type": "Follow", "actor": me, "object": a.URI}
	f, err := s.cfg.Store.StartFollowing(ctx, federation.Followee{ActorURI: a.URI, Inbox: a.Inbox, Handle: a.Handle, Name: a.Name,
		ProfileURL: a.ProfileURL, FollowID: followID}, follow.Bytes())
	if err != nil {
		return f, err
	}
	s.cfg.Remote.Wake()
	s.cfg.Log.Info("following: follow sent", "actor", a.URI)
	return f, nil
}

// Unfollow stops following the actor with this row id: forgotten with its posts, and their server told with
// an Undo of the Follow.
func (s *Service) Unfollow(ctx context.Context, id int64) (federation.Followee, error) {
	me := s.cfg.Remote.ActorID()
	f, err := s.cfg.Store.StopFollowing(ctx, id, func(f federation.Followee) []byte {
		return streams.Doc{"@context": streams.Context[0], "id": f.FollowID + "/undo", "type": "Undo", "actor": me,
			"object": streams.Doc{"id": f.FollowID, "type": "Follow", "actor": me, "object": f.ActorURI}}.Bytes()
	})
	if err != nil {
		return f, err
	}
	s.cfg.Remote.Wake()
	return f, nil
}

// Find returns the followed actor a row id, a handle or an actor's address names.
func (s *Service) Find(ctx context.Context, ref string) (federation.Followee, error) {
	var id int64
	if _, err := fmt.Sscanf(ref, "%d", &id); err == nil && fmt.Sprint(id) == ref {
		return s.cfg.Store.FolloweeByID(ctx, id)
	}
	if m := parseHandle(ref); m != nil {
		ref = "@" + m[1] + "@" + strings.ToLower(m[2])
	}
	return s.cfg.Store.Followee(ctx, ref)
}

// Following returns a page of the followed actors, newest first, and how many there are.
func (s *Service) Following(ctx context.Context, n, offset int) ([]federation.Followee, int, error) {
	return s.cfg.Store.Following(ctx, n, offset)
}

// Timeline returns the newest n posts of the followed actors.
func (s *Service) Timeline(ctx context.Context, n int) ([]federation.TimelineItem, error) {
	return s.cfg.Store.Timeline(ctx, n)
}

// Answered records their server's Accept (accepted) or Reject of the blog's Follow (a refusal, or the blog
// removed from their followers).
func (s *Service) Answered(ctx context.Context, a streams.Object, actor federation.Actor, accepted bool) error {
	followID := streams.Ref(a.Object)
	if inner, ok := streams.Embedded(a.Object); ok {
		if inner.TypeName() != "Follow" || (inner.ActorID() != "" && inner.ActorID() != s.cfg.Remote.ActorID()) {
			return nil
		}
	}
	ok, err := s.cfg.Store.Answered(ctx, actor.URI, followID, accepted)
	if err == nil && ok {
		s.cfg.Log.Info("following: answered", "actor", actor.URI, "accepted", accepted)
	}
	return err
}

// Received keeps a post (an Article, a Note) a followed actor created or edited; it reports whether the blog
// follows them. The actor is the post's author (the inbox checked).
func (s *Service) Received(ctx context.Context, o streams.Object, actor federation.Actor) (bool, error) {
	f, err := s.cfg.Store.Followee(ctx, actor.URI)
	if errors.Is(err, repo.ErrNotFound) || (err == nil && f.State == federation.FollowRejected) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, s.cfg.Store.KeepPost(ctx, Item(o, actor.URI))
}

// Removed forgets a followed actor's post that was deleted.
func (s *Service) Removed(ctx context.Context, objectID string, actor federation.Actor) error {
	_, err := s.cfg.Store.DropPost(ctx, objectID, actor.URI)
	return err
}

// Bounds of what is kept of a post.
const (
	MaxTitle   = 300
	MaxSummary = 500
)

var text = bluemonday.StrictPolicy()

// Item is what the list keeps of a post: its title (an Article's name), its page, its summary as plain text
// (its summary, or the start of its text), what it answers and when it was published (never later than now).
func Item(o streams.Object, actorURI string) federation.TimelineItem {
	it := federation.TimelineItem{ActorURI: actorURI, ObjectURI: o.ID, Title: remote.Clean(o.Name, MaxTitle), Published: time.Now().UTC()}
	if u := streams.URLOf(o.URL); u != "" && sameHostName(u, hostName(o.ID)) && len(u) <= 2048 {
		it.URL = u
	} else {
		it.URL = o.ID
	}
	if r := streams.Ref(o.InReplyTo); len(r) <= 2048 {
		it.InReplyTo = r
	}
	summary := o.Summary
	if o.TypeName() == "Note" || strings.TrimSpace(summary) == "" {
		summary = o.Content
	}
	if len(summary) > 64<<10 {
		summary = summary[:64<<10]
	}
	it.Summary = remote.Clean(html.UnescapeString(text.Sanitize(strings.NewReplacer("</p>", "</p> ", "<br>", " ", "<br/>", " ", "<br />", " ").Replace(summary))), MaxSummary)
	if t, err := time.Parse(time.RFC3339, o.Published); err == nil && t.Before(it.Published) {
		it.Published = t.UTC()
	}
	return it
}

func hostName(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

func sameHost(a, b string) bool { return hostName(a) != "" && hostName(a) == hostName(b) }

// sameHostName reports whether address is on server (a host, with or without a port).
func sameHostName(address, server string) bool {
	h, _, found := strings.Cut(server, ":")
	if !found {
		h = server
	}
	return hostName(address) != "" && hostName(address) == strings.ToLower(h)
}
