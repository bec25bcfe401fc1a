package harness

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"time"
)

var transport = &http.Transport{MaxIdleConnsPerHost: 128, DisableCompression: true}

// Client is the shared client of the load loops: it keeps connections alive, follows no redirects and leaves
// bodies as they were sent (compressed or not).
var Client = &http.Client{
	Transport: transport,
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
	Timeout: 30 * time.Second,
}

// CommentID finds a comment's id in the blog's markup.
var CommentID = regexp.MustCompile(`data-comment-id="(\d+)"`)

var csrfMeta = regexp.MustCompile(`name="csrf-token" content="([^"]+)"`)

var formStamp = regexp.MustCompile(`name="_t" value="([^"]+)"`)

// BrowserHeaders are what a browser sends for a page: the blog may answer compressed, as it does for readers.
func BrowserHeaders(req *http.Request) {
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	req.Header.Set("Accept-Encoding", "gzip, deflate, br")
	req.Header.Set("Accept-Language", "en-GB,en;q=0.9")
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36")
}

// Captured is one answer of the blog, as sent: the headers that shape it, and the body as it came over the wire
// (still compressed).
type Captured struct {
	ContentType, Encoding string
	Body                  []byte
}

// Capture fetches a page like a first-time browser visitor and keeps the bytes it was sent.
func Capture(u string) (Captured, error) {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	BrowserHeaders(req)
	resp, err := Client.Do(req)
	if err != nil {
		return Captured{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		return Captured{}, fmt.Errorf("capture %s: %d %v", u, resp.StatusCode, err)
	}
	return Captured{ContentType: resp.Header.Get("Content-Type"), Encoding: resp.Header.Get("Content-Encoding"), Body: b}, nil
}

// BrowserGET fetches a page as a browser would and reads the body as sent (not decompressed: the client does
// no work the control would not also cause).
func BrowserGET(u string) error {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	BrowserHeaders(req)
	resp, err := Client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}
