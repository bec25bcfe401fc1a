package live

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// store is an in-memory comment log standing in for the database behind Fetch, so the fan-out rules can be
// tested alone; the handlers' tests run the same broker over real SQLite and PostgreSQL.
type store struct {
	mu       sync.Mutex
	comments map[int64][]int64 // post -> ids
	fetches  int
}

func (s *store) add(post, id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.comments[post] = append(s.comments[post], id)
}

func (s *store) fetch(_ context.Context, post, after int64) ([]Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetches++
	var out []Message
	for _, id := range s.comments[post] {
		if id > after {
			out = append(out, Message{ID: id, Data: []byte("c")})
		}
	}
	return out, nil
}

func (s *store) latest(context.Context) (int64, error) { return 0, nil }

func newTestLocal(t *testing.T) (*Local, *store) {
	s := &store{comments: map[int64][]int64{}}
	l, err := NewLocal(context.Background(), s.fetch, s.latest, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); l.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return l, s
}

func recv(t *testing.T, sub *Subscription) Message {
	t.Helper()
	select {
	case m, ok := <-sub.C():
		if !ok {
			t.Fatal("subscription closed")
		}
		return *m
	case <-time.After(5 * time.Second):
		t.Fatal("no message")
	}
	return Message{}
}

func TestOutOfOrderPokesDeliverEveryCommentInOrder(t *testing.T) {
	l, s := newTestLocal(t)
	sub := l.Subscribe(7)
	s.add(7, 1)
	s.add(7, 2)
	// The handler that stored comment 2 announces it before the one that stored comment 1.
	l.Committed(7, 2)
	l.Committed(7, 1)
	if m := recv(t, sub); m.ID != 1 {
		t.Fatalf("first = %d, want 1", m.ID)
	}
	if m := recv(t, sub); m.ID != 2 {
		t.Fatalf("second = %d, want 2", m.ID)
	}
	select {
	case m := <-sub.C():
		t.Fatalf("duplicate delivery of %d", m.ID)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestOtherPostsSubscribersGetNothing(t *testing.T) {
	l, s := newTestLocal(t)
	mine, other := l.Subscribe(1), l.Subscribe(2)
	s.add(1, 10)
	l.Committed(1, 10)
	if m := recv(t, mine); m.ID != 10 {
		t.Fatalf("got %d", m.ID)
	}
	select {
	case m := <-other.C():
		t.Fatalf("post 2's subscriber got %d", m.ID)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestFullQueueDropsOnlyThatSubscriber(t *testing.T) {
	l, s := newTestLocal(t)
	stuck, reader := l.Subscribe(1), l.Subscribe(1)
	var got []int64
	for id := int64(1); id <= QueueSize+10; id++ {
		s.add(1, id)
		l.Committed(1, id)
		got = append(got, recv(t, reader).ID)
	}
	if len(got) != QueueSize+10 || got[len(got)-1] != QueueSize+10 {
		t.Fatalf("reader got %d messages", len(got))
	}
	// The stuck subscriber's channel holds QueueSize messages, then is closed with Lagged set.
	n := 0
	for range stuck.C() {
		n++
	}
	if n != QueueSize || !stuck.Lagged() {
		t.Fatalf("stuck subscriber: %d queued, lagged=%v; want %d and true", n, stuck.Lagged(), QueueSize)
	}
	if l.Streams() != 1 {
		t.Fatalf("streams = %d, want 1", l.Streams())
	}
}

func TestNoSubscribersNoQueries(t *testing.T) {
	l, s := newTestLocal(t)
	for id := int64(1); id <= 50; id++ {
		s.add(3, id)
		l.Committed(3, id)
	}
	time.Sleep(200 * time.Millisecond) // let the worker see the pokes
	s.mu.Lock()
	if s.fetches != 0 {
		t.Errorf("fetches = %d with no subscribers, want 0", s.fetches)
	}
	s.mu.Unlock()
	// A subscriber that arrives later reads history itself; the broker only delivers what comes after.
	sub := l.Subscribe(3)
	s.add(3, 51)
	l.Committed(3, 51)
	if m := recv(t, sub); m.ID != 51 {
		t.Fatalf("got %d, want 51", m.ID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fetches != 1 {
		t.Fatalf("fetches = %d, want 1 (no queries for posts nobody watches)", s.fetches)
	}
}

func TestRunEndClosesSubscriptions(t *testing.T) {
	s := &store{comments: map[int64][]int64{}}
	l, _ := NewLocal(context.Background(), s.fetch, s.latest, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); l.Run(ctx) }()
	sub := l.Subscribe(1)
	cancel()
	<-done
	if _, ok := <-sub.C(); ok || sub.Lagged() {
		t.Fatal("subscription not closed cleanly at shutdown")
	}
	if _, ok := <-l.Subscribe(1).C(); ok {
		t.Fatal("subscription after close is open")
	}
}

func TestParsePayload(t *testing.T) {
	for _, tt := range []struct {
		in         string
		post, id   int64
		wantErrors bool
	}{
		{"3:17", 3, 17, false}, {"x:1", 0, 0, true}, {"3", 0, 0, true}, {"3:y", 0, 0, true},
	} {
		p, id, err := parsePayload(tt.in)
		if (err != nil) != tt.wantErrors || p != tt.post || id != tt.id {
			t.Errorf("parsePayload(%q) = %d, %d, %v", tt.in, p, id, err)
		}
	}
}
