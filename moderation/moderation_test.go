package moderation_test

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"blog/clientip"
	"blog/internal/dbtest"
	"blog/moderation"
	"blog/repo"
	"blog/repo/posts"
	"blog/repo/review"
	"blog/spam"
)

// The addresses comments come from in these tests (documentation ranges).
var (
	addrA    = netip.MustParseAddr("203.0.113.7")
	addrA2   = netip.MustParseAddr("203.0.113.99") // in addrA's /24
	addrB    = netip.MustParseAddr("198.51.100.20")
	addrB2   = netip.MustParseAddr("198.51.100.30") // in addrB's /24
	addrC    = netip.MustParseAddr("192.0.2.50")
	addrV6   = netip.MustParseAddr("2001:db8:1:2::5")
	addrV6b  = netip.MustParseAddr("2001:db8:1:2:ffff::9") // in addrV6's /64
	noAddr   = netip.Addr{}                                // a comment with no address on record (an import)
	hasher   = clientip.NewHasher([]byte("moderation test address key"))
	ctx      = context.Background()
	tooLinky = "see https://a.example, https://b.example and www.c.example"
)

// rules are the spam rules every fixture starts with.
func rules() spam.Rules {
	return spam.Rules{Stamps: true, MinAge: 3 * time.Second, MaxLinks: 2, Words: spam.ParseWords("Casino, cheap pills")}
}

// fixture is a moderation service over real stores and one post to comment on.
type fixture struct {
	svc      *moderation.Service
	comments *review.Comments
	audit    *repo.Audit
	post     int64
}

// each runs fn against a fresh SQLite file and a fresh PostgreSQL database, as subtests.
func each(t *testing.T, fn func(t *testing.T, f *fixture)) {
	t.Run("sqlite", func(t *testing.T) {
		db := dbtest.SQLite(t)
		fn(t, newFixture(t, review.NewComments(db), review.NewBans(db), posts.NewPosts(db), repo.NewAudit(db)))
	})
	t.Run("postgres", func(t *testing.T) {
		db := dbtest.Postgres(t)
		fn(t, newFixture(t, review.NewComments(db), review.NewBans(db), posts.NewPosts(db), repo.NewAudit(db)))
	})
}

func newFixture(t *testing.T, comments *review.Comments, bans *review.Bans, postStore *posts.Posts, audit *repo.Audit) *fixture {
	t.Helper()
	ids, err := postStore.SyncPosts(ctx, []posts.PostRef{{Slug: "hello", Title: "Hello"}})
	if err != nil {
		t.Fatalf("sync posts: %v", err)
	}
	f := &fixture{comments: comments, audit: audit, post: ids["hello"]}
	f.svc = &moderation.Service{Comments: comments, BanStore: bans, Hasher: hasher, Mode: moderation.ModeOff, Rules: rules()}
	return f
}

// comment is a comment as a reader sends it.
type comment struct {
	email, body string
	from        netip.Addr
	parent      int64
}

// candidate is what the comment form's handler hands Screen for c: a form loaded a minute ago, correctly stamped.
func candidate(c comment) moderation.Candidate {
	in := repo.CommentInput{Username: "Reader", Email: c.email, Body: c.body}.Normalize()
	cand := moderation.Candidate{Email: in.Email,
		Submission: spam.Submission{Name: in.Username, Body: in.Body, FormAge: time.Minute, FormValid: true}}
	if c.from.IsValid() {
		cand.IPHash, cand.NetHash = hasher.Address(c.from), hasher.Net(c.from)
	}
	return cand
}

// postComment stores c through the service and returns it as stored, with the decision.
func (f *fixture) postComment(t *testing.T, c comment) (repo.Comment, moderation.Decision) {
	t.Helper()
	cand := candidate(c)
	n := repo.NewComment{PostID: f.post, Input: repo.CommentInput{Username: cand.Name, Email: cand.Email, Body: cand.Body},
		IPHash: cand.IPHash, NetHash: cand.NetHash, ParentID: c.parent}
	posted, _, d, err := f.svc.Post(ctx, n, cand)
	if err != nil {
		t.Fatalf("post %+v: %v", c, err)
	}
	return f.find(t, posted.ID), d
}

// find reads a comment back from the database.
func (f *fixture) find(t *testing.T, id int64) repo.Comment {
	t.Helper()
	c, err := f.svc.Comment(ctx, id)
	if err != nil {
		t.Fatalf("find comment %d: %v", id, err)
	}
	return c
}

// editOwn sends body as the author's new text for comment id, from the address from, as the edit handler does.
func (f *fixture) editOwn(t *testing.T, id int64, body string, from netip.Addr) (moderation.Decision, error) {
	t.Helper()
	_, _, d, err := f.svc.EditOwn(ctx, moderation.OwnEdit{Comment: f.find(t, id), Body: body,
		IPHash: hasher.Address(from), NetHash: hasher.Net(from)})
	return d, err
}

// lastAudit returns the newest entry of the audit trail.
func (f *fixture) lastAudit(t *testing.T) repo.AuditEntry {
	t.Helper()
	entries, err := f.audit.List(ctx, 0, 1)
	if err != nil || len(entries) != 1 {
		t.Fatalf("audit: %+v, %v; want an entry", entries, err)
	}
	return entries[0]
}

func (f *fixture) auditCount(t *testing.T) int {
	t.Helper()
	entries, err := f.audit.List(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// ban asks for a ban that must succeed, and returns it with the comments it removed.
func (f *fixture) ban(t *testing.T, req moderation.BanRequest) (repo.Ban, []repo.Moved) {
	t.Helper()
	ban, moved, err := f.svc.Ban(ctx, repo.ActorOwner, req)
	if err != nil {
		t.Fatalf("ban %+v: %v", req, err)
	}
	return ban, moved
}

// changes returns the post's change feed after seq: what every instance reads and hands to open pages.
func (f *fixture) changes(t *testing.T, after int64) []repo.Change {
	t.Helper()
	changes, err := f.comments.FindChanges(ctx, f.post, after, 100)
	if err != nil {
		t.Fatal(err)
	}
	return changes
}

// movedIDs returns the ids of moved comments, in increasing order.
func movedIDs(moved []repo.Moved) []int64 {
	var ids []int64
	for _, m := range moved {
		ids = append(ids, m.ID)
	}
	slices.Sort(ids)
	return ids
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// TestParseMode proves the MODERATION setting accepts exactly off, first and all.
func TestParseMode(t *testing.T) {
	tests := []struct {
		name, input string
		want        moderation.Mode
		wantErr     bool
	}{
		{"off", "off", moderation.ModeOff, false},
		{"first", "first", moderation.ModeFirst, false},
		{"all", "all", moderation.ModeAll, false},
		{"empty", "", "", true},
		{"upper case", "ALL", "", true},
		{"unknown", "sometimes", "", true},
	}
	for _, tt := range tests {
		got, err := moderation.ParseMode(tt.input)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("%s: ParseMode(%q) = %q, %v; want %q, error %v", tt.name, tt.input, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), strconv.Quote(tt.input)) {
			t.Errorf("%s: error %q does not quote the setting", tt.name, err)
		}
	}
}

// TestScreenHoldsBannedCommentersAsSpam proves a ban of the email, its domain, the address or its network holds
// a comment as spam with the ban's words, a ban on an address in Also (an edited comment's own) counts too,
// and a ban outranks a browser's trust (which is not even asked).
func TestScreenHoldsBannedCommentersAsSpam(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		for _, req := range []moderation.BanRequest{
			{Kind: repo.BanEmail, Value: " Troll@Example.ORG "},
			{Kind: repo.BanDomain, Value: "@spam.example"},
			{Kind: repo.BanIP, Value: addrA.String()},
			{Kind: repo.BanIP, Value: "198.51.100.0/24"},
			{Kind: repo.BanIP, Value: "2001:db8:1:2::/64"},
		} {
			f.ban(t, req)
		}
		banned := func(words string) moderation.Decision {
			return moderation.Decision{State: repo.StateSpam, Reason: "banned " + words, Kind: "banned"}
		}
		tests := []struct {
			name  string
			input moderation.Candidate
			want  moderation.Decision
		}{
			{"clean", candidate(comment{"ann@example.org", "Nice post.", addrC, 0}), moderation.Decision{State: repo.StatePublished}},
			{"banned email", candidate(comment{"TROLL@example.org", "Nice post.", addrC, 0}), banned("email: troll@example.org")},
			{"banned domain", candidate(comment{"x@spam.example", "Nice post.", addrC, 0}), banned("email domain: spam.example")},
			{"a subdomain is another domain", candidate(comment{"x@sub.spam.example", "Nice post.", addrC, 0}), moderation.Decision{State: repo.StatePublished}},
			{"banned address", candidate(comment{"ann@example.org", "Nice post.", addrA, 0}), banned("address: 203.0.113.7")},
			{"another address in its network", candidate(comment{"ann@example.org", "Nice post.", addrA2, 0}), moderation.Decision{State: repo.StatePublished}},
			{"banned IPv4 network", candidate(comment{"ann@example.org", "Nice post.", addrB2, 0}), banned("network: 198.51.100.0/24")},
			{"banned IPv6 network", candidate(comment{"ann@example.org", "Nice post.", addrV6b, 0}), banned("network: 2001:db8:1:2::/64")},
		}
		for _, tt := range tests {
			got, err := f.svc.Screen(ctx, tt.input)
			if err != nil || got != tt.want {
				t.Errorf("%s: Screen = %+v, %v; want %+v", tt.name, got, err, tt.want)
			}
		}

		also := candidate(comment{"ann@example.org", "Nice post.", addrC, 0})
		also.Also = [][2]string{{hasher.Address(addrA), hasher.Net(addrA)}}
		if got, err := f.svc.Screen(ctx, also); err != nil || got != banned("address: 203.0.113.7") {
			t.Errorf("banned address in Also: %+v, %v; want held as spam", got, err)
		}

		f.svc.Mode = moderation.ModeFirst
		trusted := candidate(comment{"troll@example.org", "Nice post.", addrC, 0})
		trusted.Trusted = func(context.Context) (bool, error) {
			t.Error("Trusted was asked about a banned commenter")
			return true, nil
		}
		if got, err := f.svc.Screen(ctx, trusted); err != nil || got != banned("email: troll@example.org") {
			t.Errorf("banned but trusted: %+v, %v; want held as spam", got, err)
		}
	})
}

// TestScreenSpamRules proves each spam rule holds a comment as pending with its reason and kind, what is within
// the rules is published, and an edit is not held by the form's timestamp rules (its reason, when held for
// another, starts with "after an edit, ").
func TestScreenSpamRules(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		held := func(kind, reason string) moderation.Decision {
			return moderation.Decision{State: repo.StatePending, Reason: reason, Kind: kind}
		}
		published := moderation.Decision{State: repo.StatePublished}
		fresh := func(name, body string) spam.Submission {
			return spam.Submission{Name: name, Body: body, FormAge: time.Minute, FormValid: true}
		}
		tests := []struct {
			name    string
			noStamp bool // rules without Stamps
			input   spam.Submission
			want    moderation.Decision
		}{
			{"clean", false, fresh("Ann", "Nice post."), published},
			{"two links are allowed", false, fresh("Ann", "https://a.example and www.b.example"), published},
			{"three links", false, fresh("Ann", tooLinky), held("links", "held: 3 links (more than 2)")},
			{"listed word in the text, any case", false, fresh("Ann", "Best CASINO in town"), held("words", `held: contains the listed word "casino"`)},
			{"listed phrase", false, fresh("Ann", "Buy cheap pills now"), held("words", `held: contains the listed word "cheap pills"`)},
			{"listed word in the name", false, fresh("Casino Royale", "Nice post."), held("words", `held: contains the listed word "casino"`)},
			{"listed word inside another word", false, fresh("Ann", "Two casinos, occasionally"), published},
			{"timestamp missing", false, spam.Submission{Name: "Ann", Body: "Nice post."},
				held("no_timestamp", "held: the form's timestamp was missing or not ours (posted by a program?)")},
			{"posted too fast", false, spam.Submission{Name: "Ann", Body: "Nice post.", FormAge: time.Second, FormValid: true},
				held("too_fast", "held: posted less than 3 s after the page loaded")},
			{"timestamp rules off", true, spam.Submission{Name: "Ann", Body: "Nice post."}, published},
			{"edit without a timestamp", false, spam.Submission{Name: "Ann", Body: "Nice post.", Edit: true}, published},
			{"edit right after loading", false, spam.Submission{Name: "Ann", Body: "Nice post.", FormValid: true, Edit: true}, published},
			{"edit with three links", false, spam.Submission{Name: "Ann", Body: tooLinky, Edit: true},
				held("links", "after an edit, held: 3 links (more than 2)")},
			{"edit with a listed word", false, spam.Submission{Name: "Ann", Body: "casino", Edit: true},
				held("words", `after an edit, held: contains the listed word "casino"`)},
		}
		for _, tt := range tests {
			f.svc.Rules = rules()
			f.svc.Rules.Stamps = !tt.noStamp
			got, err := f.svc.Screen(ctx, moderation.Candidate{Email: "ann@example.org", Submission: tt.input})
			if err != nil || got != tt.want {
				t.Errorf("%s: Screen = %+v, %v; want %+v", tt.name, got, err, tt.want)
			}
		}
	})
}

// TestScreenModes proves MODERATION=all holds every comment, =first holds one unless Trusted says true (and an
// error from Trusted is Screen's error), Trusted is asked only under =first and only when no rule held the
// comment first, and a held edit's reason starts with "after an edit, ".
func TestScreenModes(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		errTrust := errors.New("cookie store unavailable")
		const (
			noAnswer = iota // Trusted is nil
			yes
			no
			fails
		)
		allReason := "held: every comment waits for approval (MODERATION=all)"
		firstReason := "held: a first comment from this browser (MODERATION=first)"
		tests := []struct {
			name      string
			mode      moderation.Mode
			trusted   int
			edit      bool
			body      string
			want      moderation.Decision
			wantErr   error
			wantAsked bool
		}{
			{"off publishes, trust not asked", moderation.ModeOff, yes, false, "Hi", moderation.Decision{State: repo.StatePublished}, nil, false},
			{"all holds, trust not asked", moderation.ModeAll, yes, false, "Hi", moderation.Decision{repo.StatePending, allReason, "moderation"}, nil, false},
			{"all holds an edit", moderation.ModeAll, no, true, "Hi", moderation.Decision{repo.StatePending, "after an edit, " + allReason, "moderation"}, nil, false},
			{"first without a record holds", moderation.ModeFirst, noAnswer, false, "Hi", moderation.Decision{repo.StatePending, firstReason, "first"}, nil, false},
			{"first, untrusted browser", moderation.ModeFirst, no, false, "Hi", moderation.Decision{repo.StatePending, firstReason, "first"}, nil, true},
			{"first, trusted browser", moderation.ModeFirst, yes, false, "Hi", moderation.Decision{State: repo.StatePublished}, nil, true},
			{"first, trusted browser's edit", moderation.ModeFirst, yes, true, "Hi", moderation.Decision{State: repo.StatePublished}, nil, true},
			{"first, untrusted browser's edit", moderation.ModeFirst, no, true, "Hi", moderation.Decision{repo.StatePending, "after an edit, " + firstReason, "first"}, nil, true},
			{"first, trust unknown", moderation.ModeFirst, fails, false, "Hi", moderation.Decision{}, errTrust, true},
			{"first, a rule holds before trust is asked", moderation.ModeFirst, yes, false, tooLinky, moderation.Decision{repo.StatePending, "held: 3 links (more than 2)", "links"}, nil, false},
		}
		for _, tt := range tests {
			f.svc.Mode = tt.mode
			asked := false
			c := moderation.Candidate{Email: "ann@example.org",
				Submission: spam.Submission{Name: "Ann", Body: tt.body, FormAge: time.Minute, FormValid: true, Edit: tt.edit}}
			if tt.trusted != noAnswer {
				answer := tt.trusted
				c.Trusted = func(context.Context) (bool, error) {
					asked = true
					if answer == fails {
						return false, errTrust
					}
					return answer == yes, nil
				}
			}
			got, err := f.svc.Screen(ctx, c)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && got != tt.want) {
				t.Errorf("%s: Screen = %+v, %v; want %+v, %v", tt.name, got, err, tt.want, tt.wantErr)
			}
			if asked != tt.wantAsked {
				t.Errorf("%s: Trusted asked = %v, want %v", tt.name, asked, tt.wantAsked)
			}
		}
	})
}

// TestPostStoresTheDecision proves Post stores a comment in the state Screen decided, with its reason, and that
// the post's feed counts only the published ones.
func TestPostStoresTheDecision(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		f.ban(t, moderation.BanRequest{Kind: repo.BanEmail, Value: "troll@example.org"})
		tests := []struct {
			name      string
			mode      moderation.Mode
			input     comment
			want      moderation.Decision
			wantStamp repo.Stamp
		}{
			{"published", moderation.ModeOff, comment{"ann@example.org", "Nice post.", addrC, 0},
				moderation.Decision{State: repo.StatePublished}, repo.Stamp{Seq: 1, Count: 1}},
			{"held by a rule", moderation.ModeOff, comment{"bob@example.org", tooLinky, addrC, 0},
				moderation.Decision{repo.StatePending, "held: 3 links (more than 2)", "links"}, repo.Stamp{Seq: 2, Count: 1}},
			{"held by the mode", moderation.ModeAll, comment{"cy@example.org", "Nice post.", addrC, 0},
				moderation.Decision{repo.StatePending, "held: every comment waits for approval (MODERATION=all)", "moderation"}, repo.Stamp{Seq: 3, Count: 1}},
			{"banned", moderation.ModeOff, comment{"troll@example.org", "Nice post.", addrC, 0},
				moderation.Decision{repo.StateSpam, "banned email: troll@example.org", "banned"}, repo.Stamp{Seq: 4, Count: 1}},
		}
		for _, tt := range tests {
			f.svc.Mode = tt.mode
			cand := candidate(tt.input)
			n := repo.NewComment{PostID: f.post, IPHash: cand.IPHash, NetHash: cand.NetHash,
				Input: repo.CommentInput{Username: cand.Name, Email: cand.Email, Body: cand.Body}}
			posted, st, d, err := f.svc.Post(ctx, n, cand)
			if err != nil || d != tt.want || st != tt.wantStamp {
				t.Errorf("%s: Post = %+v, %+v, %v; want %+v, %+v", tt.name, d, st, err, tt.want, tt.wantStamp)
				continue
			}
			stored := f.find(t, posted.ID)
			if stored.State != tt.want.State || stored.Reason != tt.want.Reason || stored.Body != tt.input.body ||
				stored.IPHash != hasher.Address(addrC) || stored.ModeratedAt != nil {
				t.Errorf("%s: stored %+v; want state %q, reason %q, its text and address, not moderated",
					tt.name, stored, tt.want.State, tt.want.Reason)
			}
		}
		if changes := f.changes(t, 0); len(changes) != len(tests) || changes[0].Kind != repo.ChangeCreated {
			t.Errorf("feed = %+v; want one created change per comment, held or not", changes)
		}
	})
}

// TestEditOwnIsScreenedLikeANewComment proves an author's edit is held again (with "after an edit, ") when the
// rules say so and published when they pass, is not held for the form's timestamp, keeps the earlier text as a
// version, and is held as spam by a ban of the email, of the address the comment came from (also its network)
// or of the address the edit comes from.
func TestEditOwnIsScreenedLikeANewComment(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		c, _ := f.postComment(t, comment{"ann@example.org", "First text.", addrC, 0})
		d, err := f.editOwn(t, c.ID, tooLinky, addrC)
		want := moderation.Decision{repo.StatePending, "after an edit, held: 3 links (more than 2)", "links"}
		if err != nil || d != want {
			t.Fatalf("edit with links: %+v, %v; want %+v", d, err, want)
		}
		if got := f.find(t, c.ID); got.State != repo.StatePending || got.Reason != want.Reason || got.Body != tooLinky ||
			got.EditedAt == nil || got.ModeratedAt != nil {
			t.Fatalf("after an edit held: %+v; want held with the reason, the new text, edited, not moderated", got)
		}
		// The rules pass the next edit, but an edit never releases a held comment: only the owner does.
		d, err = f.editOwn(t, c.ID, "Second text.", addrC)
		if err != nil || d != (moderation.Decision{State: repo.StatePending, Reason: want.Reason, Kind: "still_held"}) {
			t.Fatalf("clean edit of a held comment: %+v, %v; want still held", d, err)
		}
		if got := f.find(t, c.ID); got.State != repo.StatePending || got.Reason != want.Reason || got.Body != "Second text." {
			t.Fatalf("after a clean edit: %+v; want the new text, still held with its reason", got)
		}
		versions, err := f.svc.Versions(ctx, []int64{c.ID})
		if err != nil || len(versions[c.ID]) != 2 || versions[c.ID][0].Body != "First text." || versions[c.ID][1].Body != tooLinky {
			t.Fatalf("versions = %+v, %v; want the two earlier texts, oldest first", versions, err)
		}

		tests := []struct {
			name       string
			ban        moderation.BanRequest
			postedFrom netip.Addr
			editFrom   netip.Addr
			wantReason string
		}{
			{"the comment's own address", moderation.BanRequest{Kind: repo.BanIP, Value: addrA.String()}, addrA, addrC,
				"after an edit, banned address: 203.0.113.7"},
			{"the comment's own network", moderation.BanRequest{Kind: repo.BanIP, Value: "198.51.100.0/24"}, addrB, addrC,
				"after an edit, banned network: 198.51.100.0/24"},
			{"the edit's address", moderation.BanRequest{Kind: repo.BanIP, Value: addrA.String()}, addrC, addrA,
				"after an edit, banned address: 203.0.113.7"},
			{"the author's email", moderation.BanRequest{Kind: repo.BanEmail, Value: "ann@example.org"}, addrC, addrC,
				"after an edit, banned email: ann@example.org"},
		}
		for _, tt := range tests {
			c, _ := f.postComment(t, comment{"ann@example.org", "Before the ban.", tt.postedFrom, 0})
			ban, _ := f.ban(t, tt.ban)
			d, err := f.editOwn(t, c.ID, "After the ban.", tt.editFrom)
			if err != nil || d.State != repo.StateSpam || d.Reason != tt.wantReason {
				t.Errorf("%s: edit = %+v, %v; want spam, %q", tt.name, d, err, tt.wantReason)
			}
			if got := f.find(t, c.ID); got.State != repo.StateSpam || got.Reason != tt.wantReason {
				t.Errorf("%s: stored %+v; want held as spam", tt.name, got)
			}
			if _, err := f.svc.Unban(ctx, repo.ActorOwner, ban.ID); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestAuthorCannotChangeWhatTheOwnerActedOn proves EditOwn and DeleteOwn refuse with repo.ErrModerated, and
// change nothing, once the owner approved a comment, marked it as spam or swept it with a ban.
func TestAuthorCannotChangeWhatTheOwnerActedOn(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		f.svc.Mode = moderation.ModeAll
		tests := []struct {
			name  string
			act   func(id int64) error
			state string
		}{
			{"approved", func(id int64) error { _, err := f.svc.Act(ctx, repo.ActorOwner, "approve", []int64{id}); return err }, repo.StatePublished},
			{"marked as spam", func(id int64) error { _, err := f.svc.Act(ctx, repo.ActorCLI, "spam", []int64{id}); return err }, repo.StateSpam},
			{"swept by a ban", func(id int64) error {
				_, _, err := f.svc.Ban(ctx, repo.ActorOwner, moderation.BanRequest{Kind: repo.BanIP, FromComment: id, RemovePast: true})
				return err
			}, repo.StateSpam},
		}
		for i, tt := range tests {
			from := netip.AddrFrom4([4]byte{192, 0, 2, byte(10 + i)})
			c, _ := f.postComment(t, comment{"ann@example.org", "My text.", from, 0})
			if err := tt.act(c.ID); err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			acted := f.find(t, c.ID)
			if acted.State != tt.state || acted.ModeratedAt == nil {
				t.Fatalf("%s: %+v; want %s and moderated", tt.name, acted, tt.state)
			}
			if _, err := f.editOwn(t, c.ID, "New text.", from); !errors.Is(err, repo.ErrModerated) {
				t.Errorf("%s: EditOwn error = %v, want ErrModerated", tt.name, err)
			}
			if _, err := f.svc.DeleteOwn(ctx, c.ID); !errors.Is(err, repo.ErrModerated) {
				t.Errorf("%s: DeleteOwn error = %v, want ErrModerated", tt.name, err)
			}
			if got := f.find(t, c.ID); got.State != tt.state || got.Body != "My text." || got.EditedAt != nil {
				t.Errorf("%s: after refusals %+v; want it unchanged", tt.name, got)
			}
		}
	})
}

// TestAuthorCannotChangeAnAnsweredComment proves EditOwn and DeleteOwn refuse with repo.ErrHasReplies once a
// reply is shown or waiting, and allow the change again once the owner removed the only reply.
func TestAuthorCannotChangeAnAnsweredComment(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		for _, mode := range []moderation.Mode{moderation.ModeOff, moderation.ModeAll} {
			f.svc.Mode = moderation.ModeOff
			parent, _ := f.postComment(t, comment{"ann@example.org", "Question?", addrC, 0})
			f.svc.Mode = mode
			reply, _ := f.postComment(t, comment{"bob@example.org", "Answer.", addrB, parent.ID})
			if _, err := f.editOwn(t, parent.ID, "Edited question?", addrC); !errors.Is(err, repo.ErrHasReplies) {
				t.Errorf("reply %s: EditOwn error = %v, want ErrHasReplies", reply.State, err)
			}
			if _, err := f.svc.DeleteOwn(ctx, parent.ID); !errors.Is(err, repo.ErrHasReplies) {
				t.Errorf("reply %s: DeleteOwn error = %v, want ErrHasReplies", reply.State, err)
			}
			if got := f.find(t, parent.ID); got.State != repo.StatePublished || got.Body != "Question?" {
				t.Errorf("reply %s: parent %+v; want it unchanged", reply.State, got)
			}
			if _, err := f.svc.Act(ctx, repo.ActorOwner, "delete", []int64{reply.ID}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.editOwn(t, parent.ID, "Edited question?", addrC); err != nil {
				t.Errorf("reply %s removed: EditOwn error = %v, want the edit allowed", reply.State, err)
			}
		}
	})
}

// TestDeleteOwn proves an author's delete moves the comment to deleted with its reason, records the author (not
// the owner) in the audit trail, and leaves the comment unmoderated.
func TestDeleteOwn(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		c, _ := f.postComment(t, comment{"ann@example.org", "Oops.", addrC, 0})
		moved, err := f.svc.DeleteOwn(ctx, c.ID)
		if err != nil || moved.ID != c.ID || moved.From != repo.StatePublished || moved.To != repo.StateDeleted ||
			moved.Stamp != (repo.Stamp{Seq: 2, Count: 0}) {
			t.Fatalf("DeleteOwn = %+v, %v; want published -> deleted at seq 2, count 0", moved, err)
		}
		if got := f.find(t, c.ID); got.State != repo.StateDeleted || got.Reason != "deleted by its author" || got.ModeratedAt != nil {
			t.Fatalf("stored %+v; want deleted by its author, not moderated", got)
		}
		if e := f.lastAudit(t); e.Actor != repo.ActorAuthor || e.Action != "delete-own" || e.Previous != itoa(c.ID)+":published" {
			t.Fatalf("audit entry %+v; want the author's delete-own from published", e)
		}
	})
}

// TestActMovesStatesAndRecordsTheTrail proves approve, spam, delete and restore move a comment to their state
// with their reason, mark it moderated, write the change to the post's feed (which every instance reads) and
// record the actor, action and previous state; an action on a comment already in that state moves nothing.
func TestActMovesStatesAndRecordsTheTrail(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		f.svc.Mode = moderation.ModeAll
		c, _ := f.postComment(t, comment{"ann@example.org", "Held text.", addrC, 0})
		tests := []struct {
			action, actor, from, to, reason string
			wantCount                       int
		}{
			{"approve", repo.ActorOwner, repo.StatePending, repo.StatePublished, "", 1},
			{"spam", repo.ActorCLI, repo.StatePublished, repo.StateSpam, "marked as spam by the owner", 0},
			{"delete", repo.ActorOwner, repo.StateSpam, repo.StateDeleted, "deleted by the owner", 0},
			{"restore", repo.ActorOwner, repo.StateDeleted, repo.StatePublished, "", 1},
		}
		for i, tt := range tests {
			moved, err := f.svc.Act(ctx, tt.actor, tt.action, []int64{c.ID})
			seq := int64(i + 2)
			want := repo.Moved{ID: c.ID, PostID: f.post, From: tt.from, To: tt.to, Stamp: repo.Stamp{Seq: seq, Count: tt.wantCount}}
			if err != nil || len(moved) != 1 || moved[0] != want {
				t.Fatalf("%s: Act = %+v, %v; want %+v", tt.action, moved, err, want)
			}
			if got := f.find(t, c.ID); got.State != tt.to || got.Reason != tt.reason || got.ModeratedAt == nil {
				t.Errorf("%s: stored %+v; want %s, reason %q, moderated", tt.action, got, tt.to, tt.reason)
			}
			if ch := f.changes(t, seq-1); len(ch) != 1 || ch[0].Seq != seq || ch[0].CommentID != c.ID || ch[0].Kind != repo.ChangeState {
				t.Errorf("%s: feed after %d = %+v; want the state change at %d", tt.action, seq-1, ch, seq)
			}
			e := f.lastAudit(t)
			if e.Actor != tt.actor || e.Action != tt.action || e.CommentIDs != itoa(c.ID) || e.Previous != itoa(c.ID)+":"+tt.from {
				t.Errorf("%s: audit entry %+v", tt.action, e)
			}
		}
		last := int64(len(tests) + 1)
		if moved, err := f.svc.Act(ctx, repo.ActorOwner, "approve", []int64{c.ID, 999999}); err != nil || len(moved) != 0 || len(f.changes(t, last)) != 0 {
			t.Errorf("approving a published comment and an unknown id: %+v, %v; want nothing moved or recorded in the feed", moved, err)
		}
	})
}

// TestActRefusesAnUnknownAction proves an action that is not approve, spam, delete or restore is
// ErrUnknownAction and changes nothing, in the comment, the feed or the audit trail.
func TestActRefusesAnUnknownAction(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		f.svc.Mode = moderation.ModeAll
		c, _ := f.postComment(t, comment{"ann@example.org", "Held text.", addrC, 0})
		before := f.auditCount(t)
		for _, action := range []string{"publish", "", "Approve", "purge"} {
			moved, err := f.svc.Act(ctx, repo.ActorOwner, action, []int64{c.ID})
			if !errors.Is(err, moderation.ErrUnknownAction) || moved != nil {
				t.Errorf("Act(%q) = %+v, %v; want ErrUnknownAction", action, moved, err)
			}
		}
		if got := f.find(t, c.ID); got.State != repo.StatePending || got.ModeratedAt != nil {
			t.Errorf("after unknown actions: %+v; want it still pending and unmoderated", got)
		}
		if after, changes := f.auditCount(t), f.changes(t, 1); after != before || len(changes) != 0 {
			t.Errorf("audit entries %d -> %d, feed after the post %+v; want nothing recorded", before, after, changes)
		}
	})
}

// TestBanByKind proves a ban by email, domain, address or network stores the normalized value (a keyed hash for
// addresses) and the words the owner reads, records it in the audit trail, and refuses a second identical ban.
func TestBanByKind(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		tests := []struct {
			name  string
			input moderation.BanRequest
			want  repo.Ban
		}{
			{"email, normalized", moderation.BanRequest{Kind: repo.BanEmail, Value: "  Troll@Example.ORG "},
				repo.Ban{Kind: repo.BanEmail, Value: "troll@example.org", Label: "troll@example.org"}},
			{"domain, with its @", moderation.BanRequest{Kind: repo.BanDomain, Value: "@Spam.Example"},
				repo.Ban{Kind: repo.BanDomain, Value: "spam.example", Label: "spam.example"}},
			{"one address", moderation.BanRequest{Kind: repo.BanIP, Value: " 203.0.113.7 "},
				repo.Ban{Kind: repo.BanIP, Value: hasher.Address(addrA), Label: "203.0.113.7"}},
			{"an IPv4 /24, from any address in it", moderation.BanRequest{Kind: repo.BanIP, Value: "198.51.100.77/24"},
				repo.Ban{Kind: repo.BanNet, Value: hasher.Net(addrB), Label: "198.51.100.0/24"}},
			{"an IPv6 /64", moderation.BanRequest{Kind: repo.BanIP, Value: "2001:db8:1:2::/64"},
				repo.Ban{Kind: repo.BanNet, Value: hasher.Net(addrV6), Label: "2001:db8:1:2::/64"}},
			{"an IPv4-mapped address", moderation.BanRequest{Kind: repo.BanIP, Value: "::ffff:192.0.2.50"},
				repo.Ban{Kind: repo.BanIP, Value: hasher.Address(addrC), Label: "192.0.2.50"}},
		}
		for _, tt := range tests {
			ban, removed, err := f.svc.Ban(ctx, repo.ActorOwner, tt.input)
			if err != nil || len(removed) != 0 || ban.ID == 0 || ban.Kind != tt.want.Kind || ban.Value != tt.want.Value || ban.Label != tt.want.Label {
				t.Errorf("%s: Ban = %+v, %+v, %v; want %+v", tt.name, ban, removed, err, tt.want)
				continue
			}
			if e := f.lastAudit(t); e.Actor != repo.ActorOwner || e.Action != "ban" || e.Detail != tt.want.Kind+" "+tt.want.Label {
				t.Errorf("%s: audit entry %+v", tt.name, e)
			}
		}
		if bans, err := f.svc.Bans(ctx); err != nil || len(bans) != len(tests) {
			t.Errorf("Bans = %d, %v; want %d", len(bans), err, len(tests))
		}
		if _, _, err := f.svc.Ban(ctx, repo.ActorOwner, tests[0].input); !errors.Is(err, repo.ErrExists) {
			t.Errorf("the same ban again: %v, want repo.ErrExists", err)
		}
	})
}

// TestBanFromComment proves a ban taken from a comment bans its author's email, its address or its network.
func TestBanFromComment(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		c, _ := f.postComment(t, comment{"Ann@Example.org", "Hello.", addrB, 0})
		label := "of comment " + itoa(c.ID)
		tests := []struct {
			kind string
			want repo.Ban
		}{
			{repo.BanEmail, repo.Ban{Kind: repo.BanEmail, Value: "ann@example.org", Label: "ann@example.org"}},
			{repo.BanIP, repo.Ban{Kind: repo.BanIP, Value: hasher.Address(addrB), Label: "the address " + label}},
			{repo.BanNet, repo.Ban{Kind: repo.BanNet, Value: hasher.Net(addrB), Label: "the network " + label}},
		}
		for _, tt := range tests {
			ban, _, err := f.svc.Ban(ctx, repo.ActorOwner, moderation.BanRequest{Kind: tt.kind, FromComment: c.ID})
			if err != nil || ban.Kind != tt.want.Kind || ban.Value != tt.want.Value || ban.Label != tt.want.Label {
				t.Errorf("ban %s from comment: %+v, %v; want %+v", tt.kind, ban, err, tt.want)
			}
		}
		if got := f.find(t, c.ID); got.State != repo.StatePublished {
			t.Errorf("without RemovePast the comment moved: %+v", got)
		}
	})
}

// TestBadBans proves a ban that cannot be carried out is ErrBadBan with a sentence saying why (a missing comment
// is repo.ErrNotFound), and stores nothing.
func TestBadBans(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		imported, _ := f.postComment(t, comment{"ann@example.org", "From an import.", noAddr, 0})
		tests := []struct {
			name    string
			input   moderation.BanRequest
			wantMsg string
		}{
			{"not an email", moderation.BanRequest{Kind: repo.BanEmail, Value: "troll"}, "That is not a valid email address."},
			{"empty email", moderation.BanRequest{Kind: repo.BanEmail, Value: "  "}, "That is not a valid email address."},
			{"an email as a domain", moderation.BanRequest{Kind: repo.BanDomain, Value: "troll@spam.example"}, "That is not an email domain (like example.com)."},
			{"empty domain", moderation.BanRequest{Kind: repo.BanDomain, Value: "@"}, "That is not an email domain (like example.com)."},
			{"domain without a dot", moderation.BanRequest{Kind: repo.BanDomain, Value: "localhost"}, "That is not an email domain (like example.com)."},
			{"not an address", moderation.BanRequest{Kind: repo.BanIP, Value: "nonsense"}, `"nonsense" is not an IP address or prefix`},
			{"a network too wide", moderation.BanRequest{Kind: repo.BanIP, Value: "10.0.0.0/16"},
				"10.0.0.0/16: only a single address, an IPv4 /24 or an IPv6 /64 can be banned " +
					"(comments keep hashes of their address and of its /24 or /64, never the address itself)"},
			{"unknown kind", moderation.BanRequest{Kind: "name", Value: "Troll"}, "A ban is by email, domain or ip."},
			{"a comment's domain", moderation.BanRequest{Kind: repo.BanDomain, FromComment: imported.ID},
				"A comment's email, address (ip) or network (net) can be banned."},
			{"address of a comment without one", moderation.BanRequest{Kind: repo.BanIP, FromComment: imported.ID},
				"That comment has no address on record."},
			{"network of a comment without one", moderation.BanRequest{Kind: repo.BanNet, FromComment: imported.ID},
				"That comment has no address on record."},
		}
		for _, tt := range tests {
			_, _, err := f.svc.Ban(ctx, repo.ActorOwner, tt.input)
			var bad moderation.ErrBadBan
			if !errors.As(err, &bad) || bad.Msg != tt.wantMsg || err.Error() != tt.wantMsg {
				t.Errorf("%s: error %v; want ErrBadBan %q", tt.name, err, tt.wantMsg)
			}
		}
		if _, _, err := f.svc.Ban(ctx, repo.ActorOwner, moderation.BanRequest{Kind: repo.BanEmail, FromComment: 999999}); !errors.Is(err, repo.ErrNotFound) {
			t.Errorf("ban from a missing comment: %v, want repo.ErrNotFound", err)
		}
		if bans, err := f.svc.Bans(ctx); err != nil || len(bans) != 0 {
			t.Errorf("bans after refusals: %+v, %v; want none", bans, err)
		}
	})
}

// TestBanRemovePast proves RemovePast marks as spam, with the ban's words, the published and pending comments
// the ban covers and nothing else, writes the sweep to the feed and the audit trail, and without RemovePast
// nothing moves.
func TestBanRemovePast(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		troll, _ := f.postComment(t, comment{"troll@example.org", "One.", addrA, 0})
		f.svc.Mode = moderation.ModeAll
		trollHeld, _ := f.postComment(t, comment{"troll@example.org", "Two.", addrA, 0})
		f.svc.Mode = moderation.ModeOff
		trollGone, _ := f.postComment(t, comment{"troll@example.org", "Three.", addrA, 0})
		if _, err := f.svc.Act(ctx, repo.ActorOwner, "delete", []int64{trollGone.ID}); err != nil {
			t.Fatal(err)
		}
		other, _ := f.postComment(t, comment{"ann@example.org", "Kind words.", addrC, 0})
		neighbour, _ := f.postComment(t, comment{"bob@example.org", "Same network.", addrB, 0})
		neighbour2, _ := f.postComment(t, comment{"cy@example.org", "Same network too.", addrB2, 0})

		emailBan, removed := f.ban(t, moderation.BanRequest{Kind: repo.BanEmail, Value: "troll@example.org"})
		if len(removed) != 0 {
			t.Fatalf("a ban without RemovePast removed %+v", removed)
		}
		if got := f.find(t, troll.ID); got.State != repo.StatePublished {
			t.Fatalf("a ban without RemovePast moved %+v", got)
		}

		seq := int64(len(f.changes(t, 0)))
		ban, removed := f.ban(t, moderation.BanRequest{Kind: repo.BanNet, FromComment: neighbour.ID, RemovePast: true})
		if got, want := movedIDs(removed), []int64{neighbour.ID, neighbour2.ID}; !slices.Equal(got, want) {
			t.Fatalf("network sweep removed %v; want the comments of 198.51.100.0/24, %v", got, want)
		}
		if changes := f.changes(t, seq); len(changes) != 2 {
			t.Errorf("feed after the sweep: %+v; want its 2 state changes", changes)
		}
		reason := "banned network: " + ban.Label
		for _, id := range []int64{neighbour.ID, neighbour2.ID} {
			if got := f.find(t, id); got.State != repo.StateSpam || got.Reason != reason || got.ModeratedAt == nil {
				t.Errorf("swept comment %+v; want spam, %q, moderated", got, reason)
			}
		}
		if e := f.lastAudit(t); e.Action != "ban-remove-past" || e.Actor != repo.ActorOwner || e.Detail != "net "+ban.Label {
			t.Errorf("sweep audit entry %+v", e)
		}

		// The same email again, this time sweeping: only its published and pending comments move.
		if _, err := f.svc.Unban(ctx, repo.ActorOwner, emailBan.ID); err != nil {
			t.Fatal(err)
		}
		_, removed = f.ban(t, moderation.BanRequest{Kind: repo.BanEmail, Value: "troll@example.org", RemovePast: true})
		if got, want := movedIDs(removed), []int64{troll.ID, trollHeld.ID}; !slices.Equal(got, want) {
			t.Fatalf("email sweep removed %v; want %v (one published, one pending)", got, want)
		}
		for _, m := range removed {
			if m.To != repo.StateSpam || (m.ID == trollHeld.ID) != (m.From == repo.StatePending) {
				t.Errorf("swept %+v; want published or pending to spam", m)
			}
		}
		wantStates := map[int64]string{troll.ID: repo.StateSpam, trollHeld.ID: repo.StateSpam, trollGone.ID: repo.StateDeleted,
			other.ID: repo.StatePublished}
		for id, want := range wantStates {
			if got := f.find(t, id); got.State != want {
				t.Errorf("comment %d (%q) is %s, want %s", id, got.Body, got.State, want)
			}
		}
		if got := f.find(t, trollHeld.ID); got.Reason != "banned email: troll@example.org" {
			t.Errorf("swept reason %q", got.Reason)
		}
	})
}

// mustBans lists the bans, newest first.
func (f *fixture) mustBans(t *testing.T) []repo.Ban {
	t.Helper()
	bans, err := f.svc.Bans(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return bans
}

// TestUnban proves removing a ban lets the next comment through, is recorded, and an unknown ban is
// repo.ErrNotFound.
func TestUnban(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		ban, _ := f.ban(t, moderation.BanRequest{Kind: repo.BanDomain, Value: "spam.example"})
		c := candidate(comment{"x@spam.example", "Hello.", addrC, 0})
		if d, err := f.svc.Screen(ctx, c); err != nil || d.State != repo.StateSpam {
			t.Fatalf("banned domain: %+v, %v", d, err)
		}
		removed, err := f.svc.Unban(ctx, repo.ActorCLI, ban.ID)
		if err != nil || removed.ID != ban.ID || removed.Value != "spam.example" {
			t.Fatalf("Unban = %+v, %v", removed, err)
		}
		if d, err := f.svc.Screen(ctx, c); err != nil || d.State != repo.StatePublished {
			t.Errorf("after unban: %+v, %v; want published", d, err)
		}
		if bans := f.mustBans(t); len(bans) != 0 {
			t.Errorf("bans after unban: %+v", bans)
		}
		if e := f.lastAudit(t); e.Actor != repo.ActorCLI || e.Action != "unban" || e.Detail != "domain spam.example" {
			t.Errorf("audit entry %+v", e)
		}
		if _, err := f.svc.Unban(ctx, repo.ActorCLI, ban.ID); !errors.Is(err, repo.ErrNotFound) {
			t.Errorf("unban twice: %v, want repo.ErrNotFound", err)
		}
	})
}

// TestPurgeRemovesOnlyOldDeletedComments proves Purge deletes for good the comments deleted longer ago than
// asked, keeps those deleted since and every comment in another state, and records what it did.
func TestPurgeRemovesOnlyOldDeletedComments(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		oldDeleted, _ := f.postComment(t, comment{"ann@example.org", "Old, deleted.", addrC, 0})
		oldSpam, _ := f.postComment(t, comment{"bob@example.org", "Old, spam.", addrC, 0})
		kept, _ := f.postComment(t, comment{"cy@example.org", "Published.", addrC, 0})
		newDeleted, _ := f.postComment(t, comment{"dee@example.org", "New, deleted.", addrC, 0})
		if _, err := f.svc.Act(ctx, repo.ActorOwner, "delete", []int64{oldDeleted.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Act(ctx, repo.ActorOwner, "spam", []int64{oldSpam.ID}); err != nil {
			t.Fatal(err)
		}
		if n, err := f.svc.Purge(ctx, repo.ActorServer, time.Hour); err != nil || n != 0 {
			t.Fatalf("purge of comments deleted within the hour: %d, %v; want 0", n, err)
		}
		// The cutoff must fall between two deletions: wait until the first is 2 s old, then delete the second.
		first := *f.find(t, oldDeleted.ID).StateAt
		for time.Since(first) < 2*time.Second {
			time.Sleep(50 * time.Millisecond)
		}
		if _, err := f.svc.DeleteOwn(ctx, newDeleted.ID); err != nil {
			t.Fatal(err)
		}
		after := time.Since(first) - time.Second // the cutoff is 1 s after the first deletion, 1 s before the second
		n, err := f.svc.Purge(ctx, repo.ActorServer, after)
		if err != nil || n != 1 {
			t.Fatalf("Purge = %d, %v; want 1", n, err)
		}
		if _, err := f.svc.Comment(ctx, oldDeleted.ID); !errors.Is(err, repo.ErrNotFound) {
			t.Errorf("the old deleted comment: %v, want repo.ErrNotFound", err)
		}
		for _, id := range []int64{oldSpam.ID, kept.ID, newDeleted.ID} {
			f.find(t, id)
		}
		e := f.lastAudit(t)
		if e.Actor != repo.ActorServer || e.Action != "purge" || e.CommentIDs != itoa(oldDeleted.ID) ||
			e.Detail != "deleted more than "+after.String()+" ago" {
			t.Errorf("audit entry %+v", e)
		}
	})
}

// TestEditOwnDoesNotBringBackADeletedComment proves an author's edit cannot undo a delete: the edit handler
// checks the state outside the transaction, so an edit racing its author's delete (two tabs) reaches EditOwn with
// the comment as it was before.
func TestEditOwnDoesNotBringBackADeletedComment(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		c, _ := f.postComment(t, comment{"ann@example.org", "Regretted.", addrC, 0})
		before := f.find(t, c.ID) // what the edit handler read before the delete committed
		if _, err := f.svc.DeleteOwn(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		_, _, _, err := f.svc.EditOwn(ctx, moderation.OwnEdit{Comment: before, Body: "Back again.",
			IPHash: hasher.Address(addrC), NetHash: hasher.Net(addrC)})
		if err == nil {
			t.Errorf("EditOwn of a deleted comment succeeded; want a refusal")
		}
		if got := f.find(t, c.ID); got.State != repo.StateDeleted || got.Body != "Regretted." {
			t.Errorf("after an edit of a deleted comment: %s %q; want it still deleted with its text", got.State, got.Body)
		}
	})
}

// TestEditOwnKeepsTheTimestampHold proves a comment held because its form's timestamp was missing (posted by a
// program) stays held when its author edits it: an edit carries no timestamp, so the timestamp rule cannot pass
// it, and the program that posted holds the signed cookie that allows the edit.
func TestEditOwnKeepsTheTimestampHold(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		cand := candidate(comment{"bot@example.org", "Totally human text.", addrC, 0})
		cand.FormValid, cand.FormAge = false, 0
		posted, _, d, err := f.svc.Post(ctx, repo.NewComment{PostID: f.post, IPHash: cand.IPHash, NetHash: cand.NetHash,
			Input: repo.CommentInput{Username: cand.Name, Email: cand.Email, Body: cand.Body}}, cand)
		if err != nil || d.Kind != "no_timestamp" {
			t.Fatalf("post without a timestamp: %+v, %v; want held", d, err)
		}
		if _, err := f.editOwn(t, posted.ID, "Totally human text.", addrC); err != nil {
			t.Fatal(err)
		}
		if got := f.find(t, posted.ID); got.State != repo.StatePending {
			t.Errorf("after its author's edit the comment held for its timestamp is %s; want still pending", got.State)
		}
	})
}

// TestDomainBanSweepsOnlyThatDomain proves RemovePast for a domain ban marks as spam only comments whose email
// is at that domain, as new comments are matched.
func TestDomainBanSweepsOnlyThatDomain(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		innocent, _ := f.postComment(t, comment{"ann@badxexample.com", "Innocent.", addrC, 0})
		if _, removed := f.ban(t, moderation.BanRequest{Kind: repo.BanDomain, Value: "bad_example.com", RemovePast: true}); len(removed) != 0 {
			t.Errorf("the sweep of bad_example.com removed %+v; want nothing", removed)
		}
		if d, err := f.svc.Screen(ctx, candidate(comment{"ann@badxexample.com", "Again.", addrC, 0})); err != nil || d.State != repo.StatePublished {
			t.Fatalf("a new comment of badxexample.com: %+v, %v; the ban does not cover it", d, err)
		}
		if got := f.find(t, innocent.ID); got.State != repo.StatePublished {
			t.Errorf("the comment of ann@badxexample.com is %s (%q); want published", got.State, got.Reason)
		}
	})
}
