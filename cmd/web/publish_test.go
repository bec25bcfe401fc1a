package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"blog/internal/dbtest"
)

// copyContent copies the sample content into a folder of the test's own.
func copyContent(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"posts", "pages", "media"} {
		os.MkdirAll(filepath.Join(dir, sub), 0o755)
		entries, err := os.ReadDir(filepath.Join("..", "..", "content", sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, _ := os.ReadFile(filepath.Join("..", "..", "content", sub, e.Name()))
			os.WriteFile(filepath.Join(dir, sub, e.Name()), b, 0o644)
		}
	}
	return dir
}

// within polls until ok or fails after two seconds (the promise: live within two seconds).
func within(t *testing.T, what string, ok func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > 2*time.Second {
			t.Fatalf("%s: not within 2s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

func status(u string) int {
	resp, err := http.Get(u)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestContentIsLiveWithoutRestart adds, changes, removes and breaks files in CONTENT_DIR while the blog serves
// with an open stream: each change is live within two seconds, the stream stays open, a broken file is skipped
// with a log line naming it, and a blog started with a broken file serves the rest.
func TestContentIsLiveWithoutRestart(t *testing.T) {
	dir := copyContent(t)
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t), "CONTENT_DIR": dir}
	p := startProc(t, env)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/posts/hello-world/events?after=0", nil)
	stream, err := http.DefaultClient.Do(req)
	if err != nil || stream.StatusCode != 200 {
		t.Fatalf("stream: %v", err)
	}
	streamEnded := make(chan struct{})
	go func() {
		buf := make([]byte, 512)
		for {
			if _, err := stream.Body.Read(buf); err != nil {
				close(streamEnded)
				return
			}
		}
	}()

	write := func(name, src string) {
		t.Helper()
		// As editors do: write beside, then rename into place.
		tmp := filepath.Join(dir, "posts", "."+name+".tmp")
		if err := os.WriteFile(tmp, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "posts", name)); err != nil {
			t.Fatal(err)
		}
	}
	write("2026-11-27-fresh.md", "---\ntitle: A fresh post\ndate: 2026-11-27\ntags: [news]\n---\nJust written.\n")
	took := within(t, "a new post", func() bool {
		return status(p.base+"/posts/fresh") == 200 && strings.Contains(okBody(t, p.base+"/"), "A fresh post")
	})
	t.Logf("a new post was live %v after its file was written", took.Round(time.Millisecond))
	if body := okBody(t, p.base+"/tags/news"); !strings.Contains(body, "A fresh post") {
		t.Fatal("the new post's tag page does not list it")
	}
	hello := filepath.Join(dir, "posts", "2026-11-02-hello-world.md")
	src, _ := os.ReadFile(hello)
	write("2026-11-02-hello-world.md", strings.Replace(string(src), "title: Hello, world", "title: Hello again, world", 1))
	within(t, "a changed title", func() bool { return strings.Contains(okBody(t, p.base+"/posts/hello-world"), "Hello again, world") })
	os.Remove(filepath.Join(dir, "posts", "2026-11-12-writing-posts.md"))
	within(t, "a removed post", func() bool { return status(p.base+"/posts/writing-posts") == 404 })
	write("2026-11-28-broken.md", "---\ntitle: [unclosed\n---\nbody\n")
	within(t, "the broken file logged", func() bool {
		return strings.Contains(p.logs.String(), "content: file skipped") && strings.Contains(p.logs.String(), "posts/2026-11-28-broken.md")
	})
	if status(p.base+"/posts/fresh") != 200 || status(p.base+"/") != 200 {
		t.Fatal("a broken file took the rest of the blog down")
	}
	select {
	case <-streamEnded:
		t.Fatal("the open stream was dropped by the content changes")
	default:
	}
	// A blog started with the broken file in place serves the rest and says which file it skipped.
	p.cmd.Process.Kill()
	<-p.exit
	p2 := startProc(t, env)
	if status(p2.base+"/posts/fresh") != 200 || !strings.Contains(p2.logs.String(), "posts/2026-11-28-broken.md") {
		t.Fatalf("start with a broken file:\n%s", p2.logs.String())
	}
}
