package live

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"testing"
	"time"
)

// store is an in-memory change feed standing in for the database behind Fetch, so the fan-out rules can be
// tested alone; the handlers' tests run the same broker over real SQLite and PostgreSQL.
type store struct {
	mu      sync.Mutex
	feed    map[int64][]int64 // post -> sequences
	fetches int
	big     string // when set, the payload of every message
}

func (s *store) add(post, seq int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.feed[post] = append(s.feed[post], seq)
}

func (s *store) fetch(_ context.Context, post, after int64) ([]Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetches++
	var out []Message
	for _, seq := range s.feed[post] {
		if seq > after && len(out) < PageSize {
			data := []byte("c")
			if s.big != "" {
				data = []byte(s.big)
			}
			out = append(out, Message{Seq: seq, Data: data})
		}
	}
	return out, nil
}

func newTestBroker(t *testing.T, starts map[int64]int64) (*Broker, *store) {
	s := &store{feed: map[int64][]int64{}}
	b := newBroker(s.fetch, starts, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); b.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return b, s
}

// taken holds what Take returned beyond the message a test asked for, per subscription.
var taken = map[*Subscription][]Message{}

// next returns sub's next message within wait; ended is true when the subscription ended with nothing left.
func next(sub *Subscription, wait time.Duration) (m Message, got, ended bool) {
	deadline := time.After(wait)
	for len(taken[sub]) == 0 {
		select {
		case <-sub.Ready():
		case <-deadline:
			return Message{}, false, false
		}
		msgs, end := sub.Take()
		for _, m := range msgs {
			taken[sub] = append(taken[sub], *m)
		}
		if end && len(taken[sub]) == 0 {
			return Message{}, false, true
		}
	}
	m, taken[sub] = taken[sub][0], taken[sub][1:]
	return m, true, false
}

func recv(t *testing.T, sub *Subscription) Message {
	t.Helper()
	m, got, ended := next(sub, 5*time.Second)
	switch {
	case ended:
		t.Fatal("subscription ended")
	case !got:
		t.Fatal("no message")
	}
	return m
}

func TestOutOfOrderPokesDeliverEveryCommentInOrder(t *testing.T) {
	l, s := newTestBroker(t, nil)
	sub := l.Subscribe(7)
	s.add(7, 1)
	s.add(7, 2)
	// The handler that stored comment 2 announces it before the one that stored comment 1.
	l.Poke(7, 2)
	l.Poke(7, 1)
	if m := recv(t, sub); m.Seq != 1 {
		t.Fatalf("first = %d, want 1", m.Seq)
	}
	if m := recv(t, sub); m.Seq != 2 {
		t.Fatalf("second = %d, want 2", m.Seq)
	}
	// Nothing twice: a later change is what comes next (the worker delivers in order, one change at a time).
	s.add(7, 3)
	l.Poke(7, 3)
	if m := recv(t, sub); m.Seq != 3 {
		t.Fatalf("after 2 came %d, want the marker 3: a duplicate delivery", m.Seq)
	}
}

func TestOtherPostsSubscribersGetNothing(t *testing.T) {
	l, s := newTestBroker(t, nil)
	mine, other := l.Subscribe(1), l.Subscribe(2)
	s.add(1, 10)
	l.Poke(1, 10)
	if m := recv(t, mine); m.Seq != 10 {
		t.Fatalf("got %d", m.Seq)
	}
	// A later change of post 2 is what its subscriber gets first: the worker handles one post's changes at a
	// time, so post 1's would have been handed over before it.
	s.add(2, 11)
	l.Poke(2, 11)
	if m := recv(t, other); m.Seq != 11 {
		t.Fatalf("post 2's subscriber got %d before post 2's own change", m.Seq)
	}
}

func TestFullQueueDropsOnlyThatSubscriber(t *testing.T) {
	l, s := newTestBroker(t, nil)
	stuck, reader := l.Subscribe(1), l.Subscribe(1)
	var got []int64
	for id := int64(1); id <= QueueSize+10; id++ {
		s.add(1, id)
		l.Poke(1, id)
		got = append(got, recv(t, reader).Seq)
	}
	if len(got) != QueueSize+10 || got[len(got)-1] != QueueSize+10 {
		t.Fatalf("reader got %d messages", len(got))
	}
	// The stuck subscriber's queue holds QueueSize messages, then it has ended with Lagged set.
	n := 0
	for {
		_, got, ended := next(stuck, time.Second)
		if !got || ended {
			break
		}
		n++
	}
	if n != QueueSize || !stuck.Lagged() {
		t.Fatalf("stuck subscriber: %d queued, lagged=%v; want %d and true", n, stuck.Lagged(), QueueSize)
	}
	if l.Streams() != 1 {
		t.Fatalf("streams = %d, want 1", l.Streams())
	}
}

// Changes up to where a post's feed stood at start are not broadcast: streams and caches read those themselves.
func TestStartsAfterTheFeedsPosition(t *testing.T) {
	b, s := newTestBroker(t, map[int64]int64{3: 50})
	for seq := int64(1); seq <= 50; seq++ {
		s.add(3, seq)
	}
	sub := b.Subscribe(3)
	s.add(3, 51)
	b.Poke(3, 51)
	if m := recv(t, sub); m.Seq != 51 {
		t.Fatalf("got %d, want 51", m.Seq)
	}
}

// Caches are told about every change before any stream receives it.
func TestCachesHearBeforeStreams(t *testing.T) {
	b, s := newTestBroker(t, nil)
	var mu sync.Mutex
	var applied []int64
	b.OnChange(func(post int64, msgs []Message) {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range msgs {
			applied = append(applied, m.Seq)
		}
	})
	sub := b.Subscribe(1)
	s.add(1, 1)
	b.Poke(1, 1)
	recv(t, sub)
	mu.Lock()
	defer mu.Unlock()
	if len(applied) != 1 || applied[0] != 1 {
		t.Fatalf("applied = %v when the stream got the change, want [1]", applied)
	}
}

// A resync reads every known post's feed, so changes missed while a connection was down still arrive.
func TestResyncReadsEveryPost(t *testing.T) {
	b, s := newTestBroker(t, map[int64]int64{1: 0, 2: 0})
	one, two := b.Subscribe(1), b.Subscribe(2)
	s.add(1, 1)
	s.add(2, 1)
	b.Resync()
	recv(t, one)
	recv(t, two)
}

// A backlog longer than a page is read in several pages, in order.
func TestLongBacklogIsReadInPages(t *testing.T) {
	b, s := newTestBroker(t, nil)
	sub := b.Subscribe(1)
	n := int64(PageSize + 20)
	for seq := int64(1); seq <= n; seq++ {
		s.add(1, seq)
	}
	b.Poke(1, n)
	for want := int64(1); want <= n; want++ {
		if m := recv(t, sub); m.Seq != want {
			t.Fatalf("got %d, want %d", m.Seq, want)
		}
	}
}

func TestRunEndClosesSubscriptions(t *testing.T) {
	s := &store{feed: map[int64][]int64{}}
	l := newBroker(s.fetch, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); l.Run(ctx) }()
	sub := l.Subscribe(1)
	cancel()
	<-done
	if _, _, ended := next(sub, time.Second); !ended || sub.Lagged() {
		t.Fatal("subscription not ended cleanly at shutdown")
	}
	if _, _, ended := next(l.Subscribe(1), time.Second); !ended {
		t.Fatal("subscription after close is open")
	}
}

// An idle subscription holds no queue: 10,000 open streams cost their messages, not QueueSize slots each.
func TestIdleSubscriptionsAreSmall(t *testing.T) {
	h := newHub()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	subs := make([]*Subscription, 10000)
	for i := range subs {
		subs[i] = h.subscribe(int64(i % 10))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / float64(len(subs))
	t.Logf("%.0f bytes per idle subscription", per)
	if per > 1024 {
		t.Errorf("%.0f bytes per idle subscription, want under 1 KiB", per)
	}
	runtime.KeepAlive(subs)
}
