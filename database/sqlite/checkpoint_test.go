package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"blog/database"
	"blog/database/sqlite"
	"blog/internal/dbtest"
	"blog/repo"
	"blog/repo/discussion"
)

// walCheckpointSeq reads the checkpoint sequence number from the header of a SQLite write-ahead log: SQLite
// increments it each time it starts the log over, which it does only after the whole log was copied back into
// the database. ok is false when the log is shorter than its header: truncated, which starts it over too.
func walCheckpointSeq(t *testing.T, path string) (seq uint32, ok bool) {
	t.Helper()
	f, err := os.Open(path + "-wal")
	if os.IsNotExist(err) {
		return 0, false
	}
	if err != nil {
		t.Fatalf("open the write-ahead log: %v", err)
	}
	defer f.Close()
	b := make([]byte, 32)
	if n, _ := f.ReadAt(b, 0); n < len(b) {
		return 0, false
	}
	return binary.BigEndian.Uint32(b[12:16]), true
}

// walSize is the size of the database's write-ahead log file (0 when there is none).
func walSize(t *testing.T, db *database.DB) int64 {
	t.Helper()
	st, err := os.Stat(db.Path() + "-wal")
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// SQLite's automatic checkpoint is off (it ran inside a comment's commit); the blog's own checkpointer copies
// the log back in the background, so the log is started over rather than growing without end.
func TestSQLiteLogIsCheckpointedInTheBackground(t *testing.T) {
	db := dbtest.SQLite(t)
	ctx := context.Background()
	store := discussion.NewComments(db)
	post := seedPost(t, db, "checkpointed")
	write := func(i int) {
		if _, err := create(ctx, store, post, repo.CommentInput{Username: "Ann", Email: "ann@example.com",
			Body: fmt.Sprintf("comment %d", i)}.Normalize()); err != nil {
			t.Fatal(err)
		}
	}
	write(0)
	before, _ := walCheckpointSeq(t, db.Path())
	deadline := time.Now().Add(10 * time.Second)
	for i := 1; ; i++ {
		if seq, ok := walCheckpointSeq(t, db.Path()); !ok || seq != before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the write-ahead log was never started over: nothing checkpoints it")
		}
		write(i)
		time.Sleep(50 * time.Millisecond)
	}
}

// holdSnapshots keeps a read snapshot of db open at every moment until the test ends, as a busy server's page
// views and change feed do: two connections take turns, the next one reading before the previous one lets go.
func holdSnapshots(t *testing.T, db *database.DB) {
	t.Helper()
	ctx := context.Background()
	var conns [2]*sql.Conn
	for i := range conns {
		c, err := db.SQL().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	// A plain BEGIN is deferred: the snapshot is taken by the first read and held until COMMIT.
	begin := func(c *sql.Conn) error {
		if _, err := c.ExecContext(ctx, "BEGIN"); err != nil {
			return err
		}
		var n int
		return c.QueryRowContext(ctx, "SELECT count(*) FROM comments").Scan(&n)
	}
	end := func(c *sql.Conn) error {
		_, err := c.ExecContext(ctx, "COMMIT")
		return err
	}
	if err := begin(conns[0]); err != nil {
		t.Fatal(err)
	}
	stop, done := make(chan struct{}), make(chan error, 1)
	go func() {
		var err error
		defer func() { end(conns[0]); end(conns[1]); conns[0].Close(); conns[1].Close(); done <- err }()
		for i := 1; err == nil; i++ {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			if err = begin(conns[i%2]); err == nil {
				err = end(conns[(i-1)%2])
			}
		}
	}()
	t.Cleanup(func() {
		close(stop)
		if err := <-done; err != nil {
			t.Errorf("reader: %v", err)
		}
	})
}

// Readers that always hold some snapshot kept the background checkpoint from ever starting the log over: under
// sustained posting it grew by about 50 KB a comment and never shrank. The log now stays within WALLimit (give
// or take the commit that crosses it) and is started over again and again, with the readers reading all along.
func TestSQLiteLogStaysBoundedWhileReadersHoldSnapshots(t *testing.T) {
	db := dbtest.SQLite(t)
	ctx := context.Background()
	store := discussion.NewComments(db)
	post := seedPost(t, db, "bounded")
	holdSnapshots(t, db)
	const slack = 1 << 20 // the commit that crosses the bound, and then some
	body := strings.Repeat("A long comment, so that each one adds a fair share to the log. ", 70)
	var largest int64
	startedOver := 0
	deadline := time.Now().Add(2 * time.Minute)
	lastSeq, _ := walCheckpointSeq(t, db.Path())
	for i := 0; startedOver < 3; i++ {
		if _, err := create(ctx, store, post, repo.CommentInput{Username: "Ann", Email: "ann@example.com",
			Body: fmt.Sprintf("%d %s", i, body)}.Normalize()); err != nil {
			t.Fatal(err)
		}
		size := walSize(t, db)
		largest = max(largest, size)
		if size > sqlite.WALLimit+slack {
			t.Fatalf("after %d comments the log is %.1f MiB, over the bound of %d MiB (started over %d times)",
				i+1, float64(size)/(1<<20), sqlite.WALLimit>>20, startedOver)
		}
		if seq, ok := walCheckpointSeq(t, db.Path()); ok && seq != lastSeq {
			startedOver++
			lastSeq = seq
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %d comments in 2 minutes the log was started over only %d times", i+1, startedOver)
		}
	}
	t.Logf("largest log: %.1f MiB (bound %d MiB); started over %d times", float64(largest)/(1<<20), sqlite.WALLimit>>20, startedOver)
}

// When nothing is written, the log is truncated to nothing, readers reading all along: a burst of comments does
// not leave its log on the disk.
func TestSQLiteLogIsTruncatedWhenQuiet(t *testing.T) {
	db := dbtest.SQLite(t)
	ctx := context.Background()
	store := discussion.NewComments(db)
	post := seedPost(t, db, "quiet")
	holdSnapshots(t, db)
	for i := range 50 {
		if _, err := create(ctx, store, post, repo.CommentInput{Username: "Ann", Email: "ann@example.com",
			Body: fmt.Sprintf("comment %d", i)}.Normalize()); err != nil {
			t.Fatal(err)
		}
	}
	if walSize(t, db) == 0 {
		t.Fatal("no log after 50 comments: the test shows nothing")
	}
	deadline := time.Now().Add(30 * time.Second)
	for walSize(t, db) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the log is still %d bytes 30 s after the last write", walSize(t, db))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
