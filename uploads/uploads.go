// Package uploads is the rules of the images the owner uploads for posts: an image is taken for what its bytes
// are (PNG, JPEG, GIF, WebP, AVIF or SVG), never for its file's name; it is bounded in bytes and in pixels (read
// from its header, so a small file that would decode into gigabytes is refused before anything is decoded); its
// metadata that says where, when and with what it was taken is removed; it is named by a hash of what is
// stored, so the same image uploaded twice is one image and its address never changes what it shows; all the
// images together are bounded in number and bytes. An image may stand in for another in the dark theme. The
// images are kept in the database (store repo/uploads) so that every instance on one database serves them.
// Every path that stores an image (the console's form, the editor's script) passes Upload.
package uploads

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"blog/imagefile"
	"blog/repo"
	store "blog/repo/uploads"
)

// Prefix is where uploaded images are served: /media/u/NAME.
const Prefix = "/media/u/"

// Defaults for Limits.
const (
	DefaultMaxBytes  = 10 << 20
	DefaultMaxPixels = 50_000_000
	DefaultMaxCount  = 10_000
	DefaultMaxTotal  = 2 << 30
	// MaxAlt bounds an image's alternative text.
	MaxAlt = 500
)

// Limits bound one image and all of them.
type Limits struct {
	// MaxBytes bounds one file; MaxPixels its width times height.
	MaxBytes  int
	MaxPixels int
	// MaxCount and MaxTotal bound all the stored images: how many, and their bytes.
	MaxCount int
	MaxTotal int64
}

// Store is what the rules need from the upload store (repo/uploads.Store).
type Store interface {
	Create(ctx context.Context, u store.Upload, b []byte, lim store.Limits) (store.Upload, bool, error)
	List(ctx context.Context) ([]store.Upload, error)
	Find(ctx context.Context, name string) (store.Upload, error)
	Data(ctx context.Context, name string) (store.Upload, []byte, error)
	Dark(ctx context.Context, name string) (store.Upload, error)
	FindByOriginal(ctx context.Context, original string) (store.Upload, error)
	Totals(ctx context.Context) (int, int64, error)
	Delete(ctx context.Context, name string) error
}

var _ Store = (*store.Store)(nil)

// Service applies the rules; build it with New.
type Service struct {
	store  Store
	limits Limits
	usedBy UsedBy
}

// UsedBy names the posts that show an image (desk.Service.ImageUsers): at most a few, and whether there are more.
type UsedBy func(ctx context.Context, name string) (users []string, more bool, err error)

// Option configures a Service.
type Option func(*Service)

// CheckUse has Delete refuse an image that posts show, naming them (fn says which).
func CheckUse(fn UsedBy) Option { return func(s *Service) { s.usedBy = fn } }

// New returns the rules over st; zero limits take the defaults.
func New(st Store, lim Limits, opts ...Option) *Service {
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = DefaultMaxBytes
	}
	if lim.MaxPixels <= 0 {
		lim.MaxPixels = DefaultMaxPixels
	}
	if lim.MaxCount <= 0 {
		lim.MaxCount = DefaultMaxCount
	}
	if lim.MaxTotal <= 0 {
		lim.MaxTotal = DefaultMaxTotal
	}
	s := &Service{store: st, limits: lim}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Limits returns the bounds in force.
func (s *Service) Limits() Limits { return s.limits }

// Refusal is an image that is not taken, with the sentence that says why.
type Refusal struct {
	Msg string
	// TooLarge marks a refusal for size (HTTP 413), the rest being what the file is (422).
	TooLarge bool
}

func (r *Refusal) Error() string { return r.Msg }

func refuse(format string, args ...any) error { return &Refusal{Msg: fmt.Sprintf(format, args...)} }

// Input is one image to upload.
type Input struct {
	// Filename is the file's name on the owner's computer: shown in the console, and a name such as
	// diagram.dark.png makes the image the dark variant of the newest upload named diagram.png.
	Filename string
	Data     []byte
	Alt      string
	// DarkOf, when set, names the uploaded image (NAME or /media/u/NAME) this one stands in for in the dark theme.
	DarkOf string
}

// Image is an uploaded image as the owner sees it.
type Image struct {
	store.Upload
	// Existed is true when the same image had been uploaded before (nothing new was stored).
	Existed bool
}

// URL is the image's address.
func (i Image) URL() string { return Prefix + i.Name }

// Markdown is the image as Markdown, with its alternative text.
func (i Image) Markdown() string { return Markdown(i.Name, i.Alt) }

// Markdown returns ![alt](/media/u/name), the alternative text on one line with Markdown's brackets escaped.
func Markdown(name, alt string) string {
	alt = strings.Join(strings.Fields(alt), " ")
	alt = strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`).Replace(alt)
	return "![" + alt + "](" + Prefix + name + ")"
}

// Upload checks in's image, removes its metadata and stores it. A refusal (*Refusal) stores nothing.
func (s *Service) Upload(ctx context.Context, in Input) (Image, error) {
	if len(in.Data) == 0 {
		return Image{}, refuse("Choose an image file to upload: this one is empty.")
	}
	if len(in.Data) > s.limits.MaxBytes {
		return Image{}, &Refusal{Msg: fmt.Sprintf("This file is %s; an image can be at most %s.", Size(int64(len(in.Data))), Size(int64(s.limits.MaxBytes))), TooLarge: true}
	}
	alt := strings.Join(strings.Fields(in.Alt), " ")
	if utf8.RuneCountInString(alt) > MaxAlt || !utf8.ValidString(alt) {
		return Image{}, refuse("The description can be at most %d characters.", MaxAlt)
	}
	original := cleanFilename(in.Filename)
	kind, ok := imagefile.Sniff(in.Data)
	if !ok {
		return Image{}, refuse("This file is not an image the blog takes (its content is %s, whatever its name says): upload a PNG, JPEG, GIF, WebP, AVIF or SVG image.", imagefile.ContentSays(in.Data))
	}
	b, w, h, err := s.clean(kind, in.Data)
	if err != nil {
		return Image{}, err
	}
	darkOf, err := s.darkOf(ctx, in.DarkOf, original)
	if err != nil {
		return Image{}, err
	}
	sum := sha256.Sum256(b)
	u := store.Upload{Name: hex.EncodeToString(sum[:12]) + kind.Ext, ContentType: kind.ContentType, Width: w, Height: h,
		Original: original, Alt: alt, DarkOf: darkOf}
	if darkOf == u.Name {
		return Image{}, refuse("An image cannot be its own dark variant.")
	}
	u, existed, err := s.store.Create(ctx, u, b, store.Limits{MaxCount: s.limits.MaxCount, MaxBytes: s.limits.MaxTotal})
	if errors.Is(err, store.ErrFull) {
		return Image{}, &Refusal{Msg: fmt.Sprintf("The blog holds as many images as it may (%d images, %s at most): delete some in the console first.", s.limits.MaxCount, Size(s.limits.MaxTotal)), TooLarge: true}
	}
	if err != nil {
		return Image{}, err
	}
	if existed && u.Alt == "" {
		u.Alt = alt
	}
	return Image{Upload: u, Existed: existed}, nil
}

// clean checks the image's size in pixels and removes its metadata; it returns the bytes to store.
func (s *Service) clean(kind imagefile.Kind, b []byte) ([]byte, int, int, error) {
	if kind == imagefile.SVG {
		if err := imagefile.CheckSVG(b); err != nil {
			return nil, 0, 0, &Refusal{Msg: err.Error()}
		}
		return b, 0, 0, nil
	}
	w, h, err := imagefile.Dimensions(kind, b)
	if err != nil || w <= 0 || h <= 0 {
		return nil, 0, 0, refuse("This %s image could not be read (its header is damaged or incomplete).", kind.Label)
	}
	if int64(w)*int64(h) > int64(s.limits.MaxPixels) {
		return nil, 0, 0, &Refusal{Msg: fmt.Sprintf("This image is %d×%d pixels; an image can have at most %s pixels (%.0f megapixels). Make it smaller and upload it again.", w, h, groupDigits(s.limits.MaxPixels), float64(s.limits.MaxPixels)/1e6), TooLarge: true}
	}
	out, err := imagefile.Strip(kind, b)
	if errors.Is(err, imagefile.ErrAVIFLayout) {
		return nil, 0, 0, refuse("This AVIF image keeps its metadata (EXIF, XMP) where the blog cannot remove it with certainty, so it is not taken: export it again without metadata, or as JPEG, PNG or WebP, and upload it again.")
	}
	if err != nil {
		return nil, 0, 0, refuse("This %s image could not be read (its structure is damaged).", kind.Label)
	}
	// What is stored must still be the image that was checked.
	if w2, h2, err := imagefile.Dimensions(kind, out); err != nil || w2 != w || h2 != h {
		return nil, 0, 0, refuse("This %s image could not be read (its structure is damaged).", kind.Label)
	}
	return out, w, h, nil
}

// darkOf resolves which image the upload stands in for in the dark theme: the one named (which must exist), or
// for a file named NAME.dark.EXT the newest upload of NAME.EXT, if there is one.
func (s *Service) darkOf(ctx context.Context, named, original string) (string, error) {
	named = strings.TrimPrefix(strings.TrimSpace(named), Prefix)
	if named != "" {
		u, err := s.store.Find(ctx, named)
		if errors.Is(err, repo.ErrNotFound) {
			return "", refuse("There is no uploaded image %q to be the dark variant of.", named)
		}
		if err != nil {
			return "", err
		}
		if u.DarkOf != "" {
			return "", refuse("That image is itself a dark variant; choose the light one.")
		}
		return u.Name, nil
	}
	ext := path.Ext(original)
	stem := strings.TrimSuffix(original, ext)
	if !strings.HasSuffix(stem, ".dark") {
		return "", nil
	}
	light, err := s.store.FindByOriginal(ctx, strings.TrimSuffix(stem, ".dark")+ext)
	if errors.Is(err, repo.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if light.DarkOf != "" {
		return "", nil
	}
	return light.Name, nil
}

// cleanFilename keeps the base of a file's name, in valid UTF-8, at most 255 bytes.
func cleanFilename(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	for len(name) > 255 {
		_, n := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-n]
	}
	return name
}

// List returns every uploaded image, newest first.
func (s *Service) List(ctx context.Context) ([]Image, error) {
	us, err := s.store.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Image, len(us))
	for i, u := range us {
		out[i] = Image{Upload: u}
	}
	return out, nil
}

// Totals returns how many images are stored and their bytes.
func (s *Service) Totals(ctx context.Context) (int, int64, error) { return s.store.Totals(ctx) }

// Delete removes an uploaded image (repo.ErrNotFound when there is none); images that were its dark variant
// become plain images. An image a post or page shows is refused (a Refusal naming them): deleted, it would be a
// broken image in each, and its bytes cannot be brought back; the owner takes it out of them first.
func (s *Service) Delete(ctx context.Context, name string) error {
	if _, err := s.store.Find(ctx, name); err != nil {
		return err
	}
	if s.usedBy != nil {
		users, more, err := s.usedBy(ctx, name)
		if err != nil {
			return err
		}
		if len(users) > 0 {
			list := strings.Join(users, ", ")
			if more {
				list += " and more"
			}
			return refuse("This image is shown by %s. Take it out of them first (or replace it), then delete it.", list)
		}
	}
	return s.store.Delete(ctx, name)
}

// Served is an image to send: its row, and whether its address names a fixed content (so it may be kept for
// good) or a dark-theme alias that may change.
type Served struct {
	store.Upload
	Immutable bool
}

// Resolve returns the image at /media/u/name, without its bytes (so a revalidation reads none).
// NAME.dark.EXT is the dark-theme address of NAME.EXT (which the renderer gives every uploaded image in posts):
// it is NAME.EXT's newest dark variant, or NAME.EXT itself while it has none, so a variant uploaded later reaches
// readers without touching any post.
func (s *Service) Resolve(ctx context.Context, name string) (Served, error) {
	ext := path.Ext(name)
	if _, ok := imagefile.KindOf(ext); !ok {
		return Served{}, repo.ErrNotFound
	}
	light, isDark := strings.CutSuffix(strings.TrimSuffix(name, ext), ".dark")
	if !isDark {
		u, err := s.store.Find(ctx, name)
		return Served{Upload: u, Immutable: true}, err
	}
	u, err := s.store.Find(ctx, light+ext)
	if err != nil {
		return Served{}, err
	}
	dark, err := s.store.Dark(ctx, u.Name)
	switch {
	case err == nil:
		return Served{Upload: dark}, nil
	case errors.Is(err, repo.ErrNotFound):
		return Served{Upload: u}, nil
	}
	return Served{}, err
}

// Bytes returns the stored bytes of the image named name (as Resolve named it).
func (s *Service) Bytes(ctx context.Context, name string) ([]byte, error) {
	_, b, err := s.store.Data(ctx, name)
	return b, err
}

// Size writes a number of bytes for people, in the binary units the settings take: 512 bytes, 34 KiB, 2.5 MiB.
func Size(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return trimZero(fmt.Sprintf("%.0f", float64(n)/(1<<10))) + " KiB"
	case n < 1<<30:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<20))) + " MiB"
	}
	return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<30))) + " GiB"
}

func trimZero(s string) string { return strings.TrimSuffix(s, ".0") }

func groupDigits(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
