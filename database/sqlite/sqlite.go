// Package sqlite holds the machinery the blog runs SQLite with: the connection settings (Pragmas), connections
// that keep their prepared statements, the queue of this process's writers with the checkpointer that keeps the
// write-ahead log in bounds (WAL), and the mapping of SQLite's constraint errors onto rel's. The database package
// opens SQLite with it; nothing else uses it.
package sqlite

import (
	"context"
	"database/sql"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
)

// Pragmas are applied to every pooled connection through the DSN: SQLite keeps them per connection.
// temp_store(2) keeps SQLite's temporary tables in memory: the container's root filesystem is read-only and has
// no /tmp. journal_size_limit: see WALLimit. The busy timeout (5 s; the checkpointer's is shorter) is added per
// pool.
var Pragmas = "_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)" +
	"&_pragma=synchronous(NORMAL)&_pragma=temp_store(2)&_pragma=wal_autocheckpoint(0)&_txlock=immediate&_time_format=sqlite" +
	"&_pragma=journal_size_limit(" + strconv.FormatInt(WALLimit/2, 10) + ")"

// WAL keeps the write-ahead log of a SQLite database in bounds for this process, and queues the process's
// writers: Write gives each write transaction its turn, and the checkpointer copies the log back into the
// database in the background and has it started over.
type WAL struct {
	path string
	// log gives the checkpointer's warnings a logger (the database's, which may be set after opening).
	log func() *slog.Logger

	// writeMu queues this process's SQLite write transactions. SQLite allows one writer at a time; without the
	// queue, waiting writers poll in SQLite's busy handler, sleeping up to 100 ms between tries, which showed as
	// a long latency tail under concurrent posting.
	writeMu sync.Mutex

	// writes counts this process's SQLite write transactions, for the checkpointer to notice a quiet period.
	writes atomic.Int64
	// logStart is the size of the write-ahead log past which it is started over (half of WALLimit, or more after
	// tries that had to give up, by logBackoff, which writeMu guards); logFull wakes the checkpointer for it.
	logStart   atomic.Int64
	logBackoff int64
	logFull    chan struct{}
	// ckpt is the checkpointer's own connection (of a pool of its own, ckptDB, so that it never takes one of
	// the main pool's), with a short busy timeout (checkpointWait); ckptMu serialises its use.
	ckptDB *sql.DB
	ckpt   *sql.Conn
	ckptMu sync.Mutex

	// stopCheckpoints ends the checkpointer (see checkpoints); checkpointsDone is closed when it has.
	stopCheckpoints, checkpointsDone chan struct{}
	closeOnce                        sync.Once
}

// OpenWAL opens the checkpointer's connection to the SQLite database at path (dsn, which has no busy timeout)
// and starts the checkpointer; log gives its warnings a logger.
func OpenWAL(ctx context.Context, dsn, path string, log func() *slog.Logger) (*WAL, error) {
	ckptDB, ckpt, err := openCheckpointer(ctx, dsn)
	if err != nil {
		return nil, err
	}
	w := &WAL{path: path, log: log, ckptDB: ckptDB, ckpt: ckpt, logFull: make(chan struct{}, 1),
		stopCheckpoints: make(chan struct{}), checkpointsDone: make(chan struct{})}
	w.logStart.Store(WALLimit / 2)
	go w.checkpoints()
	return w, nil
}

// Write runs fn, a write transaction, in its turn among this process's writers. A commit that leaves the
// write-ahead log past half of WALLimit wakes the checkpointer, and one that leaves it past WALLimit starts it
// over before the next writer's turn.
func (w *WAL) Write(fn func() error) error {
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	err := fn()
	w.writes.Add(1)
	switch size, start := w.logSize(), w.logStart.Load(); {
	case size > start+WALLimit/2:
		// The checkpointer has not caught up (or is not running): the bound holds all the same.
		w.restartLog("RESTART")
	case size > start:
		select {
		case w.logFull <- struct{}{}:
		default:
		}
	}
	return err
}

// Close stops the checkpointer and closes its connection.
func (w *WAL) Close() {
	w.closeOnce.Do(func() { close(w.stopCheckpoints) })
	<-w.checkpointsDone
	w.ckpt.Close()
	w.ckptDB.Close()
}
