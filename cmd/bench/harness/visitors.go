package harness

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Visitor is a client with its own cookies and CSRF token, as a browser tab would have.
type Visitor struct {
	http  *http.Client
	token string
	// stamp is the comment form's signed timestamp, which the spam rules want.
	stamp string
	// newest is the newest comment id on this visitor's page, sent with htmx posts as the page script does.
	newest int64
	// parent, when set, makes the next comment a reply to it.
	parent int64
}

// NewVisitor opens a post page with a fresh cookie jar and keeps the form timestamp (and, from older builds, the
// CSRF token) it carries.
func NewVisitor(base string) (*Visitor, error) {
	jar, _ := cookiejar.New(nil)
	v := &Visitor{http: &http.Client{Transport: transport, Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	resp, err := v.http.Get(base + "/posts/zero")
	if err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	st := formStamp.FindSubmatch(b)
	if st == nil {
		return nil, fmt.Errorf("no form timestamp on a post page")
	}
	v.stamp = string(st[1])
	if m := csrfMeta.FindSubmatch(b); m != nil { // builds before the public pages lost their per-visitor token
		v.token = string(m[1])
	}
	return v, nil
}

// NewVisitors gives each of n POST clients its own cookies.
func NewVisitors(base string, n int) ([]*Visitor, error) {
	visitors := make([]*Visitor, n)
	for i := range visitors {
		var err error
		if visitors[i], err = NewVisitor(base); err != nil {
			return nil, err
		}
	}
	return visitors, nil
}

// PostComment posts one comment (as htmx does, or as a plain form) and returns its id for a plain form.
func (v *Visitor) PostComment(base, slug, name, body string, htmx bool) (int64, error) {
	form := url.Values{"username": {name}, "email": {strings.ToLower(name) + "@example.com"}, "body": {body}, "_csrf": {v.token}, "_t": {v.stamp}}
	if v.parent > 0 {
		form.Set("parent", strconv.FormatInt(v.parent, 10))
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/posts/"+slug+"/comments", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin") // what a browser sends for its own page's form
	if htmx {
		req.Header.Set("HX-Request", "true")
		req.Header.Set("X-CSRF-Token", v.token)
		req.Header.Set("X-Newest-Comment", strconv.FormatInt(v.newest, 10))
	}
	resp, err := v.http.Do(req)
	if err != nil {
		return 0, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	switch {
	case !htmx && resp.StatusCode == http.StatusSeeOther:
		loc := resp.Header.Get("Location")
		return strconv.ParseInt(loc[strings.LastIndex(loc, "-")+1:], 10, 64)
	case htmx && resp.StatusCode == http.StatusOK:
		if m := CommentID.FindSubmatch(b); m != nil {
			v.newest, _ = strconv.ParseInt(string(m[1]), 10, 64)
		}
		return 0, nil
	}
	return 0, fmt.Errorf("POST status %d: %.200s", resp.StatusCode, b)
}

// Reply posts a reply as a plain form.
func (v *Visitor) Reply(base, slug string, parent int64, body string) error {
	_, err := v.PostReply(base, slug, parent, body)
	return err
}

// PostReply posts a reply as a plain form and returns its id.
func (v *Visitor) PostReply(base, slug string, parent int64, body string) (int64, error) {
	v.parent = parent
	defer func() { v.parent = 0 }()
	return v.PostComment(base, slug, "Replier", body, false)
}

// Seed gives each post of counts its number of comments, posted as plain forms by one visitor.
func Seed(ctx context.Context, s *Server, counts map[string]int) error {
	v, err := NewVisitor(s.Base)
	if err != nil {
		return err
	}
	for slug, n := range counts {
		for i := range n {
			if _, err := v.PostComment(s.Base, slug, fmt.Sprintf("Reader%d", i%37), RealisticComment(i), false); err != nil {
				return fmt.Errorf("seed %s: %w", slug, err)
			}
		}
	}
	return nil
}

// Owner is a signed-in owner's browser: its cookies and the form token of its session.
type Owner struct {
	HTTP  *http.Client
	Token string
}

// SignInOwner sets the owner's password with the binary's command line (as an operator would, while the server
// runs) and signs in through the sign-in form.
func SignInOwner(s *Server, binary string) (*Owner, error) {
	const pw = "benchmark owner password"
	cmd := exec.Command(binary, "owner", "password")
	cmd.Env = append(os.Environ(), "DATABASE_URL=sqlite:"+s.DBPath)
	cmd.Stdin = strings.NewReader(pw + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("web owner password: %v: %s", err, out)
	}
	jar, _ := cookiejar.New(nil)
	o := &Owner{HTTP: &http.Client{Transport: transport, Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	page, err := o.get(s.Base + "/admin/login")
	if err != nil {
		return nil, err
	}
	resp, err := o.HTTP.PostForm(s.Base+"/admin/login", url.Values{"password": {pw}, "_csrf": {o.Token}})
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("sign-in: status %d (%d bytes of sign-in page)", resp.StatusCode, len(page))
	}
	if _, err := o.get(s.Base + "/admin"); err != nil {
		return nil, err
	}
	return o, nil
}

// get fetches a page and keeps the form token it carries.
func (o *Owner) get(u string) (string, error) {
	resp, err := o.HTTP.Get(u)
	if err != nil {
		return "", err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	if m := csrfMeta.FindSubmatch(b); m != nil {
		o.Token = string(m[1])
	}
	return string(b), nil
}

// React presses a reaction to a comment as a plain form (a browser without JavaScript) and checks the answer.
func (v *Visitor) React(base, slug string, comment int64, kind string) error {
	form := url.Values{"kind": {kind}, "comment": {strconv.FormatInt(comment, 10)}}
	req, _ := http.NewRequest(http.MethodPost, base+"/posts/"+slug+"/reactions", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := v.http.Do(req)
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("reaction status %d: %.200s", resp.StatusCode, b)
	}
	return nil
}
