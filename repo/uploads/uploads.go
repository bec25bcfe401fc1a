// Package uploads is the store of the images the owner uploads: their rows (what the console lists) and their
// bytes, kept in the database so that every instance on one database serves the same images. Names are hashes of
// the bytes, so an image uploaded twice is stored once. The rules an image passes before it is stored (its type
// read from its content, its bounds) are the uploads package's; this store keeps the totals bound.
package uploads

import (
	"context"
	"errors"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/database"
	"blog/repo"
	"blog/repo/internal/store"
)

// Upload is one stored image, without its bytes.
type Upload struct {
	ID          int64  `db:"id"`
	Name        string `db:"name"`
	ContentType string `db:"content_type"`
	Size        int64  `db:"size"`
	Width       int    `db:"width"`
	Height      int    `db:"height"`
	// Original is the file's name on the owner's computer, shown in the console only.
	Original string `db:"original"`
	Alt      string `db:"alt"`
	// DarkOf names the upload this one stands in for in the dark theme ("" for none).
	DarkOf    string    `db:"dark_of"`
	CreatedAt time.Time `db:"created_at"`
}

// Table is the table of the uploads' rows.
func (Upload) Table() string { return "uploads" }

type data struct {
	ID   int64  `db:"id"`
	Name string `db:"name"`
	Data []byte `db:"data"`
}

func (data) Table() string { return "upload_data" }

// Limits bound what all uploads together may hold; zero means no bound.
type Limits struct {
	MaxCount int
	MaxBytes int64
}

// ErrFull refuses an upload that would take the stored images past Limits.
var ErrFull = errors.New("the stored images are at their bound")

// Store reads and writes uploads.
type Store struct{ db *database.DB }

// New returns the upload store backed by db.
func New(db *database.DB) *Store { return &Store{db: db} }

// Create stores u with its bytes, unless an upload of that name (the same bytes) is stored already: then the
// stored one is returned, with existed true, and the rest of u is ignored but for DarkOf, which is set when
// asked for. The totals are checked within the transaction, one upload after the other, so uploads at once
// cannot pass the bound together.
func (s *Store) Create(ctx context.Context, u Upload, b []byte, lim Limits) (Upload, bool, error) {
	existed := false
	err := s.db.Write(ctx, func(ctx context.Context) error {
		if err := s.db.Lock(ctx, store.LockUploads, "all"); err != nil {
			return err
		}
		var have Upload
		err := s.db.Repo().Find(ctx, &have, where.Eq("name", u.Name))
		if err == nil {
			existed = true
			if u.DarkOf != "" && have.DarkOf != u.DarkOf {
				have.DarkOf = u.DarkOf
				if err := s.db.Repo().Update(ctx, &have, rel.Set("dark_of", u.DarkOf)); err != nil {
					return err
				}
			}
			u = have
			return nil
		}
		if !errors.Is(err, rel.ErrNotFound) {
			return err
		}
		if lim.MaxCount > 0 || lim.MaxBytes > 0 {
			n, err := s.db.Repo().Count(ctx, "uploads")
			if err != nil {
				return err
			}
			total, err := s.db.Repo().Aggregate(ctx, rel.From("uploads"), "sum", "size")
			if err != nil {
				return err
			}
			if lim.MaxCount > 0 && n+1 > lim.MaxCount || lim.MaxBytes > 0 && int64(total)+int64(len(b)) > lim.MaxBytes {
				return ErrFull
			}
		}
		u.Size = int64(len(b))
		u.CreatedAt = time.Now().UTC()
		if err := s.db.Repo().Insert(ctx, &u); err != nil {
			return err
		}
		return s.db.Repo().Insert(ctx, &data{Name: u.Name, Data: b})
	})
	if errors.Is(err, ErrFull) {
		return Upload{}, false, err
	}
	return u, existed, repo.Translate(err, "store an upload")
}

// List returns every upload, newest first.
func (s *Store) List(ctx context.Context) ([]Upload, error) {
	var us []Upload
	err := s.db.Repo().FindAll(ctx, &us, rel.SortDesc("created_at"), rel.SortDesc("id"))
	return us, repo.Translate(err, "list uploads")
}

// Find returns the upload named name (repo.ErrNotFound when there is none).
func (s *Store) Find(ctx context.Context, name string) (Upload, error) {
	var u Upload
	err := s.db.Repo().Find(ctx, &u, where.Eq("name", name))
	return u, repo.Translate(err, "find an upload")
}

// Totals returns how many images are stored and their bytes.
func (s *Store) Totals(ctx context.Context) (count int, bytes int64, err error) {
	count, err = s.db.Repo().Count(ctx, "uploads")
	if err != nil {
		return 0, 0, repo.Translate(err, "count uploads")
	}
	total, err := s.db.Repo().Aggregate(ctx, rel.From("uploads"), "sum", "size")
	return count, int64(total), repo.Translate(err, "count upload bytes")
}

// Data returns the upload named name with its bytes.
func (s *Store) Data(ctx context.Context, name string) (Upload, []byte, error) {
	u, err := s.Find(ctx, name)
	if err != nil {
		return Upload{}, nil, err
	}
	var d data
	if err := s.db.Repo().Find(ctx, &d, where.Eq("name", name)); err != nil {
		return Upload{}, nil, repo.Translate(err, "read an upload")
	}
	return u, d.Data, nil
}

// Dark returns the newest upload that stands in for name in the dark theme (repo.ErrNotFound when none does).
func (s *Store) Dark(ctx context.Context, name string) (Upload, error) {
	var u Upload
	err := s.db.Repo().Find(ctx, &u, where.Eq("dark_of", name), rel.SortDesc("created_at"), rel.SortDesc("id"))
	return u, repo.Translate(err, "find a dark variant")
}

// FindByOriginal returns the newest upload whose original file name was original (repo.ErrNotFound when none).
func (s *Store) FindByOriginal(ctx context.Context, original string) (Upload, error) {
	var u Upload
	err := s.db.Repo().Find(ctx, &u, where.Eq("original", original), rel.SortDesc("created_at"), rel.SortDesc("id"))
	return u, repo.Translate(err, "find an upload by its file name")
}

// Delete removes the upload named name and its bytes; uploads that were its dark variant become plain images.
func (s *Store) Delete(ctx context.Context, name string) error {
	err := s.db.Write(ctx, func(ctx context.Context) error {
		n, err := s.db.Repo().DeleteAny(ctx, rel.From("uploads").Where(where.Eq("name", name)))
		if err != nil {
			return err
		}
		if n == 0 {
			return rel.ErrNotFound
		}
		if _, err := s.db.Repo().DeleteAny(ctx, rel.From("upload_data").Where(where.Eq("name", name))); err != nil {
			return err
		}
		_, err = s.db.Repo().UpdateAny(ctx, rel.From("uploads").Where(where.Eq("dark_of", name)), rel.Set("dark_of", ""))
		return err
	})
	return repo.Translate(err, "delete an upload")
}
