package main

import (
	"fmt"
	"io"

	"blog/cmd/web/config"
)

// usage prints the commands and every setting with its default.
func usage(w io.Writer) {
	fmt.Fprint(w, `web: a blog with live comments.

Usage:
  web [serve]              run the blog (applies pending migrations first unless AUTO_MIGRATE=false)
  web migrate up           apply every pending migration
  web migrate down         roll back the newest applied migration (one step)
  web migrate status       list migrations and whether each is applied
  web backup FILE          write a consistent snapshot of the SQLite database (safe while serving)
  web restore FILE         replace the SQLite database with a snapshot (stop the server first)
  web health               exit 0 if the server on PORT/ADDR answers /readyz (for container health checks)

  web comments list [--state published|pending|spam|deleted] [--post SLUG] [--limit N]
                           one line per comment, newest first: id, state, post, name, start of the text
  web comments approve|spam|delete|restore ID...
                           change comments' state (recorded in the audit trail; open pages update live)
  web comments pin|unpin ID...
                           show a conversation's first comment first, marked as pinned (at most 3 per
                           post), or put it back in its place (audited; open pages update live)
  web posts list           one line per post: slug, comments, whether it takes new ones (and why not)
  web posts close|open|reset SLUG...
                           close a post to new comments, keep it open whatever its file and
                           COMMENTS_CLOSE_AFTER say, or follow them again (audited; open pages update live)
  web posts export DIR     write the posts and pages written in the desk as Markdown files under DIR/posts
                           and DIR/pages, which CONTENT_DIR reads (drafts and scheduled posts as drafts)
  web posts import DIR     read DIR/posts/*.md and DIR/pages/*.md into the desk, all or nothing (drafts stay
                           drafts, the rest is published; running servers take it in at once)
  web subscribers          how many readers get new posts by email (confirmed, waiting, unsubscribed)
  web subscribers export FILE
                           write every subscriber as CSV (FILE "-": standard output)
  web subscribers import FILE
                           read subscribers from CSV, all or nothing: this blog's export, or Substack's
                           or Buttondown's as they are (confirmed there: confirmed here, never mailed
                           to confirm; unsubscribed there: unsubscribed here)
  web followers            the blog's followers on the fediverse (ACTIVITYPUB=on): number, handle, server
  web followers remove ID  remove one (their server is told with a Reject)
  web followers block DOMAIN
                           block a server: its followers removed, its domain banned (its replies held as
                           spam, its activities refused)
  web following [list]     the accounts the blog follows on the fediverse (ACTIVITYPUB=on) and their newest posts
  web following add @name@server|URL
                           follow an account (a Follow is sent; their posts are listed once accepted)
  web following remove ID|@name@server|URL
                           unfollow one (their server is told with an Undo)
  web ban add email|domain|ip VALUE [--remove-past]
                           hold new comments of an email, email domain, address or /24 or /64 network as
                           spam; --remove-past also marks their earlier comments as spam
  web ban list             list the bans with their ids
  web ban remove ID...     lift bans
  web reactions [--post SLUG] [--limit N]
                           readers' reactions: per post (most first, with those on its comments), then
                           the comments with the most
  web images list          the uploaded images: name, size, pixels, file name, variant
  web images add FILE [--alt TEXT] [--dark-of NAME]
                           upload an image as the Images page does (same checks and bounds); prints its
                           Markdown
  web images delete NAME...
                           delete uploaded images (posts that show one show a broken image)
  web owner password       set or replace the owner's password (read from standard input)
  web owner reset --force  remove every owner credential and session and print a new setup link
  web import --from disqus|wordpress|remark42|isso|commento|blog FILE [--map MAPFILE] [--dry-run] [--skip-invalid]
                           bring in comments from another system's export (or this blog's own);
                           --dry-run reports what would happen and writes nothing; importing a file
                           again adds only what is new; --skip-invalid imports a file with malformed
                           records, passing over them
  web export FILE          write every post, commenter, comment and ban to FILE (JSON lines; - for
                           standard output); "web import --from blog FILE" restores it
  web people export EMAIL  print everything held about an address (its comments, earlier texts, mail) as JSON
  web people erase EMAIL [--force]
                           erase it: says what is lost and refuses; --force writes that to a file, then erases
  web --help               show this help

Environment:
`)
	for _, s := range config.Settings {
		def := s.Default
		if def == "" {
			def = "(unset)"
		}
		fmt.Fprintf(w, "  %-13s default %s\n      %s\n", s.Name, def, s.Help)
	}
}
