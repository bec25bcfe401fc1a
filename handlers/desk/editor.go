package desk

import (
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"blog/desk"
	"blog/handlers/web"
	"blog/repo/writing"
	"blog/views"
	deskviews "blog/views/desk"
)

// editor is the editor's view of a stored post, with the form's values in place of its fields when in is set.
func editor(w writing.Writing, in *desk.Input) deskviews.DeskEditor {
	now := time.Now()
	v := deskviews.DeskEditor{ID: w.ID, Slug: w.Slug, Title: w.Title, Summary: w.Summary, Tags: w.Tags, Image: w.Image,
		Comments: w.Comments, Lang: w.Lang, InReplyTo: w.InReplyTo, Body: w.Body, SlugLocked: w.FirstPublishedAt != nil, State: state(w, now),
		PublishAt: stamp(w.PublishAt), Saved: stamp(&w.UpdatedAt), Revision: w.Revision}
	if w.Date != nil {
		v.Date = formatDate(*w.Date)
	}
	if !desk.FollowsTitle(w.Slug, w.Title) {
		v.SlugTyped = w.Slug
	}
	if w.Kind == writing.KindPage {
		v.Page, v.Order = true, strconv.Itoa(w.PageOrder)
	}
	if v.State == deskviews.DeskPublished {
		v.Changed = w.Live != desk.Document(w, false, nil)
	}
	if w.PublishAt != nil && v.State == deskviews.DeskScheduled {
		v.ScheduleAt = w.PublishAt.UTC().Format("2006-01-02T15:04")
	}
	if in != nil {
		v.Title, v.Date, v.Summary, v.Tags, v.Image, v.Comments, v.Lang, v.Body = in.Title, in.Date, in.Summary, in.Tags, in.Image, in.Comments, in.Lang, in.Body
		v.InReplyTo = in.InReplyTo
		if v.Page {
			v.Order = in.Order
		}
		if !v.SlugLocked {
			v.SlugTyped = in.Slug
		}
	}
	return v
}

// formatDate writes a date as the date field takes it: the day alone at midnight UTC.
func formatDate(t time.Time) string {
	t = t.UTC()
	if t.Equal(t.Truncate(24 * time.Hour)) {
		return t.Format(time.DateOnly)
	}
	return t.Format("2006-01-02T15:04")
}

// render shows the editor, its preview rendered from the body it shows.
func (h *Handlers) render(c *fiber.Ctx, status int, v deskviews.DeskEditor) error {
	if v.Preview == "" {
		if html, err := desk.Preview(v.Body); err == nil {
			v.Preview = html
		}
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return views.Render(c, status, deskviews.DeskEditorPage(h.cfg.Chrome(c), v))
}

// Create starts a new post (the list's New post button) and opens it in the editor.
func (h *Handlers) Create(c *fiber.Ctx) error {
	w, errs, err := h.cfg.Desk.Create(c.UserContext(), input(c))
	if errors.Is(err, desk.ErrRefused) {
		return h.renderList(c, fiber.StatusUnprocessableEntity, deskviews.DeskView{Error: firstError(errs)})
	}
	if err != nil {
		return err
	}
	return c.Redirect(editPath(w.ID), fiber.StatusSeeOther)
}

func editPath(id int64) string { return "/admin/posts/" + strconv.FormatInt(id, 10) + "/edit" }

// firstError is one message of errs, for a page that shows one.
func firstError(errs desk.Errors) string {
	for _, k := range []string{"", "title", "slug", "date", "summary", "tags", "image", "comments", "lang", "order", "body", "publish_at"} {
		if errs[k] != "" {
			return errs[k]
		}
	}
	return "The post was not saved."
}

// Edit shows a desk post in the editor.
func (h *Handlers) Edit(c *fiber.Ctx) error {
	w, err := h.find(c)
	if err != nil {
		return err
	}
	v := editor(w, nil)
	v.Notice = map[string]string{"saved": "Saved.", "published": "Published.", "scheduled": "Scheduled.",
		"unpublished": "Unpublished: readers no longer see it.", "restored": "The version is restored: publish to show it to readers."}[c.Query("done")]
	return h.render(c, fiber.StatusOK, v)
}

// Save stores the form (the Save button) and comes back to the editor; refused, the form comes back with the
// owner's text and the messages.
func (h *Handlers) Save(c *fiber.Ctx) error {
	in := input(c)
	w, errs, err := h.cfg.Desk.Save(c.UserContext(), id(c), in, writing.VersionSaved)
	if desk.IsNotFound(err) {
		return fiber.ErrNotFound
	}
	if err != nil && !errors.Is(err, desk.ErrRefused) {
		return err
	}
	if len(errs) > 0 {
		v := editor(w, &in)
		v.Errors = errs
		return h.render(c, fiber.StatusUnprocessableEntity, v)
	}
	h.sync(c, w)
	return c.Redirect(editPath(w.ID)+"?done=saved", fiber.StatusSeeOther)
}

// Autosave stores the form as the owner types (htmx, or the page script when the tab is hidden or closed) and
// answers when it was saved, with the address the slug now gives.
func (h *Handlers) Autosave(c *fiber.Ctx) error {
	w, errs, err := h.cfg.Desk.Save(c.UserContext(), id(c), input(c), writing.VersionAutosave)
	if desk.IsNotFound(err) {
		return fiber.ErrNotFound
	}
	if err != nil && !errors.Is(err, desk.ErrRefused) {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	status := fiber.StatusOK
	if errors.Is(err, desk.ErrRefused) {
		status = fiber.StatusUnprocessableEntity
	}
	var problem string
	if len(errs) > 0 {
		problem = firstError(errs)
	}
	revision := 0
	if status == fiber.StatusOK {
		revision = w.Revision
	}
	return views.Render(c, status, deskviews.DeskAutosaved(stamp(&w.UpdatedAt), problem, w.Slug, w.FirstPublishedAt != nil, w.Kind == writing.KindPage, revision))
}

// Preview renders the body as readers would get it: the preview pane (htmx, as the owner types), or, from the
// Preview button without scripts, the editor again with the form as typed and its preview.
func (h *Handlers) Preview(c *fiber.Ctx) error {
	body := c.FormValue("body")
	html, err := desk.Preview(body)
	if c.Params("id") == "" || web.IsHTMX(c) {
		c.Set(fiber.HeaderCacheControl, "no-store")
		if err != nil {
			return views.Render(c, fiber.StatusUnprocessableEntity, deskviews.DeskPreviewPane(deskviews.DeskPreview{Error: "No preview: " + err.Error() + "."}))
		}
		return views.Render(c, fiber.StatusOK, deskviews.DeskPreviewPane(deskviews.DeskPreview{HTML: html}))
	}
	w, ferr := h.find(c)
	if ferr != nil {
		return ferr
	}
	in := input(c)
	v := editor(w, &in)
	v.Preview = html
	if err != nil {
		v.Errors = map[string]string{"body": "No preview: " + err.Error() + "."}
		return h.render(c, fiber.StatusUnprocessableEntity, v)
	}
	v.Notice = "The preview shows the text below; it is not saved until you save."
	return h.render(c, fiber.StatusOK, v)
}

// Publish saves the form and publishes the post now (schedule: at the form's publish_at), or comes back with
// why not.
func (h *Handlers) Publish(c *fiber.Ctx) error { return h.publish(c, false) }

// Schedule saves the form and schedules the post for its publish_at.
func (h *Handlers) Schedule(c *fiber.Ctx) error { return h.publish(c, true) }

func (h *Handlers) publish(c *fiber.Ctx, later bool) error {
	ctx := c.UserContext()
	in := input(c)
	w, errs, err := h.cfg.Desk.Save(ctx, id(c), in, writing.VersionSaved)
	if desk.IsNotFound(err) {
		return fiber.ErrNotFound
	}
	if err != nil && !errors.Is(err, desk.ErrRefused) {
		return err
	}
	var at *time.Time
	if len(errs) == 0 && later {
		at, err = desk.ParseTime(c.FormValue("publish_at"))
		switch {
		case err != nil:
			errs = desk.Errors{"publish_at": "The time " + err.Error() + "."}
		case at == nil:
			errs = desk.Errors{"publish_at": "Choose when to publish it."}
		}
	}
	if len(errs) == 0 {
		w, errs, err = h.cfg.Desk.Publish(ctx, w.ID, at)
		if err != nil && !errors.Is(err, desk.ErrRefused) {
			return err
		}
	}
	if len(errs) > 0 {
		v := editor(w, &in)
		v.Errors = errs
		v.ScheduleAt = c.FormValue("publish_at")
		return h.render(c, fiber.StatusUnprocessableEntity, v)
	}
	h.sync(c, w)
	done := "published"
	if later {
		done = "scheduled"
	}
	return c.Redirect(editPath(w.ID)+"?done="+done, fiber.StatusSeeOther)
}

// Unpublish saves the form and takes the post down.
func (h *Handlers) Unpublish(c *fiber.Ctx) error {
	ctx := c.UserContext()
	in := input(c)
	w, errs, err := h.cfg.Desk.Save(ctx, id(c), in, writing.VersionSaved)
	if desk.IsNotFound(err) {
		return fiber.ErrNotFound
	}
	if err != nil && !errors.Is(err, desk.ErrRefused) {
		return err
	}
	if len(errs) > 0 {
		v := editor(w, &in)
		v.Errors = errs
		return h.render(c, fiber.StatusUnprocessableEntity, v)
	}
	if w, err = h.cfg.Desk.Unpublish(ctx, w.ID); err != nil {
		return err
	}
	h.sync(c, w)
	return c.Redirect(editPath(w.ID)+"?done=unpublished", fiber.StatusSeeOther)
}

// Delete deletes a post (restorable until purged) and goes back to the list.
func (h *Handlers) Delete(c *fiber.Ctx) error {
	if _, err := h.find(c); err != nil {
		return err
	}
	w, err := h.cfg.Desk.Delete(c.UserContext(), id(c))
	if err != nil {
		return err
	}
	h.sync(c, w)
	return c.Redirect("/admin/posts?done=deleted&post="+w.Slug, fiber.StatusSeeOther)
}

// Restore brings a deleted post back.
func (h *Handlers) Restore(c *fiber.Ctx) error {
	if _, err := h.find(c); err != nil {
		return err
	}
	w, err := h.cfg.Desk.Restore(c.UserContext(), id(c))
	if err != nil {
		return err
	}
	h.sync(c, w)
	return c.Redirect("/admin/posts?done=restored&post="+w.Slug, fiber.StatusSeeOther)
}

// Versions lists a post's kept versions.
func (h *Handlers) Versions(c *fiber.Ctx) error {
	w, err := h.find(c)
	if err != nil {
		return err
	}
	vs, err := h.cfg.Desk.Versions(c.UserContext(), w.ID)
	if err != nil {
		return err
	}
	v := deskviews.DeskVersions{ID: w.ID, Title: w.Title, Max: writing.MaxVersions}
	for _, ver := range vs {
		title := ""
		if p, err := desk.ParseDocument([]byte(ver.Document)); err == nil {
			title = p.Writing.Title
		}
		v.Versions = append(v.Versions, deskviews.DeskVersion{ID: ver.ID, Kind: ver.Kind, Saved: stamp(&ver.SavedAt), Title: title, Size: len(ver.Document)})
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return views.Render(c, fiber.StatusOK, deskviews.DeskVersionsPage(h.cfg.Chrome(c), v))
}

// RestoreVersion makes a kept version the working copy again.
func (h *Handlers) RestoreVersion(c *fiber.Ctx) error {
	w, err := h.cfg.Desk.RestoreVersion(c.UserContext(), id(c), web.ParseID(c.Params("v")))
	if desk.IsNotFound(err) {
		return fiber.ErrNotFound
	}
	if err != nil {
		return err
	}
	h.sync(c, w)
	return c.Redirect(editPath(w.ID)+"?done=restored", fiber.StatusSeeOther)
}
