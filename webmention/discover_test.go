package webmention

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"blog/fetch"
)

// discoveryCases are webmention.rocks' 23 discovery tests, written down from their descriptions so that they
// run offline: each page advertises its endpoint in one way and the test expects that endpoint (with the test's
// own path, as on webmention.rocks, where each endpoint URL names its test).
var discoveryCases = []struct {
	name    string
	header  []string // Link headers, with {} standing for the server's address
	body    string   // HTML, with {} standing for the server's address
	want    string   // the endpoint's path (and query)
	through string   // a path the target redirects to first
}{
	{name: "1 Link header, relative", header: []string{`</test/1/webmention?head=true>; rel=webmention`}, want: "/test/1/webmention?head=true"},
	{name: "2 Link header, absolute", header: []string{`<{}/test/2/webmention?head=true>; rel=webmention`}, want: "/test/2/webmention?head=true"},
	{name: "3 link element, relative", body: `<link rel="webmention" href="/test/3/webmention">`, want: "/test/3/webmention"},
	{name: "4 link element, absolute", body: `<link rel="webmention" href="{}/test/4/webmention">`, want: "/test/4/webmention"},
	{name: "5 a element, relative", body: `<a rel="webmention" href="/test/5/webmention">endpoint</a>`, want: "/test/5/webmention"},
	{name: "6 a element, absolute", body: `<a rel="webmention" href="{}/test/6/webmention">endpoint</a>`, want: "/test/6/webmention"},
	{name: "7 Link header, strange casing", header: []string{`</test/7/webmention?head=true>; rel=WebMention`}, want: "/test/7/webmention?head=true"},
	{name: "8 Link header, quoted rel", header: []string{`</test/8/webmention?head=true>; rel="webmention"`}, want: "/test/8/webmention?head=true"},
	{name: "9 several rel values on a link element", body: `<link rel="webmention somethingelse" href="/test/9/webmention">`, want: "/test/9/webmention"},
	{name: "10 several rel values in a Link header", header: []string{`</test/10/webmention?head=true>; rel="webmention somethingelse"`}, want: "/test/10/webmention?head=true"},
	{
		name:   "11 header, link and a: the header wins",
		header: []string{`</test/11/webmention>; rel="webmention"`},
		body:   `<link rel="webmention" href="/test/11/error"><a rel="webmention" href="/test/11/error">x</a>`,
		want:   "/test/11/webmention",
	},
	{name: "12 rel must match exactly", body: `<link rel="not-webmention" href="/test/12/error"><link rel="webmention" href="/test/12/webmention">`, want: "/test/12/webmention"},
	{name: "13 a false endpoint in a comment", body: `<!-- <link rel="webmention" href="/test/13/error"> --><link rel="webmention" href="/test/13/webmention">`, want: "/test/13/webmention"},
	{name: "14 a false endpoint in escaped HTML", body: `<code>&lt;a href="/test/14/error" rel="webmention"&gt;&lt;/a&gt;</code><a href="/test/14/webmention" rel="webmention">x</a>`, want: "/test/14/webmention"},
	{name: "15 an empty href is the page itself", body: `<link rel="webmention" href="">`, want: "/page"},
	{name: "16 a before link: the first wins", body: `<a href="/test/16/webmention" rel="webmention">x</a><link rel="webmention" href="/test/16/error">`, want: "/test/16/webmention"},
	{name: "17 link before a: the first wins", body: `<link rel="webmention" href="/test/17/webmention"><a href="/test/17/error" rel="webmention">x</a>`, want: "/test/17/webmention"},
	{name: "18 several Link headers", header: []string{`</test/18/error>; rel="other"`, `</test/18/webmention>; rel="webmention"`}, want: "/test/18/webmention"},
	{name: "19 one Link header with several values", header: []string{`</test/19/error>; rel="other", </test/19/webmention>; rel="webmention"`}, want: "/test/19/webmention"},
	{name: "20 a link element with no href is skipped", body: `<link rel="webmention"><a href="/test/20/webmention" rel="webmention">x</a>`, want: "/test/20/webmention"},
	{name: "21 the endpoint's query string is kept", body: `<link rel="webmention" href="/test/21/webmention?query=yes">`, want: "/test/21/webmention?query=yes"},
	{name: "22 an endpoint relative to the page's path", body: `<link rel="webmention" href="22/webmention">`, want: "/test/22/webmention", through: "/test/page"},
	{name: "23 the target redirects, the endpoint is relative to where it ends", body: `<link rel="webmention" href="webmention-endpoint">`, want: "/test/23/page/webmention-endpoint", through: "/test/23/page/final"},
}

func TestDiscoveryAsWebmentionRocks(t *testing.T) {
	for _, tc := range discoveryCases {
		t.Run(tc.name, func(t *testing.T) {
			var srv *httptest.Server
			page := func(w http.ResponseWriter, r *http.Request) {
				for _, h := range tc.header {
					w.Header().Add("Link", strings.ReplaceAll(h, "{}", srv.URL))
				}
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				io.WriteString(w, "<!doctype html><html><head><title>t</title></head><body>"+strings.ReplaceAll(tc.body, "{}", srv.URL)+"</body></html>")
			}
			mux := http.NewServeMux()
			start := "/page"
			if tc.through != "" {
				start = "/start"
				mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, tc.through, http.StatusFound) })
				mux.HandleFunc(tc.through, page)
			} else {
				mux.HandleFunc("/page", page)
			}
			srv = httptest.NewServer(mux)
			defer srv.Close()
			got, err := Discover(context.Background(), loopback(), srv.URL+start)
			if err != nil {
				t.Fatal(err)
			}
			if want := srv.URL + tc.want; got.String() != want {
				t.Fatalf("endpoint %s, want %s", got, want)
			}
		})
	}
}

func TestDiscoveryFindsNone(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/plain":
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, `<link rel="webmention" href="/nope">`) // not HTML: not read as a page
		case "/js":
			w.Header().Set("Link", `<javascript:alert(1)>; rel="webmention"`)
		default:
			io.WriteString(w, `<html><script>document.write('<link rel="webmention" href="/nope">')</script></html>`)
		}
	}))
	defer srv.Close()
	for _, p := range []string{"/", "/plain"} {
		if _, err := Discover(context.Background(), loopback(), srv.URL+p); !errors.Is(err, ErrNoEndpoint) {
			t.Errorf("%s: %v, want ErrNoEndpoint", p, err)
		}
	}
	if _, err := Discover(context.Background(), loopback(), srv.URL+"/js"); err == nil {
		t.Errorf("a javascript: endpoint was accepted")
	}
}

func TestSendPostsSourceAndTarget(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/post":
			w.Header().Set("Link", `</endpoint>; rel="webmention"`)
		case "/endpoint":
			r.ParseForm()
			mu.Lock()
			got = append(got, r.PostForm.Get("source")+" "+r.PostForm.Get("target")+" "+r.Header.Get("Content-Type"))
			mu.Unlock()
			w.Header().Set("Location", "/status/1")
			w.WriteHeader(http.StatusCreated)
		}
	}))
	defer srv.Close()
	res, err := Send(context.Background(), loopback(), "https://me.example/a", srv.URL+"/post")
	if err != nil || res.Status != 201 || res.Location != "/status/1" || res.Endpoint != srv.URL+"/endpoint" {
		t.Fatalf("%+v %v", res, err)
	}
	if len(got) != 1 || got[0] != "https://me.example/a "+srv.URL+"/post application/x-www-form-urlencoded" {
		t.Fatalf("endpoint received %q", got)
	}
	// The same target on a client with the default settings: refused before anything is sent.
	if _, err := Send(context.Background(), fetch.New(fetch.Config{}), "https://me.example/a", srv.URL+"/post"); !errors.Is(err, fetch.ErrForbiddenAddress) {
		t.Fatalf("default client: %v", err)
	}
	if len(got) != 1 {
		t.Fatalf("a private address was notified")
	}
}

func loopback() *fetch.Client { return fetch.New(fetch.Config{AllowPrivate: true}) }
