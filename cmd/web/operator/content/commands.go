// Package content holds the commands of `web` on the blog's content: which posts take comments (and the owner's
// choice per post), the desk's posts exported as Markdown files and imported back, and the owner's uploaded
// images. They act through the same code as the writing desk and the Images page.
package content

import "blog/cmd/web/operator"

// Commands are the content's commands, with what every command shares (the configuration, the constructors
// shared with the server, the database opened as it is).
type Commands struct {
	*operator.Commands
}
