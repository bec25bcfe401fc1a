// Package pictures is the store of the pictures the blog fetched from other sites (an author's photo): each
// picture's bytes as the blog made them, named by their hash, and which address gave which picture, so that an
// address is fetched once. They are kept in the database so that every instance on one database serves them. The
// rules a picture passes before it is stored are package pictures' (the one above this store).
package pictures

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/database"
	"blog/repo"
	"blog/repo/internal/store"
)

// Picture is one stored picture, without its bytes.
type Picture struct {
	ID          int64     `db:"id"`
	Name        string    `db:"name"`
	ContentType string    `db:"content_type"`
	Width       int       `db:"width"`
	Height      int       `db:"height"`
	Size        int64     `db:"size"`
	CreatedAt   time.Time `db:"created_at"`
}

// Table is the pictures' table.
func (Picture) Table() string { return "pictures" }

// withData is a picture's whole row.
type withData struct {
	ID          int64     `db:"id"`
	Name        string    `db:"name"`
	ContentType string    `db:"content_type"`
	Width       int       `db:"width"`
	Height      int       `db:"height"`
	Size        int64     `db:"size"`
	Data        []byte    `db:"data"`
	CreatedAt   time.Time `db:"created_at"`
}

func (w withData) picture() Picture {
	return Picture{ID: w.ID, Name: w.Name, ContentType: w.ContentType, Width: w.Width, Height: w.Height, Size: w.Size,
		CreatedAt: w.CreatedAt}
}

func (withData) Table() string { return "pictures" }

type source struct {
	ID        int64     `db:"id"`
	URLHash   string    `db:"url_hash"`
	URL       string    `db:"url"`
	Name      string    `db:"name"`
	FetchedAt time.Time `db:"fetched_at"`
}

func (source) Table() string { return "picture_sources" }

// ErrFull refuses a new picture while MaxCount are stored.
var ErrFull = errors.New("the stored pictures are at their bound")

// Store reads and writes pictures.
type Store struct{ db *database.DB }

// New returns the picture store backed by db.
func New(db *database.DB) *Store { return &Store{db: db} }

func hashURL(url string) string {
	sum := sha256.Sum256([]byte(url))
	return hex.EncodeToString(sum[:])
}

// FindBySource returns the picture fetched from url (repo.ErrNotFound when it was not fetched).
func (s *Store) FindBySource(ctx context.Context, url string) (Picture, error) {
	var src source
	if err := s.db.Repo().Find(ctx, &src, where.Eq("url_hash", hashURL(url))); err != nil {
		return Picture{}, repo.Translate(err, "find a picture's source")
	}
	return s.Find(ctx, src.Name)
}

// Find returns the picture named name, without its bytes (repo.ErrNotFound when there is none).
func (s *Store) Find(ctx context.Context, name string) (Picture, error) {
	var p Picture
	err := s.db.Repo().Find(ctx, &p, rel.Select("id", "name", "content_type", "width", "height", "size", "created_at"),
		where.Eq("name", name))
	return p, repo.Translate(err, "find a picture")
}

// Data returns the picture named name with its bytes.
func (s *Store) Data(ctx context.Context, name string) (Picture, []byte, error) {
	var p withData
	err := s.db.Repo().Find(ctx, &p, where.Eq("name", name))
	return p.picture(), p.Data, repo.Translate(err, "read a picture")
}

// Save stores the picture p with its bytes b as what url gave (the same bytes from another address are stored
// once) and returns it as stored. While maxCount pictures are stored (0: no bound) a new one is refused with
// ErrFull; the count is checked one picture after the other, so instances saving at once cannot pass it together.
func (s *Store) Save(ctx context.Context, url string, p Picture, b []byte, maxCount int) (Picture, error) {
	err := s.db.Write(ctx, func(ctx context.Context) error {
		if err := s.db.Lock(ctx, store.LockPictures, "all"); err != nil {
			return err
		}
		now := time.Now().UTC()
		var have Picture
		err := s.db.Repo().Find(ctx, &have, rel.Select("id", "name", "content_type", "width", "height", "size", "created_at"),
			where.Eq("name", p.Name))
		switch {
		case err == nil:
			p = have
		case errors.Is(err, rel.ErrNotFound):
			if maxCount > 0 {
				n, err := s.db.Repo().Count(ctx, "pictures")
				if err != nil {
					return err
				}
				if n >= maxCount {
					return ErrFull
				}
			}
			p.Size, p.CreatedAt = int64(len(b)), now
			row := withData{Name: p.Name, ContentType: p.ContentType, Width: p.Width, Height: p.Height, Size: p.Size,
				Data: b, CreatedAt: p.CreatedAt}
			if err := s.db.Repo().Insert(ctx, &row); err != nil {
				return err
			}
			p = row.picture()
		default:
			return err
		}
		h := hashURL(url)
		n, err := s.db.Repo().UpdateAny(ctx, rel.From("picture_sources").Where(where.Eq("url_hash", h)),
			rel.Set("name", p.Name), rel.Set("fetched_at", now))
		if err != nil || n > 0 {
			return err
		}
		return s.db.Repo().Insert(ctx, &source{URLHash: h, URL: url, Name: p.Name, FetchedAt: now})
	})
	if errors.Is(err, ErrFull) {
		return Picture{}, err
	}
	return p, repo.Translate(err, "store a picture")
}

// Count returns how many pictures are stored.
func (s *Store) Count(ctx context.Context) (int, error) {
	n, err := s.db.Repo().Count(ctx, "pictures")
	return n, repo.Translate(err, "count pictures")
}
