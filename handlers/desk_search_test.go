package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"blog/database"
	"blog/internal/dbtest"
)

// TestDeskIndexesInItsOwnTransaction: a desk post is found by a search right after the desk's answer to
// publishing, restoring or publishing changes, and no longer found right after unpublishing, deleting or putting
// it off to a later time, on an instance that does not read its content again: the index changed in the desk's
// own transaction. SQLite and PostgreSQL.
func TestDeskIndexesInItsOwnTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestAppReloading(t, db, false)
		o := a.owner(t)
		reader := a.newClient()
		found := func(word string) bool {
			t.Helper()
			out := reader.page(t, "/search?q="+url.QueryEscape(word))
			return strings.Contains(out, `href="/posts/indexed-at-once"`)
		}
		step := func(what, path string, form url.Values) {
			t.Helper()
			if r, out := o.post(t, path, form, false); r.StatusCode != http.StatusSeeOther {
				t.Fatalf("%s: %d %s", what, r.StatusCode, out)
			}
		}
		p := newDeskPost(t, o)
		step("save", p, deskForm("Indexed at once", "The quokka smiles."))
		if found("quokka") {
			t.Fatal("a draft is found")
		}
		step("publish", p+"/publish", deskForm("Indexed at once", "The quokka smiles."))
		if !found("quokka") {
			t.Fatal("a post is not found right after it is published")
		}
		if r, _ := reader.get(t, "/posts/indexed-at-once"); r.StatusCode != http.StatusNotFound {
			t.Fatal("this instance read its content again: the test proves nothing")
		}
		step("publish changes", p+"/publish", deskForm("Indexed at once", "The wombat digs."))
		if !found("wombat") || found("quokka") {
			t.Fatal("published changes are not what is found")
		}
		step("unpublish", p+"/unpublish", url.Values{})
		if found("wombat") {
			t.Fatal("an unpublished post is still found")
		}
		step("publish again", p+"/publish", deskForm("Indexed at once", "The wombat digs."))
		step("delete", p+"/delete", url.Values{})
		if found("wombat") {
			t.Fatal("a deleted post is still found")
		}
		step("restore", p+"/restore", url.Values{})
		if !found("wombat") {
			t.Fatal("a restored post is not found")
		}
		later := time.Now().UTC().Add(time.Hour).Format("2006-01-02T15:04")
		step("put off", p+"/schedule", deskForm("Indexed at once", "The wombat digs.", "publish_at", later))
		if found("wombat") {
			t.Fatal("a post put off to a later time is still found")
		}
	})
}
