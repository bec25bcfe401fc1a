package people_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/go-rel/rel/where"

	"blog/database"
	"blog/internal/dbtest"
	"blog/moderation"
	"blog/people"
	"blog/repo"
	"blog/repo/outbox"
	"blog/repo/posts"
	"blog/repo/review"
)

// mailer records the addresses links were mailed to.
type mailer struct {
	mu   sync.Mutex
	sent []string
}

func (m *mailer) MailDataLink(_ context.Context, email string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, email)
	return nil
}

func (m *mailer) count() int { m.mu.Lock(); defer m.mu.Unlock(); return len(m.sent) }

type fixture struct {
	db    *database.DB
	store *review.Comments
	svc   *people.Service
	mail  *mailer
	post  int64
}

func newFixture(t *testing.T, db *database.DB) *fixture {
	ctx := context.Background()
	ids, err := posts.NewPosts(db).SyncPosts(ctx, []posts.PostRef{{Slug: "hello", Title: "Hello"}})
	if err != nil {
		t.Fatal(err)
	}
	store := review.NewComments(db)
	m := &mailer{}
	return &fixture{db: db, store: store, mail: m, post: ids["hello"], svc: &people.Service{
		Moderation: &moderation.Service{Comments: store, BanStore: review.NewBans(db)},
		Mailboxes:  outbox.NewNotifications(db), Mailer: m, Key: []byte("people key people key people key")}}
}

func (f *fixture) comment(t *testing.T, name, email, body string, parent int64, state string) repo.Comment {
	t.Helper()
	if state == "" {
		state = repo.StatePublished
	}
	c, _, err := f.store.CreateComment(context.Background(), repo.NewComment{PostID: f.post, ParentID: parent, State: state,
		IPHash: "iphash-" + name, NetHash: "nethash-" + name, Notify: true,
		Input: repo.CommentInput{Username: name, Email: email, Body: body}})
	if err != nil {
		t.Fatalf("comment %q: %v", body, err)
	}
	return c
}

// TestEraseRemovesEverythingHeldAndReachesTheFeed erases a commenter with a conversation they started (answered),
// a reply of theirs that someone answered by name, an edited comment, a held one and one already deleted, and
// checks what is left, what the feed says and what the audit trail says.
func TestEraseRemovesEverythingHeldAndReachesTheFeed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		top := f.comment(t, "Ada", "ada@example.com", "Ada starts a conversation", 0, "")
		bobReply := f.comment(t, "Bob", "bob@example.com", "Bob answers Ada", top.ID, "")
		adaReply := f.comment(t, "Ada", "ada@example.com", "Ada answers Bob", top.ID, "")
		carl := f.comment(t, "Carl", "carl@example.com", "Carl answers Ada's reply", adaReply.ID, "")
		edited := f.comment(t, "Ada", "ada@example.com", "first words", 0, "")
		if _, _, err := f.store.EditComment(ctx, edited.ID, repo.Edit{Body: "second words", Format: repo.FormatMarkdown}); err != nil {
			t.Fatal(err)
		}
		held := f.comment(t, "Ada", "ada@example.com", "held words", 0, repo.StatePending)
		gone := f.comment(t, "Ada", "ada@example.com", "deleted words", 0, "")
		if _, err := f.store.AuthorDelete(ctx, gone.ID); err != nil {
			t.Fatal(err)
		}
		notes := outbox.NewNotifications(db)
		if err := notes.Confirm(ctx, "ada+blog@example.com"); err != nil {
			t.Fatal(err)
		}
		if err := notes.Enqueue(ctx, outbox.Message{Kind: outbox.Mail, Topic: "reply", Dedupe: "reply:x", Recipient: "ada@example.com", Payload: "{}", CommentID: bobReply.ID}); err != nil {
			t.Fatal(err)
		}
		if err := notes.Enqueue(ctx, outbox.Message{Kind: outbox.Mail, Topic: "held", Dedupe: "held:x", Recipient: "owner@example.com", Payload: "{}", CommentID: held.ID}); err != nil {
			t.Fatal(err)
		}
		if err := notes.Enqueue(ctx, outbox.Message{Kind: outbox.Mail, Topic: "new", Dedupe: "new:bob", Recipient: "owner@example.com", Payload: "{}", CommentID: bobReply.ID}); err != nil {
			t.Fatal(err)
		}

		h, err := f.svc.Held(ctx, "ada@example.com")
		if err != nil {
			t.Fatal(err)
		}
		e := h.Export()
		if e.Commenter == nil || len(e.Comments) != 5 || e.Mail.Subscription == nil || e.Mail.Subscription.ConfirmedAt == nil || len(e.Mail.Messages) != 1 {
			t.Fatalf("export = %+v; want the user, 5 comments, the confirmed subscription and one message", e)
		}
		var versions int
		for _, c := range e.Comments {
			versions += len(c.Versions)
			if c.AddressHash != "iphash-Ada" {
				t.Errorf("comment %d exported without its address hash", c.ID)
			}
		}
		if versions != 1 || !strings.Contains(string(e.JSON()), "first words") || !strings.Contains(string(e.JSON()), "held words") {
			t.Fatalf("export misses the earlier text or the held comment:\n%s", e.JSON())
		}

		before, _ := f.store.FindChanges(ctx, f.post, 0, 1000)
		res, err := f.svc.Erase(ctx, repo.ActorAuthor, "ADA@example.com ")
		if err != nil {
			t.Fatal(err)
		}
		if res.Comments != 5 || !res.User || res.Messages != 3 {
			t.Fatalf("erase = %+v; want 5 comments, the user, and 3 mail rows (subscription, message to Ada, message about the held comment)", res)
		}
		after, _ := f.store.FindChanges(ctx, f.post, before[len(before)-1].Seq, 1000)
		changed := map[int64]string{}
		for _, ch := range after {
			changed[ch.CommentID] = ch.Kind
		}
		for _, id := range []int64{top.ID, adaReply.ID, edited.ID, held.ID, gone.ID} {
			if changed[id] != repo.ChangeState {
				t.Errorf("comment %d: no state change in the feed after the erasure (%v)", id, changed)
			}
		}
		if changed[carl.ID] != repo.ChangeEdited {
			t.Errorf("Carl's reply, which named Ada, was not rendered again: %v", changed)
		}
		if _, ok := changed[bobReply.ID]; ok {
			t.Errorf("Bob's reply changed: %v", changed)
		}
		if after[len(after)-1].Count != 2 {
			t.Errorf("published count after the erasure = %d; want 2 (Bob's and Carl's)", after[len(after)-1].Count)
		}

		all, err := f.store.FindCommentsByID(ctx, []int64{top.ID, adaReply.ID, edited.ID, held.ID, gone.ID})
		if err != nil || len(all) != 5 {
			t.Fatalf("erased rows: %d, %v", len(all), err)
		}
		for _, c := range all {
			if c.State != repo.StateDeleted || c.Body != "" || c.HTML != "" || c.Username != "" || c.IPHash != "" || c.NetHash != "" || c.Notify || c.User.Email != review.ErasedEmail {
				t.Errorf("comment %d keeps something: %+v", c.ID, c)
			}
			if c.ID == top.ID && !c.Placeholder() {
				t.Errorf("the answered conversation is not kept as \"Comment removed\": %+v", c)
			}
		}
		if n, _ := db.Repo().Count(ctx, "users", where.Eq("email", "ada@example.com")); n != 0 {
			t.Error("the user row is still there")
		}
		if vs, _ := f.store.Versions(ctx, []int64{edited.ID}); len(vs[edited.ID]) != 0 {
			t.Error("earlier versions are still there")
		}
		if h, _ := f.svc.Held(ctx, "ada@example.com"); !h.Empty() {
			t.Errorf("still held after the erasure: %+v", h)
		}
		bob, _ := f.store.FindComment(ctx, bobReply.ID)
		if bob.Body != "Bob answers Ada" || bob.User.Email != "bob@example.com" {
			t.Errorf("Bob's reply was touched: %+v", bob)
		}
		if n, _ := db.Repo().Count(ctx, "outbox", where.Eq("dedupe", "new:bob")); n != 1 {
			t.Error("the owner's message about Bob's comment went too")
		}
		entries, _ := repo.NewAudit(db).List(ctx, 0, 50)
		var erase *repo.AuditEntry
		for i, en := range entries {
			if strings.Contains(strings.ToLower(en.Detail+en.CommentIDs+en.Previous+en.Action), "ada") {
				t.Errorf("the audit trail names the address: %+v", en)
			}
			if en.Action == "erase" {
				erase = &entries[i]
			}
		}
		if erase == nil || erase.Actor != repo.ActorAuthor || !strings.Contains(erase.Detail, "5 comment") {
			t.Errorf("no audit entry for the erasure: %+v", entries)
		}

		// Erasing again is harmless, and an address with nothing held changes nothing.
		if res, err := f.svc.Erase(ctx, repo.ActorCLI, "ada@example.com"); err != nil || res != (people.Result{}) {
			t.Errorf("second erasure = %+v, %v", res, err)
		}
	})
}

// TestRequestsLookAlikeAndAreBounded: a request for an address with nothing held answers exactly as one for a
// commenter's (only the commenter's mailbox gets mail), every request counts against the client's bound, and a
// mailbox gets at most its daily links however many clients ask.
func TestRequestsLookAlikeAndAreBounded(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		f.comment(t, "Ada", "ada@example.com", "hello", 0, "")
		if err := f.svc.Request(ctx, "nobody@example.com", "ip1", "net1"); err != nil {
			t.Fatalf("unknown address: %v", err)
		}
		if err := f.svc.Request(ctx, "ada@example.com", "ip1", "net1"); err != nil {
			t.Fatalf("known address: %v", err)
		}
		if f.mail.count() != 1 || f.mail.sent[0] != "ada@example.com" {
			t.Fatalf("mailed %v; want only Ada", f.mail.sent)
		}
		for i := 0; i < people.Bounds.Address-2; i++ {
			if err := f.svc.Request(ctx, "stranger"+string(rune('a'+i))+"@example.com", "ip1", "net1"); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.svc.Request(ctx, "ada@example.com", "ip1", "net1"); !errors.Is(err, people.ErrTooMany) {
			t.Fatalf("request past the address bound: %v", err)
		}
		// Other clients of the same network share its bound.
		for i := people.Bounds.Address; i < people.Bounds.Network; i++ {
			if err := f.svc.Request(ctx, "x@example.com", "ip-other-"+string(rune('a'+i)), "net1"); err != nil && !errors.Is(err, people.ErrTooMany) {
				t.Fatal(err)
			}
		}
		if err := f.svc.Request(ctx, "ada@example.com", "ip-fresh", "net1"); !errors.Is(err, people.ErrTooMany) {
			t.Fatalf("request past the network bound: %v", err)
		}
		// A mailbox gets at most Bounds.Mailbox links a day, and the clients are not told.
		for i := 0; i < 5; i++ {
			if err := f.svc.Request(ctx, "ada@example.com", "ip-m"+string(rune('a'+i)), "net-m"+string(rune('a'+i))); err != nil {
				t.Fatal(err)
			}
		}
		if f.mail.count() != people.Bounds.Mailbox {
			t.Fatalf("%d links mailed to one mailbox; want %d", f.mail.count(), people.Bounds.Mailbox)
		}
	})
}
