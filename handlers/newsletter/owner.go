package newsletter

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"blog/newsletter"
	"blog/views"
)

// MaxImportBody is the largest upload the console's import takes, the server's largest body (about 20,000
// subscribers); the command line takes larger files.
const MaxImportBody = 1 << 20

// OwnerPage is /admin/subscribers: the counts, the export and the import.
func (h *Handlers) OwnerPage(c *fiber.Ctx) error {
	return h.ownerPage(c, fiber.StatusOK, "", "")
}

func (h *Handlers) ownerPage(c *fiber.Ctx, status int, notice, problem string) error {
	counts, err := h.cfg.Service.Counts(c.UserContext())
	if err != nil {
		return err
	}
	v := views.AdminSubscribersView{Confirmed: counts.Confirmed, Waiting: counts.Waiting, Unsubscribed: counts.Unsubscribed,
		Mail: h.cfg.Service.CanSubscribe(), Notice: notice, Error: problem}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return views.Render(c, status, views.AdminSubscribersPage(h.cfg.OwnerChrome(c), v))
}

// OwnerExport downloads every subscriber as CSV.
func (h *Handlers) OwnerExport(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="subscribers-`+time.Now().UTC().Format("2006-01-02")+`.csv"`)
	_, err := h.cfg.Service.Export(c.UserContext(), c.Response().BodyWriter())
	return err
}

// OwnerImport reads an uploaded CSV, all or nothing, and shows what it did or why it was refused.
func (h *Handlers) OwnerImport(c *fiber.Ctx) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return h.ownerPage(c, fiber.StatusUnprocessableEntity, "", "Choose a CSV file to import.")
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := h.cfg.Service.Import(c.UserContext(), f, "import")
	var ie *newsletter.ImportError
	if errors.As(err, &ie) {
		return h.ownerPage(c, fiber.StatusUnprocessableEntity, "", "The file was refused: "+err.Error())
	}
	if err != nil {
		return err
	}
	return h.ownerPage(c, fiber.StatusOK, fmt.Sprintf("Imported: %s read (%d confirmed, %d waiting, %d unsubscribed), %d added, %d changed.",
		strconv.Itoa(res.Read), res.Confirmed, res.Waiting, res.Unsubscribed, res.Added, res.Changed), "")
}
