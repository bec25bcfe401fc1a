// Package desk holds the pages of the writing desk, as handlers/desk serves them: the list of every post and
// page, the editor with its preview and autosave answers, and a post's kept versions.
package desk

import "html/template"

// The states a post is in on the desk's list (DeskRow.State).
const (
	DeskPublished = "published"
	DeskScheduled = "scheduled"
	DeskDraft     = "draft"
	DeskDeleted   = "deleted"
)

// DeskFilters are the desk list's views, in the order its tabs show them, with their labels.
var DeskFilters = []struct{ Value, Label string }{
	{"", "All"}, {DeskPublished, "Published"}, {DeskScheduled, "Scheduled"}, {DeskDraft, "Drafts"},
	{"files", "Files"}, {DeskDeleted, "Deleted"},
}

// DeskView is the desk's list of posts and pages (/admin/posts): every one, published, scheduled, drafts (and
// deleted ones waiting to be purged), with where it comes from and its comments.
type DeskView struct {
	Rows []DeskRow
	// Filter is the view shown (a DeskFilters value); Counts are the rows of each.
	Filter        string
	Counts        map[string]int
	Notice, Error string
	// Problems are the files (and desk posts) that could not be served, as "file: problem".
	Problems []string
	// PurgeDays is PURGE_AFTER in days: how long a deleted post can be restored.
	PurgeDays int
}

// DeskRow is one post or page of the desk's list. ID is the desk post's (0 for a file); File says it is a file of
// the content folder (read-only here). Count to Until are its comments, as the posts page showed them: Closed
// with Why in words, Override the owner's choice, Until when COMMENTS_CLOSE_AFTER closes it.
type DeskRow struct {
	ID          int64
	Slug, Title string
	Page        bool
	File        bool
	State       string
	// When is the date shown: published, scheduled for, last changed, or deleted.
	When string
	// Changed says a published desk post has changes not yet published.
	Changed  bool
	Count    int
	Closed   bool
	Why      string
	Override string
	Until    string
}

// DeskEditor is the desk's editor of one post: the working copy's fields as typed, with a message beside each
// field that needs one, and the post's state.
type DeskEditor struct {
	ID                                                            int64
	Slug, Title, Date, Summary, Tags, Image, Comments, Lang, Body string
	// InReplyTo is the address of a post elsewhere that this one answers.
	InReplyTo string
	// SlugLocked is set once the post was first published: its address no longer changes. SlugTyped is the slug
	// the owner typed (empty while it follows the title).
	SlugLocked bool
	SlugTyped  string
	// Page makes the editor a page's: served at /slug, with its place in the navigation (Order) in place of a
	// post's date, tags, summary, image and comments.
	Page  bool
	Order string
	// State is a DeskRow state; PublishAt the time it appears (scheduled or published), Changed as in DeskRow.
	State     string
	PublishAt string
	Changed   bool
	// ScheduleAt is the schedule field's value (datetime-local, UTC).
	ScheduleAt string
	Errors     map[string]string
	Notice     string
	// Saved says when the working copy was last saved.
	Saved string
	// Revision is the working copy's save count: the page script keeps what is typed in the browser until a
	// save confirms it, and puts it back only over the revision it was typed on.
	Revision int
	// Preview is the body rendered as readers get it (the no-script Preview button, and the first view).
	Preview template.HTML
}

// DeskVersion is one kept version of a desk post.
type DeskVersion struct {
	ID    int64
	Kind  string
	Saved string
	Title string
	Size  int
}

// DeskVersions is the page of a post's kept versions.
type DeskVersions struct {
	ID       int64
	Title    string
	Versions []DeskVersion
	Max      int
}

// DeskPreview is the preview pane: the body as readers get it, or why it cannot be shown.
type DeskPreview struct {
	HTML  template.HTML
	Error string
}
