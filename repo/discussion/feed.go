package discussion

import (
	"context"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/database"
	"blog/repo"
	"blog/repo/internal/store"
	"blog/repo/mentions"
)

// FeedHead returns the id of the newest change of any post (0 when there is none): what the whole blog's
// comments stand at, for what is built from them (the comments feed).
func (s *Comments) FeedHead(ctx context.Context) (int64, error) {
	n, err := s.db.Repo().Aggregate(ctx, rel.From("changes"), "max", "id")
	return int64(n), repo.Translate(err, "read the newest change")
}

// FindChanges returns a post's changes with a sequence greater than after, oldest first, at most limit, each with
// its comment as it is now and the post's current count of published comments. Reading the current state (not
// the state at the time of the change) makes every change safe to apply twice or late: the last one applied
// always leaves the page as the database is.
func (s *Comments) FindChanges(ctx context.Context, postID, after int64, limit int) ([]repo.Change, error) {
	var rows []database.ChangeRow
	q := rel.Where(where.Eq("post_id", postID), where.Gt("seq", after)).SortAsc("seq").Limit(limit)
	if err := s.db.Repo().FindAll(ctx, &rows, q); err != nil {
		return nil, repo.Translate(err, "find changes")
	}
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.CommentID
	}
	comments, err := s.FindCommentsByID(ctx, store.UniqueIDs(ids))
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*repo.Comment, len(comments))
	for i := range comments {
		byID[comments[i].ID] = &comments[i]
	}
	// The conversations' counts of replies, for lists that show a conversation's first replies only.
	var rootIDs []int64
	for _, c := range comments {
		if !c.TopLevel() {
			rootIDs = append(rootIDs, c.Thread())
		}
	}
	replies := map[int64]int{}
	if len(rootIDs) > 0 {
		var roots []repo.Comment
		if err := s.db.Repo().FindAll(ctx, &roots, rel.Select("id", "replies").Where(store.InIDs("id", store.UniqueIDs(rootIDs)))); err != nil {
			return nil, repo.Translate(err, "count replies")
		}
		for _, r := range roots {
			replies[r.ID] = r.Replies
		}
	}
	for _, c := range comments {
		if c.TopLevel() {
			replies[c.ID] = c.Replies
		}
	}
	st, err := s.PostStamp(ctx, postID)
	if err != nil {
		return nil, err
	}
	// The likes and reposts from other sites as they are now, read once for the changes that need them.
	var elsewhere *repo.Elsewhere
	for _, r := range rows {
		if r.Kind == repo.ChangeMentioned {
			e, err := mentions.New(s.db).Elsewhere(ctx, postID)
			if err != nil {
				return nil, err
			}
			elsewhere = &e
			break
		}
	}
	out := make([]repo.Change, len(rows))
	for i, r := range rows {
		out[i] = repo.Change{Seq: r.Seq, PostID: r.PostID, CommentID: r.CommentID, Kind: r.Kind, Comment: byID[r.CommentID], Count: st.Count,
			Closed: st.Closed, PostReactions: st.Reactions}
		if r.Kind == repo.ChangeMentioned {
			out[i].Elsewhere = elsewhere
		}
		if c := byID[r.CommentID]; c != nil {
			out[i].Replies = replies[c.Thread()]
		}
	}
	return out, nil
}

// parentNames fills in ParentName for replies that answer another reply (and, when threads are given, for the
// replies they hold, which replies shares).
func (s *Comments) parentNames(ctx context.Context, replies []repo.Comment, threads []repo.Thread) error {
	answersReply := func(c repo.Comment) bool { return c.ParentID != nil && c.ThreadID != nil && *c.ParentID != *c.ThreadID }
	var ids []int64
	for _, c := range replies {
		if answersReply(c) {
			ids = append(ids, *c.ParentID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var parents []repo.Comment
	if err := s.db.Repo().FindAll(ctx, &parents, rel.Select("id", "username").Where(store.InIDs("id", store.UniqueIDs(ids)))); err != nil {
		return repo.Translate(err, "find answered comments")
	}
	names := map[int64]string{}
	for _, p := range parents {
		names[p.ID] = p.Username
	}
	fill := func(cs []repo.Comment) {
		for i, c := range cs {
			if answersReply(c) {
				cs[i].ParentName = names[*c.ParentID]
			}
		}
	}
	fill(replies)
	for _, t := range threads {
		fill(t.Replies)
	}
	return nil
}
