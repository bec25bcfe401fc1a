package handlers_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"blog/repo"
)

// hostileCase is one odd or hostile request. stored says whether it should add a comment (rendered inert).
type hostileCase struct {
	name    string
	method  string
	path    string
	body    string // raw body; when empty and form is set, the form is url-encoded
	form    url.Values
	ctype   string
	status  []int
	stored  bool
	noToken bool
}

func fields(username, email, body string) url.Values { return form(username, email, body) }

func hostileCases() []hostileCase {
	ok := "Ann"
	mail := "ann@example.com"
	rep := strings.Repeat
	post := "/posts/hello-world/comments"
	c := func(name string, f url.Values, stored bool, status ...int) hostileCase {
		return hostileCase{name: name, method: "POST", path: post, form: f, stored: stored, status: status}
	}
	get := func(name, path string, status ...int) hostileCase {
		return hostileCase{name: name, method: "GET", path: path, status: status}
	}
	return []hostileCase{
		c("script tag in comment", fields(ok, mail, `<script>alert(1)</script>`), true, 303),
		c("script tag in name", fields(`<script>alert(1)</script>`, mail, "hi"), true, 303),
		c("img onerror in comment", fields(ok, mail, `<img src=x onerror=alert(1)>`), true, 303),
		c("attribute breakout in name", fields(`" onmouseover="alert(1)`, mail, "hi"), true, 303),
		c("svg onload in name", fields(`<svg onload=alert(1)>`, mail, "hi"), true, 303),
		c("javascript URL in comment", fields(ok, mail, `[x](javascript:alert(1)) <a href="javascript:alert(1)">x</a>`), true, 303),
		c("iframe in comment", fields(ok, mail, `<iframe src="//evil.example"></iframe>`), true, 303),
		c("style tag in comment", fields(ok, mail, `<style>body{display:none}</style>`), true, 303),
		c("htmx attributes in comment", fields(ok, mail, `<div hx-get="/x" hx-trigger="load">x</div>`), true, 303),
		c("SQL in comment", fields(ok, mail, `'; DROP TABLE comments; --`), true, 303),
		c("SQL in name", fields(`Robert'); DROP TABLE users;--`, mail, "hi"), true, 303),
		c("SQL in email", fields(ok, `a'or'1'='1@example.com`, "hi"), true, 303, 422),
		c("UNION in email", fields(ok, `x@y.co UNION SELECT 1`, "hi"), false, 422),
		c("entity text in name", fields(`&lt;b&gt;`, mail, "&amp; &#60;"), true, 303),
		c("textarea breakout on error", fields(ok, "bad", `</textarea><script>alert(1)</script>`), false, 422),
		c("input breakout on error", fields(`"><script>alert(1)</script>`, "bad", "hi"), false, 422),
		c("invalid UTF-8 comment", fields(ok, mail, "a\xff\xfeb"), false, 422),
		c("invalid UTF-8 name", fields("\xc3\x28", mail, "hi"), false, 422),
		c("invalid UTF-8 email", fields(ok, "a\xff@example.com", "hi"), false, 422),
		c("NUL in name", fields("a\x00b", mail, "hi"), false, 422),
		c("NUL in comment", fields(ok, mail, "a\x00b"), false, 422),
		c("NUL in email", fields(ok, "a\x00@example.com", "hi"), false, 422),
		c("escape sequence in comment", fields(ok, mail, "\x1b[31mred"), false, 422),
		c("bell in name", fields("a\x07", mail, "hi"), false, 422),
		c("DEL in comment", fields(ok, mail, "a\x7fb"), false, 422),
		c("C1 control in comment", fields(ok, mail, "a\u0085b"), false, 422),
		c("carriage returns in comment", fields(ok, mail, "one\r\ntwo\rthree"), true, 303),
		c("newline header injection in email", fields(ok, "a@example.com\nBcc: x@y.z", "hi"), false, 422),
		c("RTL override in comment", fields(ok, mail, "abc\u202eedcba"), true, 303),
		c("Markdown javascript link", fields(ok, mail, "[click](javascript:alert(1))"), true, 303),
		c("Markdown javascript link with spaces", fields(ok, mail, "[click]( javascript:alert(1) )"), true, 303),
		c("Markdown data link", fields(ok, mail, "[x](data:text/html;base64,PHNjcmlwdD4=)"), true, 303),
		c("Markdown image with script", fields(ok, mail, "![x](javascript:alert(1)) ![y](https://evil.example/p.png)"), true, 303),
		c("Markdown link with a title attribute", fields(ok, mail, `[x](https://ok.example "t\" onclick=\"alert(1)")`), true, 303),
		c("Markdown autolink to a script", fields(ok, mail, "<javascript:alert(1)> <vbscript:msgbox(1)>"), true, 303),
		c("raw HTML in Markdown", fields(ok, mail, "<a href=\"javascript:1\">x</a><img src=x onerror=alert(1)><iframe src=//e></iframe>"), true, 303),
		c("style and script in Markdown", fields(ok, mail, "<style>body{display:none}</style>\n\n<script>alert(1)</script>"), true, 303),
		c("HTML inside a quote and a list", fields(ok, mail, "> <svg onload=alert(1)>\n\n- <b onmouseover=x>y</b>"), true, 303),
		c("code span with a tag", fields(ok, mail, "`<script>alert(1)</script>`"), true, 303),
		c("RTL override in name", fields("admin\u202enimda", mail, "hi"), false, 422),
		c("isolate in name", fields("a\u2066b", mail, "hi"), false, 422),
		c("zero-width only comment", fields(ok, mail, "\u200b\u200c\u200d\ufeff"), false, 422),
		c("zero-width only name", fields("\u200b\ufeff", mail, "hi"), false, 422),
		c("zero-width joiner inside name", fields("👩\u200d💻 Ann", mail, "hi"), true, 303),
		c("zero-width space in email domain", fields(ok, "ann@exa\u200bmple.com", "hi"), false, 422),
		c("zero-width joiner in email", fields(ok, "an\u200dn@example.com", "hi"), false, 422),
		c("word joiner in email domain", fields(ok, "ann@example\u2060.com", "hi"), false, 422),
		c("64 emoji name", fields(rep("😀", 64), mail, "hi"), true, 303),
		c("65 emoji name", fields(rep("😀", 65), mail, "hi"), false, 422),
		c("5000 emoji comment", fields(ok, mail, rep("😀", 5000)), true, 303),
		c("5001 emoji comment", fields(ok, mail, rep("😀", 5001)), false, 422),
		c("combining marks at the limit", fields(ok, mail, "e"+rep("\u0301", 4999)), true, 303),
		c("combining marks over the limit", fields(ok, mail, "e"+rep("\u0301", 5000)), false, 422),
		c("combining marks piled on a name", fields("Z"+rep("\u0336", 63), mail, "hi"), false, 422),
		c("accents a name needs", fields("Nguyễn Thị Ảnh", mail, "hi"), true, 303),
		c("four marks on one letter", fields("a\u0301\u0302\u0303\u0304", mail, "hi"), true, 303),
		c("Hangul filler name", fields("\u3164\u3164", mail, "hi"), false, 422),
		c("Braille blank name", fields("\u2800", mail, "hi"), false, 422),
		c("half-width Hangul filler name", fields("\uffa0", mail, "hi"), false, 422),
		c("format character inside name", fields("Ann\u2061Bob", mail, "hi"), false, 422),
		c("combining marks only name", fields("\u0301\u0302", mail, "hi"), false, 422),
		c("whitespace-only name", fields(" \t\u00a0 ", mail, "hi"), false, 422),
		c("whitespace-only comment", fields(ok, mail, " \n\t\r\n "), false, 422),
		c("whitespace-only email", fields(ok, "   ", "hi"), false, 422),
		c("1 MB comment", fields(ok, mail, rep("a", 1<<20)), false, 413),
		c("1 MB name", fields(rep("a", 1<<20), mail, "hi"), false, 413),
		c("missing every field", url.Values{}, false, 422),
		c("missing email field", url.Values{"username": {ok}, "body": {"hi"}}, false, 422),
		c("missing comment field", url.Values{"username": {ok}, "email": {mail}}, false, 422),
		c("repeated name fields", url.Values{"username": {"First", "Second"}, "email": {mail}, "body": {"hi"}}, true, 303),
		c("repeated comment fields", url.Values{"username": {ok}, "email": {mail}, "body": {"one", "two"}}, true, 303),
		c("email with display name", fields(ok, "Ann <ann@example.com>", "hi"), false, 422),
		c("email without domain dot", fields(ok, "ann@localhost", "hi"), false, 422),
		c("email of 121 characters", fields(ok, rep("a", 109)+"@example.com", "hi"), false, 422),
		c("upper-case email", fields(ok, "ANN@EXAMPLE.COM", "hi"), true, 303),
		c("unknown extra fields", url.Values{"username": {ok}, "email": {mail}, "body": {"hi"}, "user_id": {"1"}, "post_id": {"2"}}, true, 303),
		{name: "JSON body", method: "POST", path: post, body: `{"username":"a","email":"a@b.co","body":"x"}`, ctype: "application/json", status: []int{415}},
		{name: "plain text body", method: "POST", path: post, body: "username=a", ctype: "text/plain", status: []int{415}},
		{name: "no content type", method: "POST", path: post, body: "username=a&email=a@b.co&body=x", status: []int{415}},
		{name: "XML body", method: "POST", path: post, body: `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>`, ctype: "application/xml", status: []int{415}},
		{name: "multipart form", method: "POST", path: post, ctype: "multipart", form: fields(ok, mail, "via multipart"), stored: true, status: []int{303}},
		{name: "cross-site POST", method: "POST", path: post, form: fields(ok, mail, "hi"), noToken: true, status: []int{403}},
		c("comment on unknown post", fields(ok, mail, "hi"), false, 404),
		{name: "PUT on comments", method: "PUT", path: post, form: fields(ok, mail, "hi"), status: []int{405}},
		{name: "DELETE on a post", method: "DELETE", path: "/posts/hello-world", status: []int{405}},
		get("unknown slug", "/posts/does-not-exist", 404),
		get("upper-case slug", "/posts/HELLO-WORLD", 404),
		get("traversal in slug", "/posts/..%2f..%2fetc%2fpasswd", 404),
		get("script in slug", "/posts/%3Cscript%3Ealert(1)%3C%2Fscript%3E", 404),
		get("SQL in slug", "/posts/x'%20OR%20'1'='1", 404),
		get("traversal in asset", "/assets/../../etc/passwd", 404),
		get("encoded traversal in asset", "/assets/%2e%2e/%2e%2e/go.mod", 404),
		get("double-encoded traversal in asset", "/assets/%252e%252e/go.mod", 404),
		get("NUL in asset path", "/assets/dist/app.js%00.css", 404),
		get("asset source file", "/assets/embed.go", 404),
		get("script in query", "/posts/hello-world?after=%3Cscript%3Ealert(1)%3C/script%3E", 200),
		get("long path", "/posts/"+rep("a", 3000), 404, 414, 431),
		get("unicode page slug", "/%E2%80%AEabout", 404),
	}
}

func TestHostileInput(t *testing.T) {
	cases := hostileCases()
	if len(cases) < 50 {
		t.Fatalf("only %d cases", len(cases))
	}
	a := newTestApp(t)
	base := a.serve(t) // a real socket, so size limits apply as in production
	a.visitor(t)
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := a.countComments(t)
			usersBefore, _ := a.db.Repo().Count(ctx, "users")
			body, ctype := tc.body, tc.ctype
			if tc.form != nil {
				f := url.Values{}
				for k, v := range tc.form {
					f[k] = v
				}
				if tc.ctype == "multipart" {
					var buf bytes.Buffer
					w := multipart.NewWriter(&buf)
					for k, vs := range f {
						for _, v := range vs {
							w.WriteField(k, v)
						}
					}
					w.Close()
					body, ctype = buf.String(), w.FormDataContentType()
				} else {
					body, ctype = f.Encode(), "application/x-www-form-urlencoded"
				}
			}
			if strings.Contains(tc.name, "unknown post") {
				tc.path = "/posts/no-such-post/comments"
			}
			req, err := http.NewRequest(tc.method, base+tc.path, strings.NewReader(body))
			if err != nil {
				// The URL cannot even be built by a client; send it raw.
				req, _ = http.NewRequest(tc.method, base+"/", strings.NewReader(body))
				req.URL.Opaque = tc.path
			}
			if ctype != "" {
				req.Header.Set("Content-Type", ctype)
			}
			if tc.noToken {
				req.Header.Set("Sec-Fetch-Site", "cross-site")
			}
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			defer client.CloseIdleConnections()
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			respBody := readAll(resp)
			if !containsInt(tc.status, resp.StatusCode) {
				t.Fatalf("status = %d, want one of %v; body %.300s", resp.StatusCode, tc.status, respBody)
			}
			if resp.StatusCode >= 500 {
				t.Fatalf("server error for user input")
			}
			if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				assertInert(t, respBody)
			}
			after := a.countComments(t)
			want := before
			if tc.stored {
				want++
			}
			if after != want {
				t.Fatalf("comments %d -> %d, want %d", before, after, want)
			}
			if usersAfter, _ := a.db.Repo().Count(ctx, "users"); !tc.stored && usersAfter != usersBefore {
				t.Fatalf("a refused comment created a user")
			}
			if tc.stored {
				page := a.page(t, "/posts/hello-world")
				assertInert(t, page)
				var newest []repo.Comment
				a.db.Repo().FindAll(ctx, &newest)
				c := newest[len(newest)-1]
				want := (repo.CommentInput{Username: tc.form.Get("username"), Email: tc.form.Get("email"), Body: tc.form.Get("body")}).Normalize()
				if c.Body != want.Body {
					t.Fatalf("stored body %q, want %q", trunc(c.Body), trunc(want.Body))
				}
				if !strings.Contains(page, "id=\"comment-"+itoa(c.ID)+"\"") {
					t.Fatalf("stored comment %d not on the page", c.ID)
				}
			}
		})
	}
	for _, table := range []string{"users", "comments", "posts"} {
		if _, err := a.db.Repo().Count(ctx, table); err != nil {
			t.Fatalf("table %s: %v", table, err)
		}
	}
}

// assertInert fails if a page holds markup that user input could have injected: only the blog's own three
// scripts, and no event-handler attributes, iframes or javascript: links anywhere.
func assertInert(t *testing.T, page string) {
	t.Helper()
	d := doc(t, page)
	// htmx, the page script and the SSE extension: nothing else (the owner's script is added by the page script
	// in the owner's browser only).
	if n := d.Find("script").Length(); n > 3 {
		t.Fatalf("%d script elements on the page", n)
	}
	d.Find("script").Each(func(_ int, s *goquery.Selection) {
		if src, _ := s.Attr("src"); !strings.HasPrefix(src, "/assets/") {
			t.Fatalf("foreign script %q", src)
		}
	})
	if n := d.Find("iframe, object, embed, style, svg:not([data-testid=Avatar]), [onerror], [onload], [onmouseover], [onclick], a[href^='javascript'], a[href^='data'], #comment-list [hx-get], #comment-list img, #comment-list [style]").Length(); n > 0 {
		t.Fatalf("%d injected elements or attributes", n)
	}
	// Inside comments, only the Markdown subset, and every link a followable one with its rel.
	d.Find(`#comment-list [data-testid="CommentBody"] *`).Each(func(_ int, s *goquery.Selection) {
		switch tag := goquery.NodeName(s); tag {
		case "p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li":
		case "a":
			href, _ := s.Attr("href")
			if rel, _ := s.Attr("rel"); rel != "ugc nofollow noopener" || !(strings.HasPrefix(href, "http") || strings.HasPrefix(href, "mailto:")) {
				t.Fatalf("comment link %q rel %q", href, rel)
			}
		default:
			t.Fatalf("element <%s> inside a comment", tag)
		}
	})
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func readAll(resp *http.Response) string {
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	resp.Body.Close()
	return b.String()
}

func trunc(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
