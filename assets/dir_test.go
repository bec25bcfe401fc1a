package assets_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"blog/assets"
)

// TestDirServesTheBuiltInNamesFromTheFolder: Dir lists exactly the files built in, and reads each from the
// folder as it is now (make dev's rebuilt stylesheet), never a file of the folder that is not built in.
func TestDirServesTheBuiltInNamesFromTheFolder(t *testing.T) {
	dir := t.TempDir()
	var names []string
	fs.WalkDir(assets.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
			os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
			os.WriteFile(filepath.Join(dir, p), []byte("on disk: "+p), 0o644)
		}
		return err
	})
	os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("not an asset"), 0o644)
	var got []string
	err := fs.WalkDir(assets.Dir(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			got = append(got, p)
			if b, _ := fs.ReadFile(assets.Dir(dir), p); string(b) != "on disk: "+p {
				t.Errorf("%s read as %q", p, b)
			}
		}
		return err
	})
	if err != nil || !slices.Equal(got, names) || len(names) == 0 {
		t.Fatalf("listed %v, want %v (%v)", got, names, err)
	}
	if _, err := fs.ReadFile(assets.Dir(dir), "secret.txt"); err == nil {
		t.Fatal("a file that is not built in was served")
	}
	if _, err := assets.NewSet(assets.Dir(dir)); err != nil {
		t.Fatal(err)
	}
}
