package moderation_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"blog/moderation"
	"blog/repo"
)

// TestOwnerCommentsPassAsTheOwner posts the same text twice, once with the owner's session on the context and
// once without: banned, linky and under MODERATION=all, the reader's is held as spam; the owner's is published,
// marked and audited.
func TestOwnerCommentsPassAsTheOwner(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		f.svc.Mode = moderation.ModeAll
		f.ban(t, moderation.BanRequest{Kind: repo.BanEmail, Value: "me@example.com"})
		c := comment{email: "me@example.com", body: tooLinky, from: addrA}
		reader, d := f.postComment(t, c)
		if reader.State != repo.StateSpam || reader.ByOwner || d.Kind != "banned" {
			t.Fatalf("reader: state %q, by owner %v, kind %q", reader.State, reader.ByOwner, d.Kind)
		}
		cand := candidate(c)
		n := repo.NewComment{PostID: f.post, Input: repo.CommentInput{Username: "Me", Email: cand.Email, Body: cand.Body},
			IPHash: cand.IPHash, NetHash: cand.NetHash}
		posted, _, d, err := f.svc.Post(moderation.AsOwner(ctx), n, cand)
		if err != nil {
			t.Fatal(err)
		}
		mine := f.find(t, posted.ID)
		if mine.State != repo.StatePublished || !mine.ByOwner || mine.Reason != "" || d.Kind != "owner" {
			t.Fatalf("owner: state %q, by owner %v, reason %q, kind %q", mine.State, mine.ByOwner, mine.Reason, d.Kind)
		}
		if e := f.lastAudit(t); e.Actor != repo.ActorOwner || e.Action != "comment" || e.CommentIDs != itoa(mine.ID) {
			t.Fatalf("audit: %+v", e)
		}
		// The owner's edit from the posting browser is not screened again (MODERATION=all would hold a reader's).
		if d, err := f.editOwn(t, mine.ID, tooLinky+" and more", addrA); err != nil || d.State != repo.StatePublished {
			t.Fatalf("owner's edit: %+v, %v", d, err)
		}
	})
}

// TestReplyApprovesAndPublishes answers a pending comment as the owner: approved, then answered at once under
// OwnerEmail, both in the audit trail; a spam comment, an empty reply or a context without the owner is refused.
func TestReplyApprovesAndPublishes(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		f.svc.Mode = moderation.ModeAll
		question, _ := f.postComment(t, comment{email: "ada@example.com", body: "a question", from: addrB})
		if _, _, _, err := f.svc.Reply(ctx, moderation.Reply{To: question.ID, Name: "Sam", Body: "no session"}); err == nil {
			t.Fatal("a reply without the owner's session was published")
		}
		var bad moderation.ErrBadReply
		if _, _, _, err := f.svc.Reply(moderation.AsOwner(ctx), moderation.Reply{To: question.ID, Name: "Sam", Body: " \n "}); !errors.As(err, &bad) {
			t.Fatalf("empty reply: %v", err)
		}
		if f.find(t, question.ID).State != repo.StatePending {
			t.Fatal("a refused reply approved the question")
		}
		reply, _, moved, err := f.svc.Reply(moderation.AsOwner(ctx), moderation.Reply{To: question.ID, Name: "Sam", Body: "an answer"})
		if err != nil {
			t.Fatal(err)
		}
		got := f.find(t, reply.ID)
		if got.State != repo.StatePublished || !got.ByOwner || got.Username != "Sam" || got.User.Email != moderation.OwnerEmail ||
			got.ParentID == nil || *got.ParentID != question.ID {
			t.Fatalf("reply stored as %+v", got)
		}
		if len(moved) != 1 || moved[0].ID != question.ID || f.find(t, question.ID).State != repo.StatePublished {
			t.Fatalf("question not approved with the reply: %+v", moved)
		}
		if e := f.lastAudit(t); e.Action != "reply" || e.Detail != "to comment "+itoa(question.ID) {
			t.Fatalf("audit: %+v", e)
		}
		// Nobody can type the owner's address in the comment form.
		if msg := (repo.CommentInput{Username: "x", Email: moderation.OwnerEmail, Body: "x"}).Validate()["email"]; msg == "" {
			t.Fatal("a reader could post as the owner's address")
		}
		if _, err := f.svc.Act(ctx, repo.ActorOwner, "spam", []int64{question.ID}); err != nil {
			t.Fatal(err)
		}
		_, _, _, err = f.svc.Reply(moderation.AsOwner(ctx), moderation.Reply{To: question.ID, Name: "Sam", Body: "to spam"})
		if !errors.As(err, &bad) || !strings.Contains(bad.Msg, "restore it first") {
			t.Fatalf("reply to spam: %v", err)
		}
	})
}

// TestWaitingCountsOncePerBatch tells the watcher of many changes at once: it counts only while somebody
// listens, a burst costs a few counts rather than one each, and every subscriber gets the newest count.
func TestWaitingCountsOncePerBatch(t *testing.T) {
	var calls, pending atomic.Int64
	w := moderation.NewWaiting(func(context.Context) (int, error) {
		calls.Add(1)
		time.Sleep(5 * time.Millisecond) // a query takes a moment; changes pile up meanwhile
		return int(pending.Load()), nil
	}, nil)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go w.Run(runCtx)
	w.Changed()
	waitParked(t, "blog/moderation.(*Waiting).Run")
	if n := calls.Load(); n != 0 {
		t.Fatalf("%d counts with nobody listening", n)
	}
	a, stopA := w.Subscribe()
	b, stopB := w.Subscribe()
	defer stopA()
	defer stopB()
	for i := range 200 {
		pending.Store(int64(i + 1))
		w.Changed()
	}
	for _, ch := range []<-chan int{a, b} {
		deadline := time.After(30 * time.Second)
		for got := 0; got != 200; {
			select {
			case got = <-ch:
			case <-deadline:
				t.Fatalf("the newest count never arrived (last %d)", got)
			}
		}
	}
	if n := calls.Load(); n > 50 {
		t.Fatalf("%d counts for 200 changes in a burst", n)
	}
}

// waitParked waits until the goroutine running fn is blocked in a select again, the marker that it has taken
// everything sent to it before the call: a send to a goroutine parked in a select makes it runnable at once,
// and it parks there again only once it has dealt with what it received.
func waitParked(t *testing.T, fn string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		for _, g := range strings.Split(string(buf[:n]), "\n\n") {
			if strings.Contains(g, "\n"+fn+"(") && strings.Contains(strings.SplitN(g, "\n", 2)[0], "[select") {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not go back to waiting within 30 s:\n%s", fn, buf[:n])
		}
		time.Sleep(time.Millisecond)
	}
}
