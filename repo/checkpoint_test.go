package repo_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"testing"
	"time"

	"blog/internal/dbtest"
	"blog/repo"
)

// walCheckpointSeq reads the checkpoint sequence number from the header of a SQLite write-ahead log: SQLite
// increments it each time it starts the log over, which it does only after the whole log was copied back into
// the database.
func walCheckpointSeq(t *testing.T, path string) uint32 {
	t.Helper()
	b, err := os.ReadFile(path + "-wal")
	if err != nil || len(b) < 32 {
		t.Fatalf("read the write-ahead log: %d bytes, %v", len(b), err)
	}
	return binary.BigEndian.Uint32(b[12:16])
}

// SQLite's automatic checkpoint is off (it ran inside a comment's commit); the blog's own checkpointer copies
// the log back in the background, so the log is started over rather than growing without end.
func TestSQLiteLogIsCheckpointedInTheBackground(t *testing.T) {
	db := dbtest.SQLite(t)
	ctx := context.Background()
	store := repo.NewComments(db)
	post := seedPost(t, db, "checkpointed")
	write := func(i int) {
		if _, err := create(ctx, store, post, repo.CommentInput{Username: "Ann", Email: "ann@example.com",
			Body: fmt.Sprintf("comment %d", i)}.Normalize()); err != nil {
			t.Fatal(err)
		}
	}
	write(0)
	before := walCheckpointSeq(t, db.Path())
	deadline := time.Now().Add(10 * time.Second)
	for i := 1; walCheckpointSeq(t, db.Path()) == before; i++ {
		if time.Now().After(deadline) {
			t.Fatal("the write-ahead log was never started over: nothing checkpoints it")
		}
		write(i)
		time.Sleep(50 * time.Millisecond)
	}
}
