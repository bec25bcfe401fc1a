// Package assets holds the blog's static files: the built stylesheet, the vendored htmx scripts, the page script
// and the favicon, embedded in the binary.
package assets

import (
	"embed"
	"io/fs"
)

//go:embed dist/app.css dist/app.js dist/admin.js dist/uploads.js dist/sse.js vendor/htmx.min.js favicon.svg share.png fonts
var files embed.FS

// FS returns the embedded static files.
func FS() fs.FS { return files }
