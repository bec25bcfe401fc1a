package comments

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"blog/live/lists"
)

// OrderCookie remembers, in the reader's browser, the order they last chose for comments (a link,
// ?order=newest). It holds only the order's name: every reader who chose one gets the same page.
const OrderCookie = "order"

// Order returns the order a request asks for: the link's (?order=), else the one the browser remembers, else
// oldest first. fromLink reports a valid ?order=, which the answer remembers (Remember).
func Order(c *fiber.Ctx) (o lists.Order, fromLink bool) {
	if o, ok := lists.ParseOrder(c.Query("order")); ok {
		return o, true
	}
	o, _ = lists.ParseOrder(c.Cookies(OrderCookie))
	return o, false
}

// RememberOrder keeps the order the reader chose in their browser for a year.
func RememberOrder(c *fiber.Ctx, o lists.Order, secure bool) {
	c.Cookie(&fiber.Cookie{Name: OrderCookie, Value: string(o), Path: "/", HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode, Secure: secure || c.Protocol() == "https",
		Expires: time.Now().Add(365 * 24 * time.Hour)})
}

// orderName is a list's order's name, oldest when unset.
func orderName(o string) string {
	if o == "" {
		return string(lists.OrderOldest)
	}
	return o
}
