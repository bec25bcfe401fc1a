// Package assets holds the blog's static files: the built stylesheet, the vendored htmx scripts, the page script
// and the favicon, embedded in the binary.
package assets

import (
	"embed"
	"io/fs"
	"os"
)

//go:embed dist/app.css dist/app.js dist/admin.js dist/uploads.js dist/sse.js vendor/htmx.min.js favicon.svg share.png fonts
var files embed.FS

// FS returns the embedded static files.
func FS() fs.FS { return files }

// Dir returns the same static files as they are now in the folder dir (a checkout's assets folder) instead of
// as they were built in: the names built in, each read from the folder. make dev serves the blog so, so that a
// stylesheet or script rebuilt by its watcher needs the blog restarted, not built again.
func Dir(dir string) fs.FS { return onDisk{dir: os.DirFS(dir)} }

// onDisk lists the files built in and reads them from a folder.
type onDisk struct{ dir fs.FS }

func (d onDisk) Open(name string) (fs.File, error) {
	if _, err := fs.Stat(files, name); err != nil {
		return nil, err // only the names built in
	}
	return d.dir.Open(name)
}

func (d onDisk) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(files, name) }
