package console

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"blog/handlers/web"
	"blog/moderation"
	"blog/views/console"
)

// Reply publishes the owner's answer to a comment, written in the console, through moderation as the
// owner (a pending comment is approved with it): published at once with the author badge, it reaches every open
// page of the post live, on every instance. A plain form is redirected to the console (post/redirect/get) with a
// notice that links to the reply; htmx gets the console's results with that notice. A reply that cannot be
// published comes back with status 422, its text kept and the reason beside the field.
func (h *Handlers) Reply(c *fiber.Ctx) error {
	id := web.ParseID(c.Params("id"))
	back := returnPath(c.FormValue("return"))
	body := strings.Clone(c.FormValue("body"))
	reply, st, moved, err := h.cfg.Moderation.Reply(moderation.AsOwner(c.UserContext()),
		moderation.Reply{To: id, Name: h.cfg.Author, Body: body})
	var bad moderation.ErrBadReply
	if errors.As(err, &bad) {
		return h.consoleWith(c, back, fiber.StatusUnprocessableEntity, "", "Your reply to comment "+strconv.FormatInt(id, 10)+
			" is not published: "+bad.Msg, func(v *console.ConsoleView) {
			v.Reply = console.ReplyDraft{To: id, Body: body, Error: bad.Msg}
		})
	}
	if err != nil {
		return err
	}
	// The owner's next page (and the post they may open from the notice) shows the reply and the approval.
	web.SyncMoved(c, h.cfg.Broker, moved)
	web.Sync(c, h.cfg.Broker, reply.PostID, st.Seq)
	if !web.IsHTMX(c) {
		return c.Redirect(withDoneCode(back, "reply:"+strconv.FormatInt(reply.ID, 10)), fiber.StatusSeeOther)
	}
	replied, err := h.consoleComment(c, reply.ID)
	if err != nil {
		return err
	}
	return h.consoleWith(c, back, fiber.StatusOK, "", "", func(v *console.ConsoleView) { v.Replied = replied })
}

// repliedDone reads the console's done=reply:ID: the owner's reply just published.
func repliedDone(done string) (int64, bool) {
	code, id, ok := strings.Cut(done, ":")
	n := web.ParseID(id)
	return n, ok && code == "reply" && n > 0
}

// withDoneCode adds done=code to a console address.
func withDoneCode(back, code string) string {
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	return back + sep + "done=" + code
}
