package importer_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"blog/database"
	"blog/importer"
	"blog/importer/blogexport"
	"blog/internal/dbtest"
	"blog/repo"
	"blog/repo/discussion"
	"blog/repo/posts"
	"blog/repo/review"
	"blog/repo/transfer"
	"blog/richtext"
)

// site is a blog database with the sample posts' rows.
type site struct {
	db    *database.DB
	posts []importer.PostRef
	ids   map[string]int64
}

func newSite(t *testing.T, db *database.DB) *site {
	t.Helper()
	refs := []posts.PostRef{{Slug: "hello-world", Title: "Hello, world"}, {Slug: "writing-posts", Title: "Writing posts"},
		{Slug: "live-comments", Title: "How live comments work"}}
	ids, err := posts.NewPosts(db).SyncPosts(context.Background(), refs)
	if err != nil {
		t.Fatal(err)
	}
	s := &site{db: db, ids: ids}
	for _, r := range refs {
		s.posts = append(s.posts, importer.PostRef{ID: ids[r.Slug], Slug: r.Slug, Title: r.Title})
	}
	return s
}

func (s *site) run(t *testing.T, from, path string, dry bool, mapFile string) (*importer.Report, error) {
	t.Helper()
	m := importer.NewMatcher(s.posts)
	if mapFile != "" {
		f, err := os.Open(mapFile)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := m.ReadMap(f, mapFile); err != nil {
			t.Fatal(err)
		}
	}
	return importer.Run(context.Background(), transfer.NewImports(s.db), importer.Options{From: from, Path: path, Posts: s.posts,
		Match: m, DryRun: dry})
}

func (s *site) mustRun(t *testing.T, from, path string, dry bool, mapFile string) *importer.Report {
	t.Helper()
	r, err := s.run(t, from, path, dry, mapFile)
	if err != nil {
		t.Fatalf("import %s %s: %v", from, path, err)
	}
	return r
}

// all returns every comment of a post, in any state, oldest first, with its author.
func (s *site) all(t *testing.T, slug string) []repo.Comment {
	t.Helper()
	out, err := discussion.NewComments(s.db).SearchComments(context.Background(), repo.Search{PostID: s.ids[slug], Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

func (s *site) count(t *testing.T) int {
	t.Helper()
	n := 0
	for slug := range s.ids {
		n += len(s.all(t, slug))
	}
	return n
}

func byBody(t *testing.T, cs []repo.Comment, part string) repo.Comment {
	t.Helper()
	for _, c := range cs {
		if strings.Contains(c.Body, part) {
			return c
		}
	}
	t.Fatalf("no comment contains %q", part)
	return repo.Comment{}
}

func printed(r *importer.Report) string {
	var b bytes.Buffer
	r.Print(&b)
	return b.String()
}

func TestDisqus(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newSite(t, db)
		plan := s.mustRun(t, "disqus", "testdata/disqus.xml", true, "")
		if s.count(t) != 0 {
			t.Fatal("a dry run wrote comments")
		}
		out := printed(plan)
		for _, want := range []string{"Dry run, nothing was written", "read:      10 comments in 3 threads",
			"would import 6 comments on 1 posts (2 of them hidden", "http://old.example.com/2019/05/writing-posts.html 1 comments   (perhaps: http://old.example.com/2019/05/writing-posts.html writing-posts)",
			"https://old.example.com/about/", "1 unreadable date", "1 its thread is not in the file",
			"without an email address: 1 comments"} {
			if !strings.Contains(out, want) {
				t.Errorf("dry-run report lacks %q:\n%s", want, out)
			}
		}
		done := s.mustRun(t, "disqus", "testdata/disqus.xml", false, "")
		if done.Imported != plan.Imported || done.NewUsers != plan.NewUsers || done.NewUsers != 5 {
			t.Fatalf("import %+v differs from its plan %+v", done, plan)
		}
		cs := s.all(t, "hello-world")
		if len(cs) != 6 {
			t.Fatalf("hello-world has %d comments, want 6", len(cs))
		}
		first, reply := byBody(t, cs, "First!"), byBody(t, cs, "Thanks Ada")
		later, early := byBody(t, cs, "Ça marche"), byBody(t, cs, "lists later")
		if reply.ParentID == nil || *reply.ParentID != first.ID || later.ParentID == nil || *later.ParentID != reply.ID ||
			early.ParentID == nil || *early.ParentID != later.ID || *early.ThreadID != first.ID {
			t.Fatalf("reply structure lost: %+v %+v %+v %+v", first, reply, later, early)
		}
		if !first.CreatedAt.Equal(time.Date(2016, 3, 2, 10, 0, 0, 0, time.UTC)) || first.Username != "Ada" || first.User.Email != "ada@example.com" {
			t.Fatalf("first comment: %+v", first)
		}
		if reply.User.Email != "grace@example.com" {
			t.Fatalf("email not normalized: %q", reply.User.Email)
		}
		if early.Username != "Анна Каренина 🌸" || !strings.HasSuffix(early.User.Email, ".invalid") {
			t.Fatalf("author without email: %q %q", early.Username, early.User.Email)
		}
		if spam, gone := byBody(t, cs, "watches"), byBody(t, cs, "regret"); spam.State != repo.StateSpam || gone.State != repo.StateDeleted {
			t.Fatalf("states: spam %s, deleted %s", spam.State, gone.State)
		}
		// HTML became the blog's Markdown: the link and emphasis survive, the script and the image do not.
		if strings.Contains(first.Body, "<") || !strings.Contains(first.Body, "[this page](https://example.org/page") || !strings.Contains(first.Body, "**best**") {
			t.Fatalf("converted body: %q", first.Body)
		}
		html := string(richtext.Render(reply.Body, reply.Format))
		if strings.Contains(reply.Body, "tracker") || strings.Contains(html, "<script") || strings.Contains(html, "<img") || strings.Contains(html, "tracker.example") || !strings.Contains(reply.Body, `\*entirely\*`) {
			t.Fatalf("hostile HTML got through: %q -> %s", reply.Body, html)
		}
		if st, _ := discussion.NewComments(db).PostStamp(context.Background(), s.ids["hello-world"]); st.Count != 4 {
			t.Fatalf("published count %d, want 4", st.Count)
		}
		changes, _ := discussion.NewComments(db).FindChanges(context.Background(), s.ids["hello-world"], 0, 100)
		if len(changes) != 6 {
			t.Fatalf("%d changes in the feed, want one per imported comment", len(changes))
		}
		// Importing the same file again adds nothing; with the map, only the comment of the moved post.
		again := s.mustRun(t, "disqus", "testdata/disqus.xml", false, "")
		if again.Imported != 0 || again.Already != 6 {
			t.Fatalf("re-import: %+v", again)
		}
		mapped := s.mustRun(t, "disqus", "testdata/disqus.xml", false, "testdata/map.txt")
		if mapped.Imported != 1 || mapped.Already != 6 || len(s.all(t, "writing-posts")) != 1 {
			t.Fatalf("mapped import: %+v\n%s", mapped, printed(mapped))
		}
	})
}

func TestMalformedFilesAreRefused(t *testing.T) {
	db := dbtest.SQLite(t)
	s := newSite(t, db)
	dir := t.TempDir()
	notDB := filepath.Join(dir, "isso.db")
	os.WriteFile(notDB, []byte("this is not a database, just text that is long enough to not be one"), 0o600)
	tests := []struct{ from, path, want string }{
		{"disqus", "testdata/disqus-cut.xml", "cut short"},
		{"disqus", "testdata/disqus-not.xml", "not a Disqus export"},
		{"disqus", "testdata/commento.json", "not XML"},
		{"wordpress", "testdata/wordpress-cut.xml", "cut short"},
		{"wordpress", "testdata/disqus.xml", "not a WordPress export"},
		{"remark42", "testdata/remark42-cut.jsonl", "comment 1"},
		{"remark42", "testdata/commento.json", "not a Remark42 backup"},
		{"commento", "testdata/commento-not.json", "not a Commento export"},
		{"commento", "testdata/disqus.xml", "not a Commento export"},
		{"isso", notDB, "not an Isso database"},
		{"isso", "testdata/missing.db", "no such file"},
		{"blog", "testdata/commento.json", "not an export of this blog"},
		{"sharepoint", "testdata/disqus.xml", "unknown source"},
	}
	for _, tt := range tests {
		_, err := s.run(t, tt.from, tt.path, false, "")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %s: %v, want an error with %q", tt.from, tt.path, err, tt.want)
		}
		if err != nil && !strings.Contains(err.Error(), tt.path) && tt.from != "sharepoint" {
			t.Errorf("%s %s: the message does not say which file: %v", tt.from, tt.path, err)
		}
	}
	if n := s.count(t); n != 0 {
		t.Fatalf("refused files left %d comments", n)
	}
}

func TestWordPress(t *testing.T) {
	s := newSite(t, dbtest.SQLite(t))
	r := s.mustRun(t, "wordpress", "testdata/wordpress.xml", false, "")
	if r.Imported != 5 || r.Skipped()["pingback or trackback"] != 1 || r.Unmatched()["https://old.example.com/about/"] != 1 {
		t.Fatalf("report:\n%s", printed(r))
	}
	cs := s.all(t, "hello-world")
	first := byBody(t, cs, "First line")
	if first.Body != "First line of the first paragraph  \nsecond line, with [a link](https://example.org) & an ampersand.\n\nSecond paragraph with **bold** and a pasted control character." {
		t.Fatalf("paragraphs and line breaks: %q", first.Body)
	}
	reply := byBody(t, cs, "unescaped")
	if reply.ParentID == nil || *reply.ParentID != first.ID || reply.Username != "Grace & co" || !strings.Contains(reply.Body, "été") ||
		!reply.CreatedAt.Equal(time.Date(2016, 3, 2, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("reply: %+v", reply)
	}
	states := map[string]string{}
	for _, c := range cs {
		states[c.Body] = c.State
	}
	if states["cheap pills"] != repo.StateSpam || states["Trashed."] != repo.StateDeleted || byBody(t, cs, "日本語").State != repo.StatePending {
		t.Fatalf("states: %v", states)
	}
	if byBody(t, cs, "Trashed").UserID != first.UserID {
		t.Fatal("the same address in another letter case made a second commenter")
	}
}

func TestRemark42Backup(t *testing.T) {
	s := newSite(t, dbtest.SQLite(t))
	plain, _ := os.ReadFile("testdata/remark42.jsonl")
	gz := filepath.Join(t.TempDir(), "backup-remark-20200203.gz")
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(plain)
	w.Close()
	os.WriteFile(gz, b.Bytes(), 0o600)
	r := s.mustRun(t, "remark42", gz, false, "")
	if r.Imported != 4 || r.Unmatched()["https://old.example.com/unknown-page/"] != 1 || r.NoEmail != 3 {
		t.Fatalf("report:\n%s", printed(r))
	}
	cs := s.all(t, "hello-world")
	top := byBody(t, cs, "Remark42")
	html := byBody(t, cs, "HTML only")
	if top.Body != "Hello from **Remark42**, see [this](https://example.org)." || html.Body != "A reply with *HTML only* & no original." ||
		*html.ParentID != top.ID || html.User.Email != "grace@example.com" {
		t.Fatalf("bodies: %q %q", top.Body, html.Body)
	}
	if len(cs) != 3 || cs[2].State != repo.StateDeleted || *cs[2].ParentID != html.ID {
		t.Fatalf("deleted reply: %+v", cs)
	}
	ru := s.all(t, "live-comments")
	if len(ru) != 1 || ru[0].Username != "Иван" || !ru[0].CreatedAt.Equal(time.Date(2020, 1, 31, 21, 0, 0, 0, time.UTC)) {
		t.Fatalf("non-ASCII comment: %+v", ru)
	}
	// The uncompressed form reads the same and adds nothing new.
	if again := s.mustRun(t, "remark42", "testdata/remark42.jsonl", false, ""); again.Imported != 0 || again.Already != 4 {
		t.Fatalf("re-import: %+v", again)
	}
}

func TestIsso(t *testing.T) {
	s := newSite(t, dbtest.SQLite(t))
	path := filepath.Join(t.TempDir(), "comments.db")
	schema, _ := os.ReadFile("testdata/isso.sql")
	idb, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := idb.Exec(string(schema)); err != nil {
		t.Fatal(err)
	}
	idb.Close()
	r := s.mustRun(t, "isso", path, false, "")
	if r.Imported != 6 {
		t.Fatalf("report:\n%s", printed(r))
	}
	cs := s.all(t, "hello-world")
	md := byBody(t, cs, "Markdown")
	anon := byBody(t, cs, "without a name")
	if md.Body != "Isso uses *Markdown* and <b>raw</b> html." || !md.CreatedAt.Equal(time.Unix(1546300800, 5e8).UTC()) {
		t.Fatalf("markdown comment: %+v", md)
	}
	if html := string(richtext.Render(md.Body, md.Format)); strings.Contains(html, "<b>") {
		t.Fatalf("raw HTML in Markdown rendered: %s", html)
	}
	if anon.Username != "Anonymous" || *anon.ParentID != md.ID {
		t.Fatalf("anonymous reply: %+v", anon)
	}
	if byBody(t, cs, "moderation queue").State != repo.StatePending {
		t.Fatal("pending comment not held")
	}
	uni := byBody(t, cs, "Ünïcödé")
	if uni.ParentID == nil || uni.State != repo.StatePublished {
		t.Fatalf("reply to a deleted comment: %+v", uni)
	}
	// The deleted comment holds its reply's place.
	threads, _ := discussion.NewComments(s.db).FindThreads(context.Background(), s.ids["hello-world"], 0, 10)
	found := false
	for _, th := range threads {
		if th.Top.ID == *uni.ParentID && th.Top.Placeholder() && len(th.Replies) == 1 {
			found = true
		}
	}
	if !found {
		t.Fatalf("deleted parent is not a placeholder for its reply: %+v", threads)
	}
}

func TestCommento(t *testing.T) {
	s := newSite(t, dbtest.SQLite(t))
	r := s.mustRun(t, "commento", "testdata/commento.json", false, "")
	if r.Imported != 5 {
		t.Fatalf("report:\n%s", printed(r))
	}
	cs := s.all(t, "hello-world")
	anon, html := byBody(t, cs, "anonymous"), byBody(t, cs, "Only HTML")
	if anon.Username != "Anonymous" || html.Username != "Søren Kierkegaard" || html.User.Email != "somebody@example.com" ||
		html.Body != "Only HTML here, with `code`." || *html.ParentID != anon.ID {
		t.Fatalf("comments: %+v %+v", anon, html)
	}
	if byBody(t, cs, "Flagged").State != repo.StateSpam || byBody(t, cs, "Waiting").State != repo.StatePending ||
		byBody(t, cs, "[deleted]").State != repo.StateDeleted {
		t.Fatal("states not kept")
	}
}

// TestExportRoundTrip exports a blog with imported, edited, held and removed comments, the owner's comment and bans, restores it
// into an empty database and exports that: the two files are the same but for the time of export. Importing it
// again adds nothing; importing it into a blog with comments of its own adds them all with new ids.
func TestExportRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		a := newSite(t, db)
		a.mustRun(t, "disqus", "testdata/disqus.xml", false, "testdata/map.txt")
		a.mustRun(t, "wordpress", "testdata/wordpress.xml", false, "")
		comments := review.NewComments(db)
		c, _, err := comments.CreateComment(ctx, repo.NewComment{PostID: a.ids["live-comments"],
			Input: repo.CommentInput{Username: "Live", Email: "live@example.com", Body: "Posted *here*."}, IPHash: "ip1", NetHash: "net1"})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := comments.EditComment(ctx, c.ID, repo.Edit{Body: "Posted here, then edited.", Format: repo.FormatMarkdown}); err != nil {
			t.Fatal(err)
		}
		if _, err := review.NewBans(db).Add(ctx, repo.Ban{Kind: repo.BanEmail, Value: "spam@example.net", Label: "spam@example.net"}, repo.Action{Actor: "owner", Name: "ban"}); err != nil {
			t.Fatal(err)
		}
		// The owner's answer keeps its "author" mark through the round trip.
		if _, _, err := comments.CreateComment(ctx, repo.NewComment{PostID: a.ids["live-comments"], ByOwner: true,
			Input: repo.CommentInput{Username: "Sam Writer", Email: "sam@example.com", Body: "Thank you, Live."}}); err != nil {
			t.Fatal(err)
		}
		first := export(t, db)
		if strings.Count(readFile(t, first), `"by_owner":true`) != 1 {
			t.Fatalf("the export does not mark the owner's comment:\n%s", readFile(t, first))
		}

		b := newSite(t, dbtest.Open(t, otherURL(t, db), true))
		restored := b.mustRun(t, "blog", first, false, "")
		if restored.Imported != strings.Count(readFile(t, first), `"type":"comment"`) || restored.Bans != 1 {
			t.Fatalf("restore: %s", printed(restored))
		}
		second := export(t, b.db)
		if x, y := withoutTime(readFile(t, first)), withoutTime(readFile(t, second)); x != y {
			t.Fatalf("the round trip changed the export:\n%s\n---\n%s", x, y)
		}
		if again := b.mustRun(t, "blog", first, false, ""); again.Imported != 0 || again.Already != restored.Imported {
			t.Fatalf("importing the export again: %s", printed(again))
		}
		// A blog with comments of its own takes them all, with new ids, keeping threads.
		cdb := dbtest.Open(t, otherURL(t, db), true)
		cs := newSite(t, cdb)
		if _, _, err := discussion.NewComments(cdb).CreateComment(ctx, repo.NewComment{PostID: cs.ids["hello-world"],
			Input: repo.CommentInput{Username: "Resident", Email: "res@example.com", Body: "Already here."}}); err != nil {
			t.Fatal(err)
		}
		merged := cs.mustRun(t, "blog", first, false, "")
		if merged.Imported != restored.Imported {
			t.Fatalf("merge: %s", printed(merged))
		}
		reply := byBody(t, cs.all(t, "hello-world"), "lists later")
		parent := byBody(t, cs.all(t, "hello-world"), "Ça marche")
		if *reply.ParentID != parent.ID {
			t.Fatal("threads lost in a merge")
		}
		if again := cs.mustRun(t, "blog", first, false, ""); again.Imported != 0 {
			t.Fatalf("merging again: %s", printed(again))
		}
		// And the disqus file imported into the merged blog adds nothing: the keys travelled with the comments.
		if again := cs.mustRun(t, "disqus", "testdata/disqus.xml", false, "testdata/map.txt"); again.Imported != 0 {
			t.Fatalf("disqus after the merge: %s", printed(again))
		}
	})
}

// otherURL returns a new migrated database, empty of rows, of the same kind as db.
func otherURL(t *testing.T, db *database.DB) string {
	if db.Dialect() == database.Postgres {
		return dbtest.MigratedPostgresURL(t)
	}
	return dbtest.MigratedSQLiteURL(t)
}

func export(t *testing.T, db *database.DB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "export.jsonl")
	f, _ := os.Create(path)
	defer f.Close()
	if _, err := blogexport.Export(context.Background(), transfer.NewImports(db), f, time.Now()); err != nil {
		t.Fatal(err)
	}
	return path
}

func readFile(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var exportedAt = regexp.MustCompile(`"exported_at":"[^"]*"`)

func withoutTime(s string) string { return exportedAt.ReplaceAllString(s, "") }

func TestFailedImportLeavesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newSite(t, db)
		imports := transfer.NewImports(db)
		err := imports.Write(context.Background(), func(ctx context.Context, w *transfer.ImportWriter) error {
			for i := range 3 {
				if _, err := w.Add(ctx, transfer.ImportedComment{Keys: []string{"test:" + string(rune('a'+i))}, PostID: s.ids["hello-world"],
					Username: "A", Email: "a@example.com", Body: "x", State: repo.StatePublished, CreatedAt: time.Now()}); err != nil {
					return err
				}
			}
			return os.ErrInvalid // fails after storing three comments
		})
		if err == nil {
			t.Fatal("the failure was lost")
		}
		if n := s.count(t); n != 0 {
			t.Fatalf("a failed import left %d comments", n)
		}
		if has, _ := imports.HasKeys(context.Background(), "test:"); has {
			t.Fatal("a failed import left its keys")
		}
		if st, _ := discussion.NewComments(db).PostStamp(context.Background(), s.ids["hello-world"]); st.Seq != 0 || st.Count != 0 {
			t.Fatalf("a failed import moved the feed: %+v", st)
		}
	})
}
