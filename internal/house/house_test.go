package house

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// maxLines is the most hand-written lines of Go (not tests, not templ's output) a package may hold: past it,
// a package holds two things and the second should get a room of its own.
const maxLines = 1000

// pkg is a directory of Go code as the test reads it.
type pkg struct {
	path    string // import path, blog/...
	lines   int
	imports map[string]bool // of its non-test files
}

// readPackages reads every package of the module from its files (the module's root is two levels up).
func readPackages(t *testing.T) map[string]*pkg {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	pkgs := map[string]*pkg{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", "testdata", ".git", "bin", "docs":
				return filepath.SkipDir
			}
			return nil
		}
		name := d.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		ip := "blog"
		if rel != "." {
			ip += "/" + filepath.ToSlash(rel)
		}
		p := pkgs[ip]
		if p == nil {
			p = &pkg{path: ip, imports: map[string]bool{}}
			pkgs[ip] = p
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, im := range f.Imports {
			s, _ := strconv.Unquote(im.Path.Value)
			p.imports[s] = true
		}
		if !strings.HasSuffix(name, "_templ.go") {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			p.lines += strings.Count(string(b), "\n")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 50 {
		t.Fatalf("read only %d packages: is the test running inside the module?", len(pkgs))
	}
	return pkgs
}

// TestNoPackageOverAThousandLines: a package past maxLines hand-written lines is two things (the README's layout
// section says where a new capability goes instead).
func TestNoPackageOverAThousandLines(t *testing.T) {
	var over []string
	for _, p := range readPackages(t) {
		// migrations is history, one file per step, each never edited once shipped (STYLE's rule 7): it only
		// grows, and moving its files into packages by date would edit them (their package clause) for a cut
		// that names nothing.
		if p.lines > maxLines && p.path != "blog/migrations" {
			over = append(over, p.path+": "+strconv.Itoa(p.lines))
		}
	}
	sort.Strings(over)
	if len(over) > 0 {
		t.Errorf("packages over %d lines of hand-written Go:\n%s", maxLines, strings.Join(over, "\n"))
	}
}

// under reports whether path is prefix or a package below it.
func under(path, prefix string) bool { return path == prefix || strings.HasPrefix(path, prefix+"/") }

// TestArrowsPointDown: cmd/web -> handlers -> services -> repo -> database -> migrations, and nothing points
// back up. Each rule names the packages it holds for and what they may not import.
func TestArrowsPointDown(t *testing.T) {
	services := []string{"blog/live", "blog/moderation", "blog/notify", "blog/owner", "blog/people", "blog/importer",
		"blog/newsletter", "blog/search", "blog/desk", "blog/activitypub", "blog/webmention", "blog/reactions"}
	rules := []struct {
		who    func(string) bool
		may    string
		banned []string
	}{
		{func(p string) bool { return !under(p, "blog/cmd") }, "only commands import cmd/...", []string{"blog/cmd"}},
		{func(p string) bool { return !under(p, "blog/cmd") && !under(p, "blog/handlers") },
			"only commands and handlers import handlers/...", []string{"blog/handlers"}},
		{func(p string) bool {
			return under(p, "blog/repo") || under(p, "blog/database") || under(p, "blog/migrations")
		},
			"repo, database and migrations import no service, view or handler",
			append([]string{"blog/views", "blog/handlers"}, services...)},
		{func(p string) bool { return under(p, "blog/database") || under(p, "blog/migrations") },
			"database and migrations import no store", []string{"blog/repo"}},
		{func(p string) bool { return under(p, "blog/repo") },
			"repo has no database drivers (database opens them)", []string{"github.com/lib/pq", "modernc.org/sqlite"}},
		{func(p string) bool { return under(p, "blog/moderation") },
			"moderation imports neither fiber nor views", []string{"github.com/gofiber/fiber/v2", "blog/views"}},
		{func(p string) bool { return under(p, "blog/views") },
			"views take plain values: no store, no handler", []string{"blog/handlers", "blog/database"}},
	}
	pkgs := readPackages(t)
	for _, r := range rules {
		for _, p := range pkgs {
			if !r.who(p.path) {
				continue
			}
			for im := range p.imports {
				for _, b := range r.banned {
					if under(im, b) && !under(p.path, b) {
						t.Errorf("%s imports %s: %s", p.path, im, r.may)
					}
				}
			}
		}
	}
}

// TestModerationReachesNoWeb: moderation needs neither fiber nor views through any package of the blog either
// (clientip once brought fiber in with the request's address).
func TestModerationReachesNoWeb(t *testing.T) {
	imports := map[string]map[string]bool{}
	for _, p := range readPackages(t) {
		imports[p.path] = p.imports
	}
	seen := map[string]string{"blog/moderation": ""}
	queue := []string{"blog/moderation"}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for im := range imports[p] {
			if under(im, "github.com/gofiber/fiber/v2") || under(im, "blog/views") || under(im, "blog/handlers") {
				t.Errorf("moderation reaches %s through %s", im, p)
			}
			if _, ok := seen[im]; !ok && under(im, "blog") {
				seen[im] = p
				queue = append(queue, im)
			}
		}
	}
}

// TestHandlersReadTheContentOncePerRequest: a handler reads the blog's content through web.Current, which keeps
// the snapshot the request first read, never from the store directly. A page read from two snapshots and kept in
// the cache under the later one's version would show the older one until the next change.
func TestHandlersReadTheContentOncePerRequest(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(filepath.Join(root, "handlers"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") ||
			filepath.Base(filepath.Dir(path)) == "web" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "Content.Current()") {
				t.Errorf("%s:%d reads the content directly (use web.Current): %s", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
