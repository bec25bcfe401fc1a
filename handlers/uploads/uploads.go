// Package uploads serves the owner's image uploads: the upload itself (JSON for the editor's script, the Images
// page for a plain form), the Images page that lists them, deleting one, and serving the images to everyone at
// /media/u/NAME from the database, so every instance on one database serves the same images.
package uploads

import (
	"context"
	"errors"
	"io"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"

	"blog/imagefile"
	"blog/repo"
	"blog/uploads"
	"blog/views"
)

// Service is the rules every upload passes (uploads.Service).
type Service interface {
	Upload(ctx context.Context, in uploads.Input) (uploads.Image, error)
	List(ctx context.Context) ([]uploads.Image, error)
	Totals(ctx context.Context) (int, int64, error)
	Delete(ctx context.Context, name string) error
	Resolve(ctx context.Context, name string) (uploads.Served, error)
	Bytes(ctx context.Context, name string) ([]byte, error)
	Limits() uploads.Limits
}

var _ Service = (*uploads.Service)(nil)

// Config is what the handlers are built from.
type Config struct {
	Uploads Service
	// OwnerChrome is the layout's data for a signed-in page (signin.Handlers.Chrome).
	OwnerChrome func(c *fiber.Ctx) views.Chrome
}

// Handlers serve the uploads.
type Handlers struct{ cfg Config }

// New returns the handlers.
func New(cfg Config) *Handlers { return &Handlers{cfg: cfg} }

// BodyLimit is how large a request to POST /admin/uploads may be: the largest image and room for the form.
func BodyLimit(lim uploads.Limits) int { return lim.MaxBytes + 64<<10 }

// wantsJSON reports a script's request (fetch, htmx) rather than a plain form's, which asks for a page.
func wantsJSON(c *fiber.Ctx) bool {
	accept := c.Get(fiber.HeaderAccept)
	return c.Get("HX-Request") == "true" || strings.Contains(accept, fiber.MIMEApplicationJSON) ||
		!strings.Contains(accept, fiber.MIMETextHTML)
}

// Upload stores the form's image (field file, optional alt and dark_of). A script gets
// {"url":…,"markdown":…} (201, or 200 when the image was there already) or {"error":…} with a 4xx; a plain
// form gets the Images page showing the image and its Markdown, or the page with the sentence.
func (h *Handlers) Upload(c *fiber.Ctx) error {
	in := uploads.Input{Alt: strings.Clone(c.FormValue("alt")), DarkOf: strings.Clone(c.FormValue("dark_of"))}
	// Without a file (or with no multipart form at all) Data stays empty, and the rules say what to do.
	if fh, err := c.FormFile("file"); err == nil {
		in.Filename = fh.Filename
		max := int64(h.cfg.Uploads.Limits().MaxBytes)
		if fh.Size > max {
			in.Data = make([]byte, max+1) // refused for its size, never read
		} else {
			f, err := fh.Open()
			if err != nil {
				return err
			}
			in.Data, err = io.ReadAll(io.LimitReader(f, max+1))
			f.Close()
			if err != nil {
				return err
			}
		}
	}
	img, err := h.cfg.Uploads.Upload(c.UserContext(), in)
	var refusal *uploads.Refusal
	switch {
	case errors.As(err, &refusal):
		status := fiber.StatusUnprocessableEntity
		if refusal.TooLarge {
			status = fiber.StatusRequestEntityTooLarge
		}
		return h.refuse(c, status, refusal.Msg, in)
	case err != nil:
		return err
	}
	status := fiber.StatusCreated
	if img.Existed {
		status = fiber.StatusOK
	}
	if wantsJSON(c) {
		return c.Status(status).JSON(fiber.Map{"url": img.URL(), "markdown": img.Markdown(), "name": img.Name,
			"width": img.Width, "height": img.Height, "size": img.Size, "existed": img.Existed})
	}
	item := item(img, nil)
	return h.page(c, status, views.UploadsView{Just: &item, JustExisted: img.Existed})
}

func (h *Handlers) refuse(c *fiber.Ctx, status int, msg string, in uploads.Input) error {
	if wantsJSON(c) {
		return c.Status(status).JSON(fiber.Map{"error": msg})
	}
	return h.page(c, status, views.UploadsView{Error: msg, Alt: in.Alt, DarkOf: in.DarkOf})
}

// Page is /admin/uploads: the uploaded images, the form, and a field to try drag-and-drop and paste in.
func (h *Handlers) Page(c *fiber.Ctx) error {
	v := views.UploadsView{}
	if c.Query("done") == "deleted" {
		v.Notice = "Image deleted. No post or page showed it."
	}
	return h.page(c, fiber.StatusOK, v)
}

func (h *Handlers) page(c *fiber.Ctx, status int, v views.UploadsView) error {
	ctx := c.UserContext()
	imgs, err := h.cfg.Uploads.List(ctx)
	if err != nil {
		return err
	}
	dark := map[string]string{}
	for _, im := range imgs {
		if im.DarkOf != "" {
			if _, ok := dark[im.DarkOf]; !ok {
				dark[im.DarkOf] = im.Name // newest first: the newest variant is the one served
			}
		}
	}
	for _, im := range imgs {
		v.Images = append(v.Images, item(im, dark))
	}
	n, total, err := h.cfg.Uploads.Totals(ctx)
	if err != nil {
		return err
	}
	lim := h.cfg.Uploads.Limits()
	v.Count, v.Total, v.Limit, v.MaxCount = n, uploads.Size(total), uploads.Size(lim.MaxTotal), lim.MaxCount
	v.MaxFile = uploads.Size(int64(lim.MaxBytes))
	return views.Render(c, status, views.UploadsPage(h.cfg.OwnerChrome(c), v))
}

func item(im uploads.Image, dark map[string]string) views.UploadItem {
	return views.UploadItem{Name: im.Name, URL: im.URL(), Markdown: im.Markdown(), Size: uploads.Size(im.Size),
		Original: im.Original, Alt: im.Alt, ContentType: im.ContentType, Width: im.Width, Height: im.Height,
		DarkOf: im.DarkOf, Dark: dark[im.Name]}
}

// Delete removes the image named in the address.
func (h *Handlers) Delete(c *fiber.Ctx) error {
	err := h.cfg.Uploads.Delete(c.UserContext(), c.Params("name"))
	var refusal *uploads.Refusal
	switch {
	case errors.Is(err, repo.ErrNotFound):
		return h.page(c, fiber.StatusNotFound, views.UploadsView{Error: "There is no such image (deleted already?)."})
	case errors.As(err, &refusal):
		return h.page(c, fiber.StatusConflict, views.UploadsView{Error: refusal.Msg})
	}
	if err != nil {
		return err
	}
	return c.Redirect("/admin/uploads?done=deleted", fiber.StatusSeeOther)
}

// validName is what Check names an image: a hash, .dark for the dark-theme address, and an image type's
// extension.
var validName = regexp.MustCompile(`^[0-9a-f]{24}(\.dark)?\.(png|jpg|gif|webp|avif|svg)$`)

// Serve sends /media/u/NAME. An image's own name never changes what it shows, so it is kept for a year; the
// dark-theme address (NAME.dark.EXT) may start showing a variant uploaded later, so it is checked again after
// five minutes. Every image goes with a policy under which nothing in it can run (an SVG opened at its address
// runs no script, and is offered as a download); ETags are the stored bytes' hash.
func (h *Handlers) Serve(c *fiber.Ctx) error {
	name := c.Params("name")
	if !validName.MatchString(name) {
		return fiber.ErrNotFound
	}
	img, err := h.cfg.Uploads.Resolve(c.UserContext(), name)
	if errors.Is(err, repo.ErrNotFound) {
		return fiber.ErrNotFound
	}
	if err != nil {
		return err
	}
	etag := `"` + strings.TrimSuffix(img.Name, "."+extOf(img.Name)) + `"`
	c.Set(fiber.HeaderETag, etag)
	if img.Immutable {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	}
	c.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox")
	c.Set("Cross-Origin-Resource-Policy", "same-origin")
	if img.ContentType == imagefile.SVG.ContentType {
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+img.Name+`"`)
	}
	if match := c.Get(fiber.HeaderIfNoneMatch); match != "" && strings.Contains(match, etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	data, err := h.cfg.Uploads.Bytes(c.UserContext(), img.Name)
	if errors.Is(err, repo.ErrNotFound) {
		return fiber.ErrNotFound // deleted meanwhile
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, img.ContentType)
	c.Response().SetBodyRaw(data)
	return nil
}

func extOf(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return ""
}
