// Package repo holds the blog's domain types and the stores that read and write them through rel.Repository.
package repo

import (
	"html/template"
	"strings"
	"time"

	"blog/richtext"
)

// User is a commenter. Users are identified by their email address, compared case-insensitively (it is stored in
// lower case). Username is the name given with their newest comment; each comment keeps its own.
type User struct {
	ID        int64
	Username  string
	Email     string
	CreatedAt time.Time
	// Avatar is what the commenter's picture is drawn from: a keyed hash of the email (hex), filled in by a
	// comment store given the site's avatar key (see AvatarKey), so that nobody without the key can tell from a
	// picture whether a guessed address is the commenter's. Never stored.
	Avatar string `db:"-"`
}

// Post is the database row that stands for one Markdown post, so that comments can reference it by foreign key.
// The article itself lives in the content files; the row survives when the file goes away. LastSeq is the
// newest sequence of the post's change feed and CommentCount its number of published comments, both kept by
// every write so that neither is ever counted.
type Post struct {
	ID           int64
	Slug         string
	Title        string
	LastSeq      int64
	CommentCount int
	CreatedAt    time.Time
	// CommentsClosed is what the post's file says (`comments: closed`), CommentsCloseAt when COMMENTS_CLOSE_AFTER
	// closes it (nil: never), both written when the content is loaded; CommentsOverride is the owner's choice
	// from the console or the command line (CommentsOpen, CommentsClosed, or "" to follow the file and the time).
	// CommentsClosedNoted is the state last announced in the post's change feed. See Closed.
	CommentsClosed      bool
	CommentsCloseAt     *time.Time
	CommentsOverride    string
	CommentsClosedNoted bool
	// ReactionCounts are the readers' reactions to the post itself.
	ReactionCounts
}

// The owner's choices for a post's comments (Post.CommentsOverride).
const (
	CommentsFollow = ""       // as the post's file and COMMENTS_CLOSE_AFTER say
	CommentsOpen   = "open"   // open, whatever the file or the time says
	CommentsClosed = "closed" // closed
)

// Closed reports whether the post takes no new comments at now: the owner's choice when there is one, otherwise
// its file's `comments: closed` or its time under COMMENTS_CLOSE_AFTER having passed. Its comments stay visible.
func (p Post) Closed(now time.Time) bool {
	switch p.CommentsOverride {
	case CommentsOpen:
		return false
	case CommentsClosed:
		return true
	}
	return p.CommentsClosed || (p.CommentsCloseAt != nil && !now.Before(*p.CommentsCloseAt))
}

// ClosedBecause says, in words for the owner, why the post is closed at now ("" when it is open).
func (p Post) ClosedBecause(now time.Time) string {
	switch {
	case !p.Closed(now):
		return ""
	case p.CommentsOverride == CommentsClosed:
		return "closed by the owner"
	case p.CommentsClosed:
		return "closed by its file (comments: closed)"
	}
	return "closed by COMMENTS_CLOSE_AFTER on " + p.CommentsCloseAt.UTC().Format("2 Jan 2006, 15:04 UTC")
}

// The states of a comment. Only published comments are shown to readers; pending and spam ones are held for
// the owner (and shown to their author, marked as awaiting approval); deleted ones are purged for good after a
// while.
const (
	StatePublished = "published"
	StatePending   = "pending"
	StateSpam      = "spam"
	StateDeleted   = "deleted"
)

// States lists every comment state, in the order the console offers them.
var States = []string{StatePublished, StatePending, StateSpam, StateDeleted}

// ValidState reports whether s names a comment state.
func ValidState(s string) bool {
	for _, st := range States {
		if s == st {
			return true
		}
	}
	return false
}

// Held reports a state in which a comment waits for the owner: its author still sees it.
func Held(state string) bool { return state == StatePending || state == StateSpam }

// Comment is one reader's comment on a post.
type Comment struct {
	ID     int64
	PostID int64
	UserID int64
	// Username is the name the comment was posted under.
	Username string
	Body     string
	State    string
	// Reason says why the comment is in its state when that was not the commenter's choice ("held: moderation
	// is on", "banned email", "deleted by the owner").
	Reason string
	// IPHash and NetHash are keyed hashes of the poster's address and of its /24 (IPv4) or /64 (IPv6); the
	// address itself is never stored.
	IPHash    string
	NetHash   string
	CreatedAt time.Time
	// StateAt is when the state last changed (nil: never since the comment was posted).
	StateAt *time.Time
	// ParentID is the comment this one answers, ThreadID the top-level comment of its conversation; both are
	// nil for a top-level comment. Replies counts a top-level comment's published replies.
	ParentID *int64
	ThreadID *int64
	Replies  int
	// Format is how Body is written: FormatText (comments from before Markdown) or FormatMarkdown.
	Format string
	// EditedAt is when its author last changed it (nil: never).
	EditedAt *time.Time
	// ModeratedAt is when the owner (the console, the command line, a ban's sweep) last changed its state; from
	// then on its author can no longer edit or delete it.
	ModeratedAt *time.Time
	// Notify is set when its author asked for an email when someone replies.
	Notify bool
	// ByOwner marks a comment the blog's owner wrote while signed in (shown with an "author" badge). Only the
	// server sets it, from the owner's session: a name or an email typed in the form never does.
	ByOwner bool
	// PinnedAt is when the owner pinned the comment (nil: not pinned); see Pinned.
	PinnedAt *time.Time
	// HTML is the text as readers see it, rendered when the comment was written by the rules of richtext
	// version HTMLVersion (see Rendered).
	HTML        string `db:"html"`
	HTMLVersion int    `db:"html_version"`
	// SourceURL, AuthorURL and MentionKind are the comment's origin when another site sent it by Webmention: the
	// page that mentions the post, its author's address on that site ("" when none could be trusted) and
	// MentionReply or MentionLink. All three are "" for a comment written here.
	SourceURL   string `db:"source_url"`
	AuthorURL   string `db:"author_url"`
	MentionKind string `db:"mention_kind"`
	// AuthorHandle is the author's @user@server when the comment came from the fediverse (MentionFediverse);
	// SourceURL is then the original post there and AuthorURL the author's profile.
	AuthorHandle string `db:"author_handle"`
	// AuthorPhoto is the blog's own address of its copy of the author's picture on the other site
	// (PicturePrefix+NAME, see Picture); "" when there is none, and for every comment written here.
	AuthorPhoto string `db:"author_photo"`
	// ReactionCounts are the readers' reactions to it, kept by every reaction's write.
	ReactionCounts
	// ParentName is the name of the reply this one answers, when it answers a reply rather than the top-level
	// comment (filled in by the reads that show conversations; not stored).
	ParentName string `db:"-"`
	User       User   `ref:"user_id" fk:"id"`
	Post       Post   `ref:"post_id" fk:"id"`
}

// The kinds of comment that came from another site (Comment.MentionKind). Likes and reposts are counted, not
// stored as comments.
const (
	MentionReply = "reply"   // the other page answers the post: shown in the conversation
	MentionLink  = "mention" // the other page links to the post: shown in the conversation, marked as a mention
	// MentionFediverse is a reply from the fediverse (ActivityPub), to the post or to a comment under it.
	MentionFediverse = "fediverse"
)

// FromElsewhere reports a comment that another site sent by Webmention.
func (c Comment) FromElsewhere() bool { return c.MentionKind != "" }

// PicturePrefix is where the blog serves its copies of pictures that other sites name (package pictures).
const PicturePrefix = "/media/p/"

// Picture returns the address of the picture drawn for the comment's author instead of the blog's own drawing:
// its copy of a picture another site named (AuthorPhoto), when that is one of the blog's own picture addresses;
// "" otherwise (the drawn picture, keyed by User.Avatar, is shown).
func (c Comment) Picture() string {
	name, ok := strings.CutPrefix(c.AuthorPhoto, PicturePrefix)
	if !ok || len(name) < 5 || len(name) > 64 {
		return ""
	}
	for _, r := range name {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r == '.') {
			return ""
		}
	}
	return c.AuthorPhoto
}

// The formats of a comment's text.
const (
	FormatText     = "text"
	FormatMarkdown = "markdown"
)

// Rendered returns the comment's text as readers see it: the rendering stored with it, or, for a comment stored
// by older rules and not yet rendered again (see RenderStale), a rendering made now.
// Byline is the comment's author as text outside the page (feeds, mail): the name given, and "(author)" after
// it when the blog's owner wrote it, as the page's badge says. A reader cannot earn it by typing a name.
func (c Comment) Byline() string {
	if c.ByOwner {
		return c.Username + " (author)"
	}
	return c.Username
}

func (c Comment) Rendered() template.HTML {
	if c.HTMLVersion == richtext.Version {
		return template.HTML(c.HTML) // rendered and sanitised by richtext when the comment was written
	}
	return richtext.Render(c.Body, c.Format)
}

// Render sets the stored rendering of the comment's text (HTML and HTMLVersion) by richtext's current rules, as
// every store does before it writes a comment's text.
func (c *Comment) Render() {
	c.HTML, c.HTMLVersion = string(richtext.Render(c.Body, c.Format)), richtext.Version
}

// Pinned reports a comment shown first, marked as pinned: a conversation's first comment that the owner pinned
// and readers see. A pinned comment that is removed loses its place first until it is restored.
func (c Comment) Pinned() bool { return c.PinnedAt != nil && c.Visible() && c.TopLevel() }

// MaxPinned is how many comments of one post may be pinned at once: a few, so that what comes first stays short.
const MaxPinned = 3

// PinRefusedError refuses to pin a comment; its message says why, in words for the owner.
type PinRefusedError struct{ Msg string }

func (e PinRefusedError) Error() string { return e.Msg }

// Visible reports whether readers see the comment.
func (c Comment) Visible() bool { return c.State == StatePublished }

// TopLevel reports whether the comment starts a conversation (it answers nobody).
func (c Comment) TopLevel() bool { return c.ThreadID == nil }

// Thread returns the id of the conversation's top-level comment: its own id for a top-level comment.
func (c Comment) Thread() int64 {
	if c.ThreadID != nil {
		return *c.ThreadID
	}
	return c.ID
}

// Placeholder reports a top-level comment that readers no longer see but whose conversation goes on: it is
// shown as "comment removed" so its replies keep their place.
func (c Comment) Placeholder() bool { return !c.Visible() && c.TopLevel() && c.Replies > 0 }

// Version is an earlier text of an edited comment.
type Version struct {
	ID         int64
	CommentID  int64
	Body       string
	Format     string
	ReplacedAt time.Time
}

func (Version) Table() string { return "comment_versions" }

// Thread is a top-level comment with its first published replies (at most ShownReplies), oldest first. More is
// how many published replies follow them.
type Thread struct {
	Top     Comment
	Replies []Comment
	More    int
}

// ShownReplies is how many replies of a conversation a list shows; the rest are paged in ("show N more
// replies"), so neither a page nor the work a new reply causes grows with the conversation.
const ShownReplies = 20

// CommentFilter selects a post's published comments for FindComments.
type CommentFilter struct {
	// PostID is required: comments are always read for one post.
	PostID int64
	// AfterID, when positive, keeps only comments with a greater id.
	AfterID int64
	// BeforeID, when positive, keeps only comments with a smaller id (older ones, for paging back).
	BeforeID int64
	// Limit caps how many comments come back; zero means no cap.
	Limit int
	// OldestFirst sorts by increasing id instead of newest first.
	OldestFirst bool
}

// Search selects comments for the owner's console and the command line; empty fields do not filter.
type Search struct {
	State  string
	PostID int64
	// Text matches anywhere in the comment, ignoring letter case.
	Text string
	// Email matches anywhere in the commenter's email.
	Email string
	// IPHash or NetHash select the comments posted from one address or network.
	IPHash, NetHash string
	// UserIDs, when set, keeps only comments of these commenters.
	UserIDs []int64
	// BeforeID pages back: only comments with a smaller id.
	BeforeID int64
	Limit    int
	// ID, when set, selects that one comment.
	ID int64
}

// The kinds of change recorded in the feed.
const (
	ChangeCreated = "created"
	ChangeState   = "state"
	ChangeEdited  = "edited"
	// ChangePost is a change of the post itself (closed to comments, or open again); it names no comment.
	ChangePost = "post"
	// ChangePinned is a comment pinned or unpinned by the owner.
	ChangePinned = "pinned"
	// ChangeContent is a change of a post written in the desk (published, changed, scheduled, taken down): every
	// instance reads its content again. It names no comment.
	ChangeContent = "content"
	// ChangeMentioned is a change of the likes and reposts other sites sent to the post (a Webmention verified,
	// changed or removed, a like or boost from the fediverse or its undoing); it names no comment.
	ChangeMentioned = "mentioned"
)

// Change is one entry of a post's change feed, with the changed comment as it is now (nil when it was purged)
// and the post's count of published comments now.
type Change struct {
	Seq       int64
	PostID    int64
	CommentID int64
	Kind      string
	Comment   *Comment
	Count     int
	// Replies is the number of published replies of the changed comment's conversation now.
	Replies int
	// Closed reports whether the post takes no new comments now.
	Closed bool
	// PostReactions are the post's own reactions now (what a ChangeReacted of the post itself shows).
	PostReactions Tally
	// Elsewhere, set for a ChangeMentioned, are the likes and reposts other sites sent to the post now.
	Elsewhere *Elsewhere
}

// Elsewhere is how many likes and reposts other sites sent to a post, with the names (and addresses) of the
// newest people who sent them.
type Elsewhere struct {
	Likes, Reposts int
	Likers         []Face
	Reposters      []Face
}

// Face is one person on another site: their name and, when trusted, their address there.
type Face struct {
	Name, URL string
}

// OfPost reports a change of the post itself rather than of one of its comments (a reaction to the post).
func (c Change) OfPost() bool { return c.CommentID == 0 && c.Kind == ChangeReacted }
