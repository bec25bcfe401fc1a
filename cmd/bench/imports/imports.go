// Package imports holds the benchmark's imports: the time and peak memory of `web import` on a generated Disqus
// export, and the large post the full run imports before its server starts, both from the same generator.
package imports

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"blog/cmd/bench/harness"
)

// Measure measures `web import --from disqus` on a generated export of n comments: wall time and the peak
// resident memory of the import process (the kernel's own count, from wait4), for the dry run and the import,
// then a second import of the same file (which must add nothing).
func Measure(binary string, n int) ([]harness.Row, error) {
	dir, err := os.MkdirTemp("", "blog-bench-import-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := harness.WriteContent(filepath.Join(dir, "content")); err != nil {
		return nil, err
	}
	file := filepath.Join(dir, "disqus.xml")
	size, err := writeDisqus(file, n)
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(), "DATABASE_URL=sqlite:"+filepath.Join(dir, "import.db"), "CONTENT_DIR="+filepath.Join(dir, "content"))
	if out, err := command(binary, env, "migrate", "up"); err != nil {
		return nil, fmt.Errorf("migrate: %v\n%s", err, out)
	}
	var rows []harness.Row
	note := fmt.Sprintf("%d comments, %.0f MiB Disqus file, 3 posts, 30%% replies", n, float64(size)/(1<<20))
	for _, step := range []struct {
		name string
		args []string
		want string
	}{
		{"import dry run", []string{"--dry-run"}, fmt.Sprintf("would import %d comments", n)},
		{"import", nil, fmt.Sprintf("imported %d comments", n)},
		{"import again (adds nothing)", nil, "imported 0 comments"},
	} {
		args := append([]string{"import", "--from", "disqus", file}, step.args...)
		start := time.Now()
		cmd := exec.Command(binary, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		took := time.Since(start)
		if err != nil || !strings.Contains(string(out), step.want) {
			return nil, fmt.Errorf("%s: %v\n%s", step.name, err, out)
		}
		peak := float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) / 1024
		rows = append(rows, harness.Row{Name: step.name + ": time", Value: took.Seconds(), Unit: "s", Note: note},
			harness.Row{Name: step.name + ": peak RSS", Value: peak, Unit: "MiB", Note: "budget: well under 100 MiB"})
	}
	return rows, nil
}

func command(binary string, env []string, args ...string) ([]byte, error) {
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	return cmd.CombinedOutput()
}

// writeDisqus writes a Disqus export of n comments on the three benchmark posts: comments of a few hundred
// characters with paragraphs and a link, every third one a reply to an earlier comment of its thread.
func writeDisqus(path string, n int) (int64, error) {
	return writeDisqusOn(path, n, []string{"zero", "hundred", "thousand"})
}

// writeDisqusOn writes a Disqus export of n comments spread over the posts slugs.
func writeDisqusOn(path string, n int, slugs []string) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, `<?xml version="1.0" encoding="utf-8"?>`)
	fmt.Fprintln(w, `<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">`)
	for i, s := range slugs {
		fmt.Fprintf(w, "<thread dsq:id=\"%d\"><id>%s</id><link>https://old.example.com/posts/%s/</link><title>Post %s</title></thread>\n", 100+i, s, s, s)
	}
	start := time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		thread := i % len(slugs)
		parent := ""
		if i%3 == 0 && i > 6 {
			parent = fmt.Sprintf(`<parent dsq:id="%d"/>`, i-3) // same thread when there are 1 or 3 of them
		}
		msg := fmt.Sprintf("<p>Comment %d: I read this twice and the second part made me rethink how I set up my own "+
			"server; the numbers you give match what I measured last year.</p><p>One question, though: did you try "+
			"the approach described at <a href=\"https://example.org/notes/%d\" rel=\"nofollow noopener\">this page</a>? "+
			"It worked <b>much</b> better for me.</p>", i, i)
		fmt.Fprintf(w, "<post dsq:id=\"%d\"><id/><message><![CDATA[%s]]></message><createdAt>%s</createdAt>"+
			"<isDeleted>false</isDeleted><isSpam>false</isSpam><author><email>reader%d@example.com</email><name>Reader %d</name>"+
			"</author><thread dsq:id=\"%d\"/>%s</post>\n", i, msg, start.Add(time.Duration(i)*time.Minute).Format(time.RFC3339),
			i%5000, i%5000, 100+thread, parent)
	}
	fmt.Fprintln(w, "</disqus>")
	if err := w.Flush(); err != nil {
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// PrepareLarge gives the benchmark's database (dir/bench.db, before the server starts) a post "large" with n
// comments, imported from a generated Disqus export: seeding them over HTTP would take minutes.
func PrepareLarge(binary, dir string, n int) error {
	// "small" is its counterpart in the comparison (load.ComparePOSTSize), given its 100 comments over HTTP.
	for _, slug := range []string{"large", "small"} {
		src := "---\ntitle: Post " + slug + "\ndate: 2026-10-01\nsummary: A post for the POST comparison.\n---\n\nA short post.\n"
		if err := os.WriteFile(filepath.Join(dir, "content", "posts", "2026-10-01-"+slug+".md"), []byte(src), 0o644); err != nil {
			return err
		}
	}
	file := filepath.Join(dir, "large.xml")
	if _, err := writeDisqusOn(file, n, []string{"large"}); err != nil {
		return err
	}
	defer os.Remove(file)
	env := append(os.Environ(), "DATABASE_URL=sqlite:"+filepath.Join(dir, "bench.db"), "CONTENT_DIR="+filepath.Join(dir, "content"))
	if out, err := command(binary, env, "migrate", "up"); err != nil {
		return fmt.Errorf("migrate: %v\n%s", err, out)
	}
	out, err := command(binary, env, "import", "--from", "disqus", file)
	if err != nil || !strings.Contains(string(out), fmt.Sprintf("imported %d comments", n)) {
		return fmt.Errorf("import of the large post: %v\n%s", err, out)
	}
	return nil
}
