// Package comments holds the commands of `web` on the comments and the people who write them: comments listed
// and acted on, bans, reactions, a commenter's data (shown, exported, erased), and comments imported from
// other systems or exported. They act through the same code as the owner's console.
package comments

import "blog/cmd/web/operator"

// Commands are the comments' commands, with what every command shares (the configuration, the constructors
// shared with the server, the database opened as it is).
type Commands struct {
	*operator.Commands
}
