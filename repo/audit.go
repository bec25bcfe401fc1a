package repo

import (
	"context"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/database"
)

// The actors of the audit trail.
const (
	ActorOwner  = "owner"
	ActorCLI    = "cli"
	ActorServer = "server"
	// ActorAuthor is a comment's author deleting their own comment (not the owner's action).
	ActorAuthor = "author"
)

// Action describes an owner's or the command line's action, for the audit trail.
type Action struct {
	Actor  string
	Name   string
	Detail string
}

// AuditEntry is one recorded action: who did what, to which comments, from which states.
type AuditEntry struct {
	ID     int64
	At     time.Time
	Actor  string
	Action string
	// CommentIDs lists the comments the action touched, comma-separated.
	CommentIDs string `db:"comment_ids"`
	// Previous lists "id:state" for every comment whose state the action changed, comma-separated.
	Previous string
	// Detail says more in words (a ban's value, a sign-in method); never a secret.
	Detail string
}

func (AuditEntry) Table() string { return "audit" }

// Audit records and lists the owner's and the command line's actions.
type Audit struct {
	db *database.DB
}

// NewAudit returns the audit store backed by db.
func NewAudit(db *database.DB) *Audit { return &Audit{db: db} }

// Record appends an entry (its time is set now when zero).
func (a *Audit) Record(ctx context.Context, e AuditEntry) error {
	return Translate(InsertAudit(ctx, a.db, e), "record audit entry")
}

// InsertAudit writes an audit entry (inside the caller's transaction when there is one), leaving its error for that
// transaction to translate: the stores record their actions with it.
func InsertAudit(ctx context.Context, db *database.DB, e AuditEntry) error {
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	e.ID = 0
	return db.Repo().Insert(ctx, &e)
}

// List returns up to limit entries older than before (all when before is 0), newest first.
func (a *Audit) List(ctx context.Context, before int64, limit int) ([]AuditEntry, error) {
	q := rel.From("audit").SortDesc("id").Limit(limit)
	if before > 0 {
		q = q.Where(where.Lt("id", before))
	}
	var out []AuditEntry
	if err := a.db.Repo().FindAll(ctx, &out, q); err != nil {
		return nil, Translate(err, "list audit entries")
	}
	for i := range out {
		out[i].At = out[i].At.UTC()
	}
	return out, nil
}
