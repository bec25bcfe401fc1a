// Package pictures is the blog's copy of pictures that other sites name, such as the photo of the author of a
// reply sent by Webmention: given the picture's address, it fetches it once through the safe client (package
// fetch: non-public addresses refused, time and size bounded), takes it for what its bytes are (the rules of
// package uploads), scales it down to a small square, encodes it again (so nothing of the original's metadata or
// trailing data survives), and keeps it in the database (store repo/pictures) under a hash of its bytes. The
// blog then serves it at Prefix+NAME (handlers/pictures), so a page that shows it loads nothing from another
// host. Fetch is meant for background work (the Webmention worker), never a reader's request.
package pictures

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"blog/fetch"
	"blog/repo"
	store "blog/repo/pictures"
)

// Prefix is where pictures are served: /media/p/NAME.
const Prefix = repo.PicturePrefix

// Defaults for Limits.
const (
	// DefaultSize is the side of the square a picture is scaled down to (in pixels; smaller ones stay as they are):
	// three times the 40 pixels a comment's picture is drawn at, for screens of high density.
	DefaultSize = 128
	// DefaultMaxBytes bounds the file fetched.
	DefaultMaxBytes = 2 << 20
	// DefaultMaxPixels bounds the picture's width times height, read from its header before it is decoded.
	DefaultMaxPixels = 16_000_000
	// DefaultMaxCount bounds how many pictures are stored.
	DefaultMaxCount = 20_000
)

// Limits bound one picture and all of them. Zero values take the defaults.
type Limits struct {
	Size      int
	MaxBytes  int64
	MaxPixels int
	MaxCount  int
}

// Fetcher fetches a stranger's address within bounds (fetch.Client); the service asks it for images.
type Fetcher interface {
	Get(ctx context.Context, rawURL, accept string) (*fetch.Response, error)
}

var _ Fetcher = (*fetch.Client)(nil)

// Store is what the service needs of the picture store (repo/pictures.Store).
type Store interface {
	FindBySource(ctx context.Context, url string) (store.Picture, error)
	Find(ctx context.Context, name string) (store.Picture, error)
	Data(ctx context.Context, name string) (store.Picture, []byte, error)
	Save(ctx context.Context, url string, p store.Picture, b []byte, maxCount int) (store.Picture, error)
}

var _ Store = (*store.Store)(nil)

// Errors a caller can tell apart with errors.Is (besides fetch's, which Fetch passes on).
var (
	// ErrNotPicture refuses a file that is not a picture the blog can read (PNG, JPEG, GIF or WebP) or is
	// damaged.
	ErrNotPicture = errors.New("pictures: not a PNG, JPEG, GIF or WebP picture")
	// ErrTooLarge refuses a picture with more pixels than Limits.MaxPixels.
	ErrTooLarge = errors.New("pictures: too many pixels")
	// ErrFull refuses a new picture while Limits.MaxCount are stored.
	ErrFull = store.ErrFull
	// ErrUnavailable is an answer other than 200 from the picture's host.
	ErrUnavailable = errors.New("pictures: the address did not answer with a picture")
)

// Service fetches, checks, scales and keeps pictures; build it with New. It is safe for concurrent use.
type Service struct {
	store  Store
	fetch  Fetcher
	limits Limits
}

// New returns the service storing in st and fetching with f, which should be a fetch.Client whose MaxBytes is
// at least lim.MaxBytes (FetchConfig gives one).
func New(st Store, f Fetcher, lim Limits) *Service {
	if lim.Size <= 0 {
		lim.Size = DefaultSize
	}
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = DefaultMaxBytes
	}
	if lim.MaxPixels <= 0 {
		lim.MaxPixels = DefaultMaxPixels
	}
	if lim.MaxCount <= 0 {
		lim.MaxCount = DefaultMaxCount
	}
	return &Service{store: st, fetch: f, limits: lim}
}

// FetchConfig returns the safe client's settings for pictures: its bounds (10 s, DefaultMaxBytes, 5 redirects),
// with allowPrivate for tests that serve pictures on loopback.
func FetchConfig(allowPrivate bool, userAgent string) fetch.Config {
	return fetch.Config{AllowPrivate: allowPrivate, MaxBytes: DefaultMaxBytes, UserAgent: userAgent}
}

// Limits returns the bounds in force.
func (s *Service) Limits() Limits { return s.limits }

// Fetch returns the blog's own address (Prefix+NAME) of the picture at remoteURL, an absolute http(s) address:
// the one kept from an earlier fetch of that address, or else the picture fetched now, checked, scaled down and
// stored. Errors: fetch.ErrBadURL, fetch.ErrForbiddenAddress, fetch.ErrTooLarge and the rest of fetch's, and
// ErrUnavailable, ErrNotPicture, ErrTooLarge, ErrFull; nothing is stored then.
func (s *Service) Fetch(ctx context.Context, remoteURL string) (string, error) {
	u, err := fetch.Parse(remoteURL)
	if err != nil {
		return "", err
	}
	key := u.String()
	if p, err := s.store.FindBySource(ctx, key); err == nil {
		return Prefix + p.Name, nil
	} else if !errors.Is(err, repo.ErrNotFound) {
		return "", err
	}
	resp, err := s.fetch.Get(ctx, key, "image/png,image/jpeg,image/gif,image/webp;q=0.9,*/*;q=0.1")
	if err != nil {
		return "", err
	}
	if resp.Status != 200 {
		return "", fmt.Errorf("%w: %s answered %d", ErrUnavailable, u.Redacted(), resp.Status)
	}
	if int64(len(resp.Body)) > s.limits.MaxBytes {
		return "", fmt.Errorf("%w: %d bytes", fetch.ErrTooLarge, len(resp.Body))
	}
	out, err := s.Make(resp.Body)
	if err != nil {
		return "", err
	}
	p, err := s.store.Save(ctx, key, store.Picture{Name: out.Name, ContentType: out.ContentType, Width: out.Width,
		Height: out.Height}, out.Data, s.limits.MaxCount)
	if err != nil {
		return "", err
	}
	return Prefix + p.Name, nil
}

// validName is what Make names a picture: a hash of its bytes and its type's extension.
var validName = regexp.MustCompile(`^[0-9a-f]{24}\.(png|jpg)$`)

// Local reports whether path is a picture address the blog gives (Prefix+NAME), so that a view drawing a stored
// path never draws anything else.
func Local(path string) bool {
	name, ok := strings.CutPrefix(path, Prefix)
	return ok && validName.MatchString(name)
}

// Open returns the picture named name (from Prefix+NAME) with its bytes; repo.ErrNotFound when there is none
// or the name is not one the blog gives.
func (s *Service) Open(ctx context.Context, name string) (store.Picture, []byte, error) {
	if !validName.MatchString(name) {
		return store.Picture{}, nil, repo.ErrNotFound
	}
	return s.store.Data(ctx, name)
}
