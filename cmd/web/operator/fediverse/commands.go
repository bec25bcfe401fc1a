// Package fediverse holds the commands of `web` on the blog's place in the fediverse: its followers (listed,
// removed, their servers blocked) and the accounts it follows. They act through the same code as the console's
// Followers and Following pages.
package fediverse

import "blog/cmd/web/operator"

// Commands are the fediverse's commands, with what every command shares (the configuration, the constructors
// shared with the server, the database opened as it is).
type Commands struct {
	*operator.Commands
}
