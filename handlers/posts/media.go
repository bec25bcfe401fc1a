package posts

import (
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// mediaTypes are the files served from the content's media folder.
var mediaTypes = map[string]string{
	".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
	".webp": "image/webp", ".avif": "image/avif", ".pdf": "application/pdf",
}

// MaxMedia is the largest media file the blog serves.
const MaxMedia = 20 << 20

// Media streams a file from the content's media folder (images in posts), revalidated by size and time. The
// folder is opened as a root (os.Root) by the program, so a symbolic link that leads outside it is refused;
// a file over MaxMedia is not served.
func (h *Handlers) Media(c *fiber.Ctx) error {
	name := c.Params("*")
	ctype, ok := mediaTypes[strings.ToLower(path.Ext(name))]
	media := h.lib(c).Media
	if !ok || !fs.ValidPath(name) || media == nil {
		return fiber.ErrNotFound
	}
	f, err := media.Open(name)
	if err != nil {
		return fiber.ErrNotFound
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() > MaxMedia {
		f.Close()
		if err == nil && st.Size() > MaxMedia {
			h.cfg.Log.Warn("media file too large to serve", "file", name, "bytes", st.Size(), "max", MaxMedia)
		}
		return fiber.ErrNotFound
	}
	etag := `"` + strconv.FormatInt(st.Size(), 36) + "-" + strconv.FormatInt(st.ModTime().UnixNano(), 36) + `"`
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		f.Close()
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, ctype)
	return c.SendStream(f, int(st.Size())) // closed by the server once sent
}
