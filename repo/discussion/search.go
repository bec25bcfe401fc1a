package discussion

import (
	"context"
	"strings"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/repo"
	"blog/repo/internal/store"
)

// SearchComments returns the comments matching q, newest first, with their authors and posts loaded.
func (s *Comments) SearchComments(ctx context.Context, q repo.Search) ([]repo.Comment, error) {
	query := rel.From("comments").SortDesc("id")
	if q.Limit > 0 {
		query = query.Limit(q.Limit)
	}
	if q.State != "" {
		query = query.Where(where.Eq("state", q.State))
	}
	if q.PostID > 0 {
		query = query.Where(where.Eq("post_id", q.PostID))
	}
	if q.Text != "" {
		query = query.Where(where.Like("^LOWER(body)", "%"+store.LikeEscape(strings.ToLower(q.Text))+"%"))
	}
	if q.IPHash != "" {
		query = query.Where(where.Eq("ip_hash", q.IPHash))
	}
	if q.NetHash != "" {
		query = query.Where(where.Eq("net_hash", q.NetHash))
	}
	if q.BeforeID > 0 {
		query = query.Where(where.Lt("id", q.BeforeID))
	}
	if q.ID > 0 {
		query = query.Where(where.Eq("id", q.ID))
	}
	users := q.UserIDs
	if q.Email != "" {
		var found []repo.User
		pattern := "%" + store.LikeEscape(strings.ToLower(q.Email)) + "%"
		if err := s.db.Repo().FindAll(ctx, &found, rel.Where(where.Like("email", pattern)).Limit(1000)); err != nil {
			return nil, repo.Translate(err, "find commenters")
		}
		if len(found) == 0 {
			return nil, nil
		}
		for _, u := range found {
			users = append(users, u.ID)
		}
	}
	if q.Email != "" || len(q.UserIDs) > 0 {
		query = query.Where(store.InIDs("user_id", store.UniqueIDs(users)))
	}
	comments, err := s.findWithAuthors(ctx, query)
	if err != nil || len(comments) == 0 {
		return comments, err
	}
	if err := s.db.Repo().Preload(ctx, &comments, "post"); err != nil {
		return nil, repo.Translate(err, "load comment posts")
	}
	return comments, nil
}
