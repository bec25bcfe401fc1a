package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"go/format"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"github.com/a-h/templ"
	"github.com/a-h/templ/generator"
	parser "github.com/a-h/templ/parser/v2"
	templruntime "github.com/a-h/templ/runtime"
)

// templs generates the templ files' Go code as templ generate does, and serves an edit of their text and markup
// only without a build: the blog runs in templ's development mode (TEMPL_DEV_MODE), where the generated code reads
// each piece of markup from a text file written here instead of the string compiled in.
//
// An edit is of text only when the Go templ generates from the file differs from the Go the running blog was
// built from in nothing but its strings (generator.HasGoChanged): the text file is then written, and the blog
// restarted without a build (its caches hold pages rendered with the text before). Any other edit is built, and
// the text files are written for the new blog only once it has built, so the last good one keeps reading text
// that matches its code. Each edit is read once, and the Go file written from that reading, so what is built
// and what is served as text are always of the same edit.
//
// The code is generated here, not by templ generate, so that one reading gives both. At start every file is
// generated and compared with its Go file as templ generate wrote it: if any differs (another templ version),
// templ's development mode is not used and every templ edit goes through templ generate and a build.
type templs struct {
	// fast is false when the generation here does not match templ generate's, and why says so.
	fast bool
	why  string
	// now is what each templ file generates as it is now (its Go file holds it), built what the running blog
	// was built from, and text what its text files hold. Each by the templ file's path from the tree's root.
	now, built, text map[string]generator.GeneratorOutput
	// wrote are the Go files written here, with the hash of what was last written: their change events are not
	// edits.
	wrote map[string][32]byte
}

// textRoot is the environment variable that says where the blog reads the text files from
// (templruntime.GetDevModeTextFileName); make dev sets it for itself and the blog it runs.
const textRoot = "TEMPL_DEV_MODE_ROOT"

// newTempls generates every templ file under root and writes its text into dir, for a blog about to be built from
// them. Files whose generation differs from the Go file on disk turn the fast path off (see templs), and why
// says so.
func newTempls(dir, root string) (*templs, error) {
	if err := os.Setenv(textRoot, dir); err != nil {
		return nil, err
	}
	x := &templs{fast: true, now: map[string]generator.GeneratorOutput{}, text: map[string]generator.GeneratorOutput{},
		wrote: map[string][32]byte{}}
	var differ []string
	err := filepath.WalkDir(root, func(path string, e os.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case e.IsDir() && path != root && skipped(path):
			return filepath.SkipDir
		case e.IsDir() || !strings.HasSuffix(path, ".templ"):
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		code, out, err := generate(path, src)
		if err != nil {
			return err
		}
		if onDisk, err := os.ReadFile(goFileOf(path)); err != nil || !bytes.Equal(onDisk, code) {
			differ = append(differ, path)
		}
		x.now[path] = out
		return x.writeText(path, out)
	})
	if err != nil {
		return nil, err
	}
	if len(differ) > 0 {
		x.fast = false
		x.why = fmt.Sprintf("templ generate wrote %s otherwise than make dev generates them (run make generate): every templ edit is built", strings.Join(differ, ", "))
	}
	return x, nil
}

// generate returns the Go code templ generate writes for the templ file at path holding src, and what templ's
// generator says of it.
func generate(path string, src []byte) ([]byte, generator.GeneratorOutput, error) {
	t, err := parser.ParseString(string(src))
	if err != nil {
		return nil, generator.GeneratorOutput{}, fmt.Errorf("%s: %w", path, err)
	}
	var b bytes.Buffer
	out, err := generator.Generate(t, &b, generator.WithVersion(templ.Version()), generator.WithFileName(filepath.ToSlash(path)))
	if err != nil {
		return nil, out, fmt.Errorf("%s: %w", path, err)
	}
	code, err := format.Source(b.Bytes())
	if err != nil {
		return nil, out, fmt.Errorf("%s: the generated Go: %w", path, err)
	}
	return code, out, nil
}

// goFileOf names the Go file generated from a templ file.
func goFileOf(path string) string { return strings.TrimSuffix(path, ".templ") + "_templ.go" }

// writeText writes the text file the blog reads a templ file's strings from, whole (a new file renamed into
// place): the blog may read it at any moment.
func (x *templs) writeText(path string, out generator.GeneratorOutput) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	name := templruntime.GetDevModeTextFileName(abs)
	tmp := name + ".new"
	if err := os.WriteFile(tmp, []byte(strings.Join(out.Literals, "\n")), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, name); err != nil {
		return err
	}
	x.text[path] = out
	return nil
}

// edited generates the templ file at path as it is now and writes its Go file, and says whether the edit needs a
// build; textOnly reports one served by restarting the blog as it is. With the fast path off it runs templ
// generate, whose Go file's change brings the build.
func (x *templs) edited(path string, run func(name string, args ...string) ([]byte, error)) (build, textOnly bool, err error) {
	if !x.fast {
		if out, err := run("go", "tool", "templ", "generate", "-f", path); err != nil {
			return false, false, fmt.Errorf("%s", out)
		}
		return false, false, nil
	}
	src, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, false, nil // removed: its Go file stays until templ generate is run
	}
	if err != nil {
		return false, false, err
	}
	code, out, err := generate(path, src)
	if err != nil {
		return false, false, err
	}
	goFile := goFileOf(path)
	if onDisk, err := os.ReadFile(goFile); err != nil || !bytes.Equal(onDisk, code) {
		if err := os.WriteFile(goFile, code, 0o644); err != nil {
			return false, false, err
		}
		x.wrote[goFile] = sha256.Sum256(code)
	}
	x.now[path] = out
	if was, ok := x.built[path]; ok && !generator.HasGoChanged(was, out) {
		if !generator.HasTextChanged(x.text[path], out) {
			return false, false, nil // saved again as it was
		}
		return false, true, x.writeText(path, out)
	}
	return true, false, nil
}

// ours reports whether the Go file holds what edited last wrote into it: its change event is no edit.
func (x *templs) ours(goFile string) bool {
	sum, ok := x.wrote[goFile]
	if !ok {
		return false
	}
	b, err := os.ReadFile(goFile)
	return err == nil && sha256.Sum256(b) == sum
}

// building returns what a build starting now is built from.
func (x *templs) building() map[string]generator.GeneratorOutput { return maps.Clone(x.now) }

// builtFrom records that the running blog was built from outs, and writes their text for it.
func (x *templs) builtFrom(outs map[string]generator.GeneratorOutput) error {
	x.built = outs
	var errs []error
	for path, out := range outs {
		errs = append(errs, x.writeText(path, out))
	}
	return errors.Join(errs...)
}
