package importer_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"blog/importer"
	"blog/importer/source"
	"blog/internal/dbtest"
	"blog/repo"
	"blog/repo/transfer"
)

// runOpts runs an import with these options on the site's posts.
func (s *site) runOpts(t *testing.T, opts importer.Options) (*importer.Report, error) {
	t.Helper()
	opts.Posts = s.posts
	return importer.Run(context.Background(), transfer.NewImports(s.db), opts)
}

// edited writes a copy of a test file with each old string replaced by its new one (each must be there).
func edited(t *testing.T, name string, pairs ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("%s has no %q", name, pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// disqusWithBadRecords is testdata/disqus.xml with three malformed posts, lines unchanged: an unquoted
// attribute (line 47, post 3002), a post without its end tag (line 77, the spam one), an HTML entity outside
// CDATA, which XML does not know (line 104, on a page this blog does not have).
func disqusWithBadRecords(t *testing.T) string {
	return edited(t, "disqus.xml",
		`<post dsq:id="3002">`, `<post dsq:id=3002>`,
		"    <thread dsq:id=\"2001\"/>\n  </post>\n  <post dsq:id=\"3006\">", "    <thread dsq:id=\"2001\"/>\n\n  <post dsq:id=\"3006\">",
		`<message><![CDATA[<p>On a page this blog does not have.</p>]]></message>`, `<message>On a page&nbsp;this blog does not have.</message>`)
}

// TestDisqusMalformedRecords imports a Disqus export with three malformed posts among good ones. The dry run
// lists each with its line and why; the import refuses the file and says how to go on, writing nothing; with
// SkipInvalid it imports the rest (reading on after each bad record) and reports the ones passed over.
func TestDisqusMalformedRecords(t *testing.T) {
	s := newSite(t, dbtest.SQLite(t))
	path := disqusWithBadRecords(t)
	wantBad := []importer.BadRecord{
		{At: "line 47", Why: "<post> cannot be read: unquoted or missing attribute value in element"},
		{At: "line 77", Why: "<post> has no end tag </post> (the next element, <post>, starts at line 86)"},
		{At: "line 104", Why: "<post> cannot be read: invalid character entity &nbsp; (line 106)"},
	}

	plan, err := s.runOpts(t, importer.Options{From: "disqus", Path: path, DryRun: true})
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if plan.Malformed != 3 || len(plan.Bad()) != 3 {
		t.Fatalf("dry run found %d malformed records: %v", plan.Malformed, plan.Bad())
	}
	for i, want := range wantBad {
		if got := plan.Bad()[i]; got != want {
			t.Errorf("malformed record %d: %+v, want %+v", i, got, want)
		}
	}
	out := printed(plan)
	for _, want := range []string{"malformed records (3): the import refuses the file unless it runs with --skip-invalid",
		"    line 47: <post> cannot be read: unquoted or missing attribute value in element\n",
		"    line 104: <post> cannot be read: invalid character entity &nbsp; (line 106)\n",
		"would import 4 comments on 1 posts"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry-run report lacks %q:\n%s", want, out)
		}
	}

	_, err = s.runOpts(t, importer.Options{From: "disqus", Path: path})
	want := "disqus: " + path + ": 3 records are malformed (first at line 47: <post> cannot be read: unquoted or missing attribute value in element); " +
		"run with --dry-run to list them or --skip-invalid to import the rest"
	if err == nil || err.Error() != want {
		t.Fatalf("import without --skip-invalid: %v\nwant: %s", err, want)
	}
	if n := s.count(t); n != 0 {
		t.Fatalf("a refused import wrote %d comments", n)
	}

	done, err := s.runOpts(t, importer.Options{From: "disqus", Path: path, SkipInvalid: true})
	if err != nil {
		t.Fatalf("import with --skip-invalid: %v", err)
	}
	if done.Imported != 4 || done.Malformed != 3 || !strings.Contains(printed(done), "malformed records passed over (3), not imported:") {
		t.Fatalf("import with --skip-invalid:\n%s", printed(done))
	}
	cs := s.all(t, "hello-world")
	first, later, early := byBody(t, cs, "First!"), byBody(t, cs, "Ça marche"), byBody(t, cs, "lists later")
	if len(cs) != 4 || byBody(t, cs, "regret").State != repo.StateDeleted {
		t.Fatalf("hello-world has %d comments: %+v", len(cs), cs)
	}
	// The answer to the malformed 3002 stands on its own; the reply to that answer keeps its place.
	if first.ParentID != nil || later.ParentID != nil || early.ParentID == nil || *early.ParentID != later.ID {
		t.Fatalf("reply structure: %+v %+v %+v", first, later, early)
	}
}

// TestMalformedButWholeFilesStillRefused: passing over malformed records never lets through a file that is cut
// short or not an export at all.
func TestMalformedButWholeFilesStillRefused(t *testing.T) {
	s := newSite(t, dbtest.SQLite(t))
	bad, _ := os.ReadFile(disqusWithBadRecords(t))
	cut := filepath.Join(t.TempDir(), "cut.xml")
	os.WriteFile(cut, bad[:len(bad)-400], 0o600)
	notXML := filepath.Join(t.TempDir(), "not.xml")
	os.WriteFile(notXML, []byte("post,author\n1,Ada\n"), 0o600)
	for _, tt := range []struct{ path, want string }{
		{cut, "it is cut short"},
		{notXML, "not a Disqus export: the file is not XML"},
		{"testdata/wordpress.xml", "not a Disqus export: the document is <rss>, not <disqus>"},
	} {
		for _, dry := range []bool{true, false} {
			_, err := s.runOpts(t, importer.Options{From: "disqus", Path: tt.path, SkipInvalid: true, DryRun: dry})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s (dry run %v): %v, want %q", tt.path, dry, err, tt.want)
			}
		}
	}
	if n := s.count(t); n != 0 {
		t.Fatalf("refused files left %d comments", n)
	}
}

// TestWordPressMalformedComments: WordPress is read leniently, but a "<" that starts no tag outside CDATA or a
// comment without its end tag still breaks a record; the other comments of the post are read.
func TestWordPressMalformedComments(t *testing.T) {
	s := newSite(t, dbtest.SQLite(t))
	path := edited(t, "wordpress.xml",
		"<![CDATA[cheap pills]]>", "I <3 cheap pills",
		"<wp:comment_parent>0</wp:comment_parent>\n\t\t</wp:comment>\n\t\t<wp:comment>\n\t\t\t<wp:comment_id>106</wp:comment_id>",
		"<wp:comment_parent>0</wp:comment_parent>\n\n\t\t<wp:comment>\n\t\t\t<wp:comment_id>106</wp:comment_id>")
	plan, err := s.runOpts(t, importer.Options{From: "wordpress", Path: path, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	bad := plan.Bad()
	if len(bad) != 2 || !strings.HasPrefix(bad[0].Why, "<wp:comment> cannot be read: ") ||
		bad[1].Why != "<wp:comment> has no end tag </wp:comment> (the next element, <wp:comment>, starts at line 83)" {
		t.Fatalf("malformed: %+v\n%s", bad, printed(plan))
	}
	r, err := s.runOpts(t, importer.Options{From: "wordpress", Path: path, SkipInvalid: true})
	if err != nil {
		t.Fatal(err)
	}
	cs := s.all(t, "hello-world")
	if r.Imported != 3 || byBody(t, cs, "Trashed").State != repo.StateDeleted {
		t.Fatalf("imported:\n%s", printed(r))
	}
}

// TestRemark42MalformedLines: each line of a backup is a record; a bad one is listed with its line and the next
// line is read; a last line cut in the middle refuses the file.
func TestRemark42MalformedLines(t *testing.T) {
	s := newSite(t, dbtest.SQLite(t))
	plain, _ := os.ReadFile("testdata/remark42.jsonl")
	lines := strings.SplitAfter(string(plain), "\n")
	long := `{"id":"long","text":"` + strings.Repeat("x", source.MaxRecord) + "\"}\n"
	withBad := lines[0] + lines[1] + "{\"id\": nope}\n" + long + `{"id":"t","time":"yesterday"}` + "\n" + strings.Join(lines[2:], "")
	path := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(path, []byte(withBad), 0o600)
	plan, err := s.runOpts(t, importer.Options{From: "remark42", Path: path, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	bad := plan.Bad()
	if len(bad) != 3 || bad[0].At != "line 3" || !strings.Contains(bad[0].Why, "invalid character") ||
		bad[1] != (importer.BadRecord{At: "line 4", Why: "longer than 1 MiB"}) || bad[2].At != "line 5" ||
		!strings.Contains(bad[2].Why, `parsing time "yesterday"`) || plan.Imported != 4 {
		t.Fatalf("malformed: %+v\n%s", bad, printed(plan))
	}
	cut := filepath.Join(t.TempDir(), "cut.jsonl")
	os.WriteFile(cut, []byte(withBad+`{"id":"z","text":"cut her`), 0o600)
	if _, err := s.runOpts(t, importer.Options{From: "remark42", Path: cut, SkipInvalid: true}); err == nil ||
		!strings.Contains(err.Error(), "line 10: comment 9 ends in the middle: the file is cut short") {
		t.Fatalf("cut short: %v", err)
	}
}

// TestCommentoMalformedRecords: a comment or commenter with a value of the wrong type is a malformed record (the
// rest of the file is read); a value longer than MaxRecord refuses the file without being held.
func TestCommentoMalformedRecords(t *testing.T) {
	s := newSite(t, dbtest.SQLite(t))
	path := edited(t, "commento.json", `"deleted": false`, `"deleted": "no"`)
	plan, err := s.runOpts(t, importer.Options{From: "commento", Path: path, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if bad := plan.Bad(); len(bad) != 1 || !strings.HasPrefix(bad[0].At, "comment ") || !strings.Contains(bad[0].Why, "cannot unmarshal string") ||
		plan.Imported != 4 {
		t.Fatalf("malformed: %+v\n%s", bad, printed(plan))
	}
	huge := edited(t, "commento.json", `"markdown": "`, `"markdown": "`+strings.Repeat("y", source.MaxRecord+1))
	if _, err := s.runOpts(t, importer.Options{From: "commento", Path: huge, SkipInvalid: true, DryRun: true}); err == nil ||
		!strings.Contains(err.Error(), "a value longer than 1 MiB") {
		t.Fatalf("huge value: %v", err)
	}
}

// TestDisqusMarkupInText: where a record ends is found from the markup only: "</post>" and "<post" inside a
// CDATA section, an XML comment do not end or start one, nor does "/>" inside a quoted attribute value end a tag.
func TestDisqusMarkupInText(t *testing.T) {
	s := newSite(t, dbtest.SQLite(t))
	path := edited(t, "disqus.xml",
		`<![CDATA[<p>Buy cheap watches at http://spam.example</p>]]>`, `<![CDATA[<p>Buy cheap watches </post><post dsq:id="1"> here</p>]]>`,
		`  <post dsq:id="3006">`, `  <!-- <post dsq:id="1"> </post> -->`+"\n"+`  <post dsq:id="3006" note="a > b / c">`)
	r, err := s.runOpts(t, importer.Options{From: "disqus", Path: path})
	if err != nil {
		t.Fatal(err)
	}
	cs := s.all(t, "hello-world")
	// The converter drops the tags it does not know, and keeps the text around them.
	if r.Imported != 6 || r.Malformed != 0 || byBody(t, cs, "watches").Body != "Buy cheap watches here" {
		t.Fatalf("%q\n%s", byBody(t, cs, "watches").Body, printed(r))
	}
}

// TestDeclaredEncodings: an export in a single-byte encoding (an old WordPress in ISO-8859-1) is read as what it
// declares; one in an encoding the importer does not read is refused at once, with the command that converts
// it, and nothing is written.
func TestDeclaredEncodings(t *testing.T) {
	s := newSite(t, dbtest.SQLite(t))
	latin1 := edited(t, "wordpress.xml",
		`encoding="UTF-8"`, `encoding="ISO-8859-1"`,
		"First line of the first paragraph", "Premi\xe8re ligne, caf\xe9")
	if _, err := s.runOpts(t, importer.Options{From: "wordpress", Path: latin1, SkipInvalid: true}); err != nil {
		t.Fatal(err)
	}
	if c := byBody(t, s.all(t, "hello-world"), "Première ligne, café"); c.ID == 0 {
		t.Fatal("the Latin-1 comment was not decoded")
	}

	s = newSite(t, dbtest.SQLite(t))
	sjis := edited(t, "wordpress.xml", `encoding="UTF-8"`, `encoding="Shift_JIS"`)
	_, err := s.runOpts(t, importer.Options{From: "wordpress", Path: sjis, DryRun: true})
	if err == nil || !strings.Contains(err.Error(), `the file is encoded as "Shift_JIS", which the importer does not read: convert it to UTF-8 first (iconv -f Shift_JIS -t UTF-8`) {
		t.Fatalf("Shift_JIS: %v", err)
	}
	if cs := s.all(t, "hello-world"); len(cs) != 0 {
		t.Fatalf("a refused file wrote %d comments", len(cs))
	}
}
