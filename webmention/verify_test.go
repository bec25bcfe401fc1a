package webmention

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"blog/fetch"
)

const target = "https://blog.example/posts/hello"

// sources serves one page per path, each with {} standing for the server's own address.
func sources(t *testing.T, pages map[string]string) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/gone":
			w.WriteHeader(http.StatusGone)
			return
		case "/missing":
			http.NotFound(w, r)
			return
		case "/broken":
			w.WriteHeader(http.StatusBadGateway)
			return
		case "/plain":
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "I read "+target+" today")
			return
		}
		body, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, strings.ReplaceAll(body, "{}", srv.URL))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func verify(t *testing.T, srv *httptest.Server, path string) (Mention, error) {
	t.Helper()
	src, _ := url.Parse(srv.URL + path)
	tgt, _ := url.Parse(target)
	return Verify(context.Background(), fetch.New(fetch.Config{AllowPrivate: true, MaxBytes: 256 << 10}), src, tgt)
}

func TestVerifyReadsTheEntry(t *testing.T) {
	srv := sources(t, map[string]string{
		"/reply": `<html><body><article class="h-entry">
			<a class="u-url" href="/reply">permalink</a>
			<div class="p-author h-card"><img class="u-photo" src="/me.jpg" alt=""><a class="p-name u-url" href="/">Ada Lovelace</a></div>
			<p>In reply to <a class="u-in-reply-to" href="` + target + `">your post</a></p>
			<div class="e-content"><p>Lovely <strong>post</strong>. <a href="https://elsewhere.example/x">see</a></p></div>
			<time class="dt-published" datetime="2026-12-01T10:30:00+01:00">1 Dec</time>
		</article></body></html>`,
		"/like":   `<div class="h-entry"><a class="u-like-of" href="` + target + `">liked</a><a class="p-author h-card" href="/">Bob</a></div>`,
		"/repost": `<div class="h-entry"><a class="u-repost-of h-cite" href="` + target + `">reposted</a></div>`,
		"/mention": `<div class="h-entry"><div class="e-content">I wrote about <a href="` + target + `#comments">this post</a></div>
			<a class="p-author h-card" href="/">Cy</a></div>`,
		"/nomf2":    `<p>No microformats, but <a href="` + target + `">a link</a>.</p>`,
		"/feed":     `<div class="h-feed"><a class="p-author h-card" href="/">Feed Owner</a><div class="h-entry"><a class="u-in-reply-to" href="` + target + `">re</a><p class="e-content">hi</p></div></div>`,
		"/relative": `<base href="/"><p><a href="https://BLOG.example:443/posts/hello">link</a></p>`,
	})
	m, err := verify(t, srv, "/reply")
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != KindReply || m.AuthorName != "Ada Lovelace" || m.AuthorURL != srv.URL+"/" || m.AuthorPhoto != srv.URL+"/me.jpg" ||
		m.URL != srv.URL+"/reply" || m.Published == nil || m.Published.Format("2006-01-02 15:04") != "2026-12-01 09:30" {
		t.Fatalf("reply read as %+v", m)
	}
	if !strings.Contains(m.HTML, "<strong>post</strong>") || !strings.Contains(m.HTML, `rel="nofollow noreferrer"`) || m.Text != "Lovely post. see" {
		t.Fatalf("content %q / %q", m.HTML, m.Text)
	}
	for path, want := range map[string]Kind{"/like": KindLike, "/repost": KindRepost, "/mention": KindMention, "/nomf2": KindMention, "/feed": KindReply, "/relative": KindMention} {
		m, err := verify(t, srv, path)
		if err != nil || m.Kind != want {
			t.Errorf("%s: kind %q, err %v; want %q", path, m.Kind, err, want)
		}
		if m.AuthorName == "" {
			t.Errorf("%s: no author name", path)
		}
	}
	if m, _ := verify(t, srv, "/feed"); m.AuthorName != "Feed Owner" {
		t.Errorf("feed's author: %q", m.AuthorName)
	}
	if m, _ := verify(t, srv, "/nomf2"); m.AuthorName != "127.0.0.1" || m.URL != srv.URL+"/nomf2" {
		t.Errorf("no microformats: %+v", m)
	}
	if m, err := verify(t, srv, "/plain"); err != nil || m.Kind != KindMention {
		t.Errorf("plain text: %+v %v", m, err)
	}
}

func TestVerifyRefusesAndRemoves(t *testing.T) {
	srv := sources(t, map[string]string{
		"/unlinked":  `<div class="h-entry"><p class="e-content">Nothing here about ` + target + ` as a link</p></div>`,
		"/commented": `<!-- <a href="` + target + `">x</a> --><p>hidden</p>`,
		"/scripted":  `<script>var a = '<a href="` + target + `">x</a>'</script>`,
		"/other":     `<a href="https://blog.example/posts/hello-again">close</a>`,
	})
	for path, want := range map[string]error{
		"/unlinked": ErrNoLink, "/commented": ErrNoLink, "/scripted": ErrNoLink, "/other": ErrNoLink,
		"/gone": ErrGone, "/missing": ErrGone,
	} {
		if _, err := verify(t, srv, path); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", path, err, want)
		}
	}
	// A server error is neither: the mention is kept and tried again.
	if _, err := verify(t, srv, "/broken"); err == nil || errors.Is(err, ErrGone) || errors.Is(err, ErrNoLink) {
		t.Errorf("broken: %v", err)
	}
}

func TestHostileSources(t *testing.T) {
	huge := `<div class="h-entry"><a class="u-in-reply-to" href="` + target + `">re</a><div class="e-content">` + strings.Repeat("<p>spam spam spam</p>", 20000) + `</div></div>`
	srv := sources(t, map[string]string{
		"/script": `<div class="h-entry"><a class="u-in-reply-to" href="` + target + `">re</a>
			<div class="p-author h-card"><span class="p-name">Eve<script>alert(1)</script>` + "\u202e" + `</span><img class="u-photo" src="javascript:alert(1)"></div>
			<div class="e-content"><p onclick="alert(1)">hi<script>alert(2)</script><img src="https://tracker.example/p.gif"><iframe src="https://x.example"></iframe>
			<a href="javascript:alert(3)">click</a><style>body{display:none}</style><form action="/x"><input name="p"></form></p></div></div>`,
		"/spoof": `<div class="h-entry"><a class="u-in-reply-to" href="` + target + `">re</a><a class="u-url" href="https://blog.example/posts/hello#fake">me</a>
			<div class="p-author h-card"><a class="p-name u-url" href="https://blog.example/">The Blog Owner</a><img class="u-photo" src="https://blog.example/owner.jpg"></div>
			<p class="e-content">I am the owner</p></div>`,
		"/huge":     huge,
		"/longname": `<div class="h-entry"><a class="u-in-reply-to" href="` + target + `">re</a><span class="p-author h-card">` + strings.Repeat("N", 5000) + `</span><p class="e-content">x</p></div>`,
		"/private":  `<a href="` + target + `">x</a>`,
	})
	m, err := verify(t, srv, "/script")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script", "onclick", "<img", "<iframe", "javascript:", "<style", "<form", "<input", "tracker.example"} {
		if strings.Contains(m.HTML, bad) || strings.Contains(m.AuthorName, bad) {
			t.Errorf("%q kept: name %q, HTML %q", bad, m.AuthorName, m.HTML)
		}
	}
	if m.AuthorPhoto != "" || strings.ContainsRune(m.AuthorName, '\u202e') {
		t.Errorf("photo %q, name %q", m.AuthorPhoto, m.AuthorName)
	}
	// A page may call itself anyone, but it cannot borrow another site's address: the links stay on its host.
	m, err = verify(t, srv, "/spoof")
	if err != nil {
		t.Fatal(err)
	}
	if m.AuthorURL != "" || m.URL != srv.URL+"/spoof" || m.AuthorName != "The Blog Owner" {
		t.Errorf("spoofed: %+v", m)
	}
	// A page past the client's bound is refused whole, never verified from a part.
	if _, err := verify(t, srv, "/huge"); !errors.Is(err, fetch.ErrTooLarge) {
		t.Errorf("huge: %v", err)
	}
	if m, err := verify(t, srv, "/longname"); err != nil || len([]rune(m.AuthorName)) != MaxName {
		t.Errorf("long name: %d characters, %v", len([]rune(m.AuthorName)), err)
	}
	// With the default settings a loopback source is not fetched at all.
	src, _ := url.Parse(srv.URL + "/private")
	tgt, _ := url.Parse(target)
	if _, err := Verify(context.Background(), fetch.New(fetch.Config{}), src, tgt); !errors.Is(err, fetch.ErrForbiddenAddress) {
		t.Errorf("private: %v", err)
	}
}

func TestCheckRequest(t *testing.T) {
	ours := func(u *url.URL) bool { return u.Host == "blog.example" && strings.HasPrefix(u.Path, "/posts/") }
	for _, tc := range []struct{ source, target, wantErr string }{
		{"https://a.example/x", target, ""},
		{"", target, "required"},
		{"https://a.example/x", "", "required"},
		{"ftp://a.example/x", target, "source must be"},
		{"https://a.example/x", "mailto:me@blog.example", "target must be"},
		{target + "#c", target, "differ"},
		{"https://a.example/x", "https://other.example/posts/hello", "not a page of this site"},
		{"https://a.example/x", "https://blog.example/about", "not a page of this site"},
	} {
		_, _, err := CheckRequest(tc.source, tc.target, ours)
		var bad BadRequestError
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s -> %s: %v", tc.source, tc.target, err)
		case tc.wantErr != "" && (!errors.As(err, &bad) || !strings.Contains(bad.Msg, tc.wantErr)):
			t.Errorf("%s -> %s: %v, want %q", tc.source, tc.target, err, tc.wantErr)
		}
	}
}
