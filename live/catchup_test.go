package live

import (
	"context"
	"strings"
	"testing"
	"time"
)

// waitHandled announces a post's changes up to seq, as the database does after a commit, and waits until the
// broker has handed them out.
func waitHandled(t *testing.T, b *Broker, post, seq int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b.Poke(post, seq)
	b.Sync(ctx, post, seq)
	if b.handledSeq(post) < seq {
		t.Fatalf("post %d handled up to %d, want %d", post, b.handledSeq(post), seq)
	}
}

func seqs(msgs []*Message) []int64 {
	var out []int64
	for _, m := range msgs {
		out = append(out, m.Seq)
	}
	return out
}

// TestCatchUpReplaysWhatWasHandedOut checks that a reconnecting stream gets exactly the messages after its
// sequence from what the broker keeps, without reading the feed again.
func TestCatchUpReplaysWhatWasHandedOut(t *testing.T) {
	b, s := newTestBroker(t, map[int64]int64{1: 0})
	for seq := int64(1); seq <= 5; seq++ {
		s.add(1, seq)
	}
	waitHandled(t, b, 1, 5)
	s.mu.Lock()
	before := s.fetches
	s.mu.Unlock()
	for range 3 {
		msgs, resync, err := b.CatchUp(context.Background(), 1, 2)
		if err != nil || resync || len(msgs) != 3 || msgs[0].Seq != 3 || msgs[2].Seq != 5 {
			t.Fatalf("catch-up after 2: %v resync %v err %v", seqs(msgs), resync, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fetches != before {
		t.Fatalf("catching up read the feed %d times", s.fetches-before)
	}
}

// TestCatchUpAfterARestartReadsOnce checks that a broker started after changes it never handed out reads them
// from the feed once, for every stream that asks.
func TestCatchUpAfterARestartReadsOnce(t *testing.T) {
	b, s := newTestBroker(t, map[int64]int64{1: 10})
	for seq := int64(1); seq <= 10; seq++ {
		s.add(1, seq)
	}
	for _, after := range []int64{7, 4, 9, 4} {
		msgs, resync, err := b.CatchUp(context.Background(), 1, after)
		if err != nil || resync || len(msgs) != int(10-after) || msgs[0].Seq != after+1 {
			t.Fatalf("catch-up after %d: %v resync %v err %v", after, seqs(msgs), resync, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fetches != 1 {
		t.Fatalf("the feed was read %d times, want once", s.fetches)
	}
}

// TestCatchUpTooFarBehindResyncs checks that a reader more than PageSize changes, or MaxCatchUpBytes of them,
// behind is told to resync rather than replayed.
func TestCatchUpTooFarBehindResyncs(t *testing.T) {
	b, s := newTestBroker(t, map[int64]int64{1: 0, 2: 0})
	for seq := int64(1); seq <= PageSize+50; seq++ {
		s.add(1, seq)
	}
	waitHandled(t, b, 1, PageSize+50)
	if _, resync, _ := b.CatchUp(context.Background(), 1, 10); !resync {
		t.Fatal("a reader 240 changes behind was not told to resync")
	}
	if msgs, resync, _ := b.CatchUp(context.Background(), 1, 100); resync || len(msgs) != 150 {
		t.Fatalf("a reader 150 behind: %d messages, resync %v", len(msgs), resync)
	}
	// Large messages: only the newest MaxCatchUpBytes are replayed.
	big := strings.Repeat("x", 40<<10)
	s.mu.Lock()
	s.big = big
	s.mu.Unlock()
	for seq := int64(1); seq <= 20; seq++ {
		s.add(2, seq)
	}
	waitHandled(t, b, 2, 20)
	if _, resync, _ := b.CatchUp(context.Background(), 2, 5); !resync {
		t.Fatal("a reader 15 changes of 40 KiB behind was not told to resync")
	}
	msgs, resync, _ := b.CatchUp(context.Background(), 2, 16)
	if resync || len(msgs) != 4 {
		t.Fatalf("a reader 4 changes behind: %d messages, resync %v", len(msgs), resync)
	}
}

// TestPokeForAHandledChangeReadsNothing checks that the watcher's report of a change this process already handed
// out (its own commit, announced after commit and then seen again by polling or NOTIFY) does not read the feed.
func TestPokeForAHandledChangeReadsNothing(t *testing.T) {
	b, s := newTestBroker(t, map[int64]int64{1: 0, 2: 0})
	s.add(1, 1)
	s.add(1, 2)
	waitHandled(t, b, 1, 2)
	s.mu.Lock()
	before := s.fetches
	s.mu.Unlock()
	b.Poke(1, 2)
	b.Poke(1, 1)
	// Another post's change is the marker: the worker takes the pokes in order, so once it is handled the two
	// before it were read or dropped.
	s.add(2, 1)
	waitHandled(t, b, 2, 1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if got := s.fetches - before; got != 1 {
		t.Fatalf("the feed was read %d times for the marker and two changes already handed out, want once", got)
	}
}
