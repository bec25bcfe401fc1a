package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/go-rel/rel/where"

	ap "blog/activitypub"
	"blog/fetch"
	"blog/handlers"
	"blog/internal/dbtest"
	"blog/moderation"
	"blog/repo/federation"
)

// TestFollowersPage is the owner's Followers page through the real router: the followers listed with their
// count, a domain that is not one refused with a sentence and nothing changed, a server blocked (its followers
// gone, its domain banned like an email domain), one follower removed with a Reject queued for its server.
func TestFollowersPage(t *testing.T) {
	db := dbtest.SQLite(t)
	ctx := context.Background()
	store := federation.New(db)
	a := newTestAppOn(t, db, func(cfg *handlers.Config) {
		svc, err := ap.New(ctx, ap.Config{Store: store, Moderation: cfg.Moderation.(*moderation.Service), Content: cfg.Content,
			Fetch: fetch.New(fetch.Config{}), BaseURL: "http://blog.test", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		cfg.ActivityPub = svc
		cfg.Chrome.Followers = true
	})
	for _, f := range []federation.Follower{
		{ActorURI: "https://good.example/users/ann", Inbox: "https://good.example/users/ann/inbox", Domain: "good.example", Handle: "@ann@good.example", FollowID: "https://good.example/f/1"},
		{ActorURI: "https://spam.example/users/bot", Inbox: "https://spam.example/users/bot/inbox", Domain: "spam.example", Handle: "@bot@spam.example", FollowID: "https://spam.example/f/1"},
	} {
		if err := store.Follow(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	o := a.owner(t)
	resp, body := o.get(t, "/admin/followers")
	if resp.StatusCode != 200 || !strings.Contains(body, "2 followers") || !strings.Contains(body, "@ann@good.example") ||
		!strings.Contains(body, "@bot@spam.example") || !strings.Contains(body, "@blog@blog.test") {
		t.Fatalf("page: %d %s", resp.StatusCode, body)
	}
	if _, page := o.get(t, "/admin"); !strings.Contains(page, `href="/admin/followers"`) {
		t.Fatal("no Followers link in the console")
	}

	for _, bad := range []string{"", "not a domain!", "https://x.example/path", "localhost"} {
		resp, body = o.post(t, "/admin/followers/block", url.Values{"domain": {bad}}, false)
		if resp.StatusCode != 422 || !strings.Contains(body, "such as example.com") {
			t.Fatalf("block %q: %d", bad, resp.StatusCode)
		}
	}
	if _, n, _ := store.Followers(ctx, 10, 0); n != 2 {
		t.Fatalf("%d followers after refusals", n)
	}

	resp, _ = o.post(t, "/admin/followers/block", url.Values{"domain": {"Spam.Example"}}, false)
	if resp.StatusCode != 303 {
		t.Fatalf("block: %d", resp.StatusCode)
	}
	fs, n, _ := store.Followers(ctx, 10, 0)
	if n != 1 || fs[0].Domain != "good.example" {
		t.Fatalf("followers after blocking: %+v", fs)
	}
	if _, banned, _ := a.mod.BanStore.Match(ctx, "fediverse@spam.example", "", ""); !banned {
		t.Fatal("spam.example is not banned")
	}

	resp, _ = o.post(t, "/admin/followers/"+strconvItoa(fs[0].ID)+"/delete", nil, false)
	if resp.StatusCode != 303 {
		t.Fatalf("remove: %d", resp.StatusCode)
	}
	if _, n, _ := store.Followers(ctx, 10, 0); n != 0 {
		t.Fatalf("%d followers after removing", n)
	}
	var ds []federation.Delivery
	db.Repo().FindAll(ctx, &ds, where.Eq("inbox", "https://good.example/users/ann/inbox"))
	if len(ds) != 1 || !strings.Contains(ds[0].Activity, `"type":"Reject"`) || !strings.Contains(ds[0].Activity, "https://good.example/f/1") {
		t.Fatalf("deliveries: %+v", ds)
	}
	resp, _ = o.post(t, "/admin/followers/"+strconvItoa(fs[0].ID)+"/delete", nil, false)
	if resp.StatusCode != 404 {
		t.Fatalf("removing again: %d", resp.StatusCode)
	}
}
