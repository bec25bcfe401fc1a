package activitypub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"time"

	"blog/activitypub/streams"
	"blog/content"
)

// Actor is the blog's actor document: a Service (an account that posts on its own, as Ghost and WriteFreely
// present blogs), with its name, summary, icon, inboxes and public key.
func (s *Service) Actor() streams.Doc {
	d := streams.Doc{
		"@context":                  streams.Context,
		"id":                        s.ActorID(),
		"type":                      "Service",
		"preferredUsername":         s.cfg.Username,
		"name":                      s.cfg.Title,
		"summary":                   s.cfg.Summary,
		"url":                       s.url("/"),
		"inbox":                     s.url("/ap/inbox"),
		"outbox":                    s.url("/ap/outbox"),
		"followers":                 s.url("/ap/followers"),
		"manuallyApprovesFollowers": false,
		"discoverable":              true,
		"endpoints":                 streams.Doc{"sharedInbox": s.url("/ap/inbox")},
		"publicKey":                 streams.Doc{"id": s.KeyID(), "owner": s.ActorID(), "publicKeyPem": s.pubPEM},
	}
	if s.cfg.Icon != "" {
		d["icon"] = streams.Doc{"type": "Image", "url": s.cfg.Icon}
	}
	if s.cfg.AlsoKnownAs != "" {
		d["alsoKnownAs"] = []string{s.cfg.AlsoKnownAs}
	}
	if s.cfg.MovedTo != "" {
		d["movedTo"] = s.cfg.MovedTo
	}
	return d
}

// WebFinger answers a WebFinger query for resource (acct:user@host, or the actor's own address); false when
// it names no one here.
func (s *Service) WebFinger(resource string) (streams.Doc, bool) {
	acct := strings.TrimPrefix(resource, "acct:")
	if !strings.EqualFold(acct, s.cfg.Username+"@"+s.base.Host) && resource != s.ActorID() && resource != s.url("/") {
		return nil, false
	}
	return streams.Doc{
		"subject": "acct:" + s.cfg.Username + "@" + s.base.Host,
		"aliases": []string{s.ActorID(), s.url("/")},
		"links": []streams.Doc{
			{"rel": "self", "type": streams.ContentType, "href": s.ActorID()},
			{"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": s.url("/")},
		},
	}, true
}

// NodeInfoLinks is /.well-known/nodeinfo.
func (s *Service) NodeInfoLinks() streams.Doc {
	return streams.Doc{"links": []streams.Doc{{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": s.url("/nodeinfo/2.1")}}}
}

// NodeInfo is the NodeInfo 2.1 document: one user, the posts, registrations closed.
func (s *Service) NodeInfo(version string) streams.Doc {
	posts := len(s.cfg.Content.Current().Lib.Posts)
	return streams.Doc{
		"version":           "2.1",
		"software":          streams.Doc{"name": "field-notes", "version": version, "homepage": s.url("/")},
		"protocols":         []string{"activitypub"},
		"services":          streams.Doc{"inbound": []string{}, "outbound": []string{"atom1.0"}},
		"openRegistrations": false,
		"usage":             streams.Doc{"users": streams.Doc{"total": 1, "activeMonth": 1, "activeHalfyear": 1}, "localPosts": posts},
		"metadata":          streams.Doc{"nodeName": s.cfg.Title},
	}
}

// Followers is the followers collection: how many, not who (as Mastodon shows it when its owner hides the list).
func (s *Service) Followers(ctx context.Context) (streams.Doc, error) {
	_, n, err := s.cfg.Store.Followers(ctx, 0, 0)
	if err != nil {
		return nil, err
	}
	return streams.Doc{"@context": streams.Context[0], "id": s.url("/ap/followers"), "type": "OrderedCollection", "totalItems": n}, nil
}

// Outbox is the outbox: the newest posts' Create activities (at most 20) and how many posts there are.
func (s *Service) Outbox() streams.Doc {
	snap := s.cfg.Content.Current()
	var items []streams.Doc
	for i, p := range snap.Lib.Posts {
		if i == 20 {
			break
		}
		items = append(items, s.activity("Create", s.PostURL(p.Slug)+"#create", s.Article(p)))
	}
	return streams.Doc{"@context": streams.Context[0], "id": s.url("/ap/outbox"), "type": "OrderedCollection",
		"totalItems": len(snap.Lib.Posts), "orderedItems": items}
}

// Article is a post as an Article: title, summary, content, tags, address, picture.
func (s *Service) Article(p content.Post) streams.Doc {
	id := s.PostURL(p.Slug)
	tags := []streams.Doc{}
	for _, t := range p.Tags {
		tags = append(tags, streams.Doc{"type": "Hashtag", "name": "#" + strings.ReplaceAll(t, " ", ""), "href": s.url("/tags/" + t)})
	}
	d := streams.Doc{
		"@context":     streams.Context[0],
		"id":           id,
		"type":         "Article",
		"attributedTo": s.ActorID(),
		"name":         p.Title,
		"summary":      p.Summary,
		"content":      s.absolute(string(p.HTML)),
		"mediaType":    "text/html",
		"url":          id,
		"published":    p.Date.UTC().Format(time.RFC3339),
		"to":           []string{streams.Public},
		"cc":           []string{s.url("/ap/followers")},
		"tag":          tags,
	}
	if p.InReplyTo != "" {
		d["inReplyTo"] = p.InReplyTo
	}
	if img := p.Image; img != "" {
		if strings.HasPrefix(img, "/") {
			img = s.url(img)
		}
		d["image"] = streams.Doc{"type": "Image", "url": img}
		d["attachment"] = []streams.Doc{{"type": "Image", "url": img}}
	}
	return d
}

// articleHash is what an Update compares: the post as its followers see it.
func articleHash(a streams.Doc) string {
	b := a.Bytes()
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// activity wraps obj in an activity of the blog's, addressed as obj is.
func (s *Service) activity(kind, id string, obj streams.Doc) streams.Doc {
	a := streams.Doc{"@context": streams.Context[0], "id": id, "type": kind, "actor": s.ActorID(), "object": obj,
		"to": obj["to"], "cc": obj["cc"]}
	if kind != "Delete" {
		a["published"] = time.Now().UTC().Format(time.RFC3339)
	}
	return a
}

// ArticleBySlug is the published post with this slug as an Article.
func (s *Service) ArticleBySlug(slug string) (streams.Doc, bool) {
	p, ok := s.cfg.Content.Current().Lib.PostBySlug(slug)
	if !ok || p.Draft {
		return nil, false
	}
	a := s.Article(p)
	a["@context"] = streams.Context
	return a, true
}

// rootRelative finds the blog's own links and pictures written from its root (href="/about"), which a reader on
// another server would resolve against that server.
var rootRelative = regexp.MustCompile(`(\s(?:href|src)=")/([^/"])`)

// absolute makes a post's links and pictures that start at the blog's root absolute.
func (s *Service) absolute(html string) string {
	return rootRelative.ReplaceAllString(html, "${1}"+s.base.String()+"/${2}")
}
