// Package repo holds the blog's domain types and the stores that read and write them through rel.Repository.
package repo

import "time"

// User is a commenter. Users are identified by their email address, compared case-insensitively (it is stored in
// lower case), and take the username given with their newest comment.
type User struct {
	ID        int64
	Username  string
	Email     string
	CreatedAt time.Time
	Comments  []Comment `ref:"id" fk:"user_id"`
}

// Post is the database row that stands for one Markdown post, so that comments can reference it by foreign key.
// The article itself lives in the content files; the row survives when the file goes away.
type Post struct {
	ID        int64
	Slug      string
	Title     string
	CreatedAt time.Time
}

// Comment is one reader's comment on a post.
type Comment struct {
	ID        int64
	PostID    int64
	UserID    int64
	Body      string
	CreatedAt time.Time
	User      User `ref:"user_id" fk:"id"`
	Post      Post `ref:"post_id" fk:"id"`
}

// CommentFilter selects comments for FindComments.
type CommentFilter struct {
	// PostID is required: comments are always read for one post.
	PostID int64
	// AfterID, when positive, keeps only comments with a greater id (the ones a reader has not seen yet).
	AfterID int64
	// BeforeID, when positive, keeps only comments with a smaller id (older ones, for paging back).
	BeforeID int64
	// Limit caps how many comments come back; zero means no cap.
	Limit int
	// OldestFirst sorts by increasing id instead of newest first.
	OldestFirst bool
}
