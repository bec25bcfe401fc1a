package main

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/a-h/templ/generator"
	parser "github.com/a-h/templ/parser/v2"
	templruntime "github.com/a-h/templ/runtime"
)

// texts serves templ's text from files while the blog runs in templ's development mode (TEMPL_DEV_MODE): the
// generated code reads each piece of markup from a text file written here instead of the string compiled in, so
// an edit that changes only text and markup (no Go expression, no new piece) is served without a build. It keeps
// what templ generated from each file last, to tell such an edit from one that needs the build.
type texts struct {
	mu   sync.Mutex
	last map[string]generator.GeneratorOutput // by the templ file's absolute path
	// quiet are the generated Go files a text-only edit rewrote, with their new content's hash: their write needs
	// no build (the running blog reads the new text already).
	quiet map[string][32]byte
}

// devModeRoot is where the running blog looks for the text files (templruntime.GetDevModeTextFileName).
const devModeRoot = "TEMPL_DEV_MODE_ROOT"

// newTexts writes the text of every templ file under root into dir, for a blog about to be built from them.
func newTexts(dir, root string) (*texts, error) {
	if err := os.Setenv(devModeRoot, dir); err != nil { // read by templruntime.GetDevModeTextFileName
		return nil, err
	}
	x := &texts{last: map[string]generator.GeneratorOutput{}, quiet: map[string][32]byte{}}
	err := filepath.WalkDir(root, func(path string, e os.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case e.IsDir() && path != root && skipped(path):
			return filepath.SkipDir
		case !e.IsDir() && strings.HasSuffix(path, ".templ"):
			_, err = x.update(path)
		}
		return err
	})
	return x, err
}

// update generates path's code as templ does, writes its text file, and reports whether the change since the
// last update was one of text only.
func (x *texts) update(path string) (textOnly bool, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return false, err
	}
	t, err := parser.Parse(abs)
	if err != nil {
		return false, err
	}
	var discard bytes.Buffer
	out, err := generator.Generate(t, &discard, generator.WithFileName(filepath.ToSlash(path)))
	if err != nil {
		return false, err
	}
	if err := os.WriteFile(templruntime.GetDevModeTextFileName(abs), []byte(strings.Join(out.Literals, "\n")), 0o600); err != nil {
		return false, err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	prev, ok := x.last[abs]
	x.last[abs] = out
	return ok && !generator.HasGoChanged(prev, out), nil
}

// hush records that goFile, as it now is, was written for a text-only edit.
func (x *texts) hush(goFile string) {
	b, err := os.ReadFile(goFile)
	if err != nil {
		return
	}
	x.mu.Lock()
	x.quiet[goFile] = sha256.Sum256(b)
	x.mu.Unlock()
}

// quietWrite reports whether goFile holds what a text-only edit wrote, and forgets it.
func (x *texts) quietWrite(goFile string) bool {
	b, err := os.ReadFile(goFile)
	if err != nil {
		return false
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	sum, ok := x.quiet[goFile]
	delete(x.quiet, goFile)
	return ok && sum == sha256.Sum256(b)
}
