package sqlite

import (
	"context"
	"database/sql"
	"os"
	"strconv"
	"time"
)

// checkpointEvery is how often the SQLite write-ahead log is copied back into the database file.
const checkpointEvery = time.Second

// WALLimit bounds the SQLite write-ahead log. Past half of it, the checkpointer takes this process's writers'
// turn for a moment, copies what the background checkpoint has not yet copied back into the database, and has
// the log started over; a commit that finds the log past the whole of it does that itself. journal_size_limit
// cuts the file back to half whenever the log is started over. Without the bound, readers that always hold some
// snapshot kept the background checkpoint from ever starting the log over: it grew by about 50 KB a comment (1 GB
// in 20 s of posting) and never shrank. Starting it over more often (from 16 MiB), or copying it in the
// background just before, cost more POSTs than it saved.
const WALLimit = 48 << 20

// checkpointWait is how long a checkpoint that starts the log over waits for readers of older snapshots (and for
// another process's writer) before giving up until later. Writers of this process wait that long at most.
const checkpointWait = 250 * time.Millisecond

// openCheckpointer opens the checkpointer's connection to the SQLite database at dsn (which has no busy
// timeout): its busy timeout is checkpointWait.
func openCheckpointer(ctx context.Context, dsn string) (*sql.DB, *sql.Conn, error) {
	db, err := sql.Open("sqlite", dsn+"&_pragma=busy_timeout("+strconv.FormatInt(checkpointWait.Milliseconds(), 10)+")")
	if err != nil {
		return nil, nil, err
	}
	conn, err := db.Conn(ctx)
	if err == nil {
		// A connection that never had a transaction opens the log inside its first checkpoint, with a read that
		// lasts as long as the checkpoint: a RESTART or TRUNCATE then waits on that read of its own and gives
		// up. A first checkpoint here, with nothing to wait for, opens it.
		var busy, frames, copied int
		err = conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
		if err != nil {
			conn.Close()
		}
	}
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, conn, nil
}

// checkpoints runs the checkpoints of the SQLite write-ahead log, in the background. Every second it copies the
// log back into the database file without waiting for any reader or writer (wal_checkpoint(PASSIVE)). SQLite's
// own automatic checkpoint (turned off in Pragmas) ran inside the commit that filled the log, fsyncs
// included, and made every few hundredth comment's POST wait for it. When the log is past logStart (a commit
// that leaves it there wakes the checkpointer at once), it has it started over (restartLog). When nothing was
// written for a whole second, it truncates the log to nothing, so a quiet blog keeps no log at all.
func (w *WAL) checkpoints() {
	defer close(w.checkpointsDone)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	failing := false
	lastWrites, lastFrames := w.writes.Load(), -1
	for {
		select {
		case <-w.stopCheckpoints:
			return
		case <-w.logFull:
			w.writeMu.Lock()
			if w.logSize() > w.logStart.Load() {
				w.restartLog("RESTART")
			}
			w.writeMu.Unlock()
			continue
		case <-t.C:
		}
		_, frames, err := w.checkpoint("PASSIVE")
		if err != nil && !failing {
			w.log().Warn("sqlite checkpoint failed (the write-ahead log grows until one succeeds)", "err", err)
		}
		failing = err != nil
		// Quiet: no write here for a whole period, and none from another process (the log did not grow).
		writes := w.writes.Load()
		quiet := err == nil && writes == lastWrites && frames == lastFrames
		lastWrites, lastFrames = writes, frames
		// The log also grows through writes that do not pass Write (another process's): bound it here too.
		if quiet && frames > 0 || w.logSize() > w.logStart.Load() {
			w.writeMu.Lock()
			if quiet {
				w.restartLog("TRUNCATE")
			} else {
				w.restartLog("RESTART")
			}
			w.writeMu.Unlock()
		}
	}
}

// checkpoint runs wal_checkpoint in mode on the checkpointer's own connection (whose busy timeout is
// checkpointWait) and returns whether it gave up waiting, and the log's size in frames.
func (w *WAL) checkpoint(mode string) (busy bool, frames int, err error) {
	w.ckptMu.Lock()
	defer w.ckptMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var b, copied int
	err = w.ckpt.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&b, &frames, &copied)
	return b != 0, frames, err
}

// logSize is the size of the write-ahead log file.
func (w *WAL) logSize() int64 {
	st, err := os.Stat(w.path + "-wal")
	if err != nil {
		return 0
	}
	return st.Size()
}

// restartLog copies what is left of the log into the database, waits (at most checkpointWait) until no reader
// needs it, and has it started over: RESTART lets the next writer start it from the beginning (and
// journal_size_limit cut the file back), TRUNCATE truncates it at once. It is called with writeMu held, so this
// process's writers wait for it. When a reader holds on longer (a slow page on a saturated machine, a backup of a
// large database), the next try waits until the log has grown by another quarter of WALLimit, then half, and so
// on: one slow reader costs the bound a little, and a long one holds writers up a few times rather than at every
// commit.
func (w *WAL) restartLog(mode string) {
	busy, _, err := w.checkpoint(mode)
	if err != nil || busy {
		w.logBackoff = min(max(2*w.logBackoff, WALLimit/4), 1<<30)
		w.logStart.Store(w.logSize() + w.logBackoff)
		return
	}
	w.logStart.Store(WALLimit / 2)
	w.logBackoff = 0
}
