package review

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/repo"
	"blog/repo/internal/store"
	"blog/repo/pictures"
	"blog/richtext"
)

// Commenter is everything the comment store holds about one email address: its user row (nil when the address
// never commented), its comments in every state with their posts, and the earlier texts of the edited ones.
type Commenter struct {
	User     *repo.User
	Comments []repo.Comment
	Versions map[int64][]repo.Version
}

// Erased is what erasing a commenter's data did: the comments whose text, name and address hashes were wiped
// (Moved are the ones that were still shown or held and are deleted now), and whether a user row was removed.
type Erased struct {
	Comments int
	IDs      []int64
	Moved    []repo.Moved
	User     bool
}

// ErasedReason is the reason an erased comment carries.
const ErasedReason = "erased at its author's request"

// ErasedEmail is the address of the row erased comments belong to: in the reserved .invalid domain, like the
// placeholders of imported commenters without an address, so it never receives mail, and valid, so the blog's
// own export of erased comments imports again.
const ErasedEmail = "erased@erased.invalid"

// Commenter returns what is held about an address (compared in lower case, as it is stored).
func (s *Comments) Commenter(ctx context.Context, email string) (Commenter, error) {
	out := Commenter{Versions: map[int64][]repo.Version{}}
	u, err := s.findUser(ctx, email)
	if errors.Is(err, repo.ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	out.User = &u
	if out.Comments, err = s.SearchComments(ctx, repo.Search{UserIDs: []int64{u.ID}}); err != nil {
		return out, err
	}
	ids := make([]int64, len(out.Comments))
	for i, c := range out.Comments {
		ids[i] = c.ID
	}
	out.Versions, err = s.Versions(ctx, ids)
	return out, err
}

func (s *Comments) findUser(ctx context.Context, email string) (repo.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return repo.User{}, repo.ErrNotFound
	}
	var u repo.User
	err := s.db.Repo().Find(ctx, &u, where.Eq("email", email))
	return u, repo.Translate(err, "find commenter")
}

// EraseCommenter removes what the comment store holds about an address, in one transaction: every comment of
// it is moved to deleted through the same step as the owner's delete (its change in the feed, its
// conversation's counts, one audit entry that names the comments but not the address), then its text, its
// rendering, the name it was posted under, its address hashes and its earlier texts are wiped, and it is handed
// to the erased commenters' row (ErasedEmail), so a conversation it started still shows "Comment removed" where it
// was; the user row goes. Comments already deleted are wiped too and their change recorded, as are the replies
// that named an erased reply ("to @name"), so every open page drops what it showed. An address with nothing
// held changes nothing (and leaves no audit entry: the trail never says which addresses were asked about).
func (s *Comments) EraseCommenter(ctx context.Context, email string, act repo.Action) (Erased, error) {
	var out Erased
	err := s.db.Write(ctx, func(ctx context.Context) error {
		out = Erased{}
		u, err := s.findUser(ctx, email)
		if errors.Is(err, repo.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		var mine []repo.Comment
		if err := s.db.Repo().FindAll(ctx, &mine, rel.Select("id", "post_id").Where(where.Eq("user_id", u.ID)).SortAsc("id")); err != nil {
			return err
		}
		ids := make([]int64, len(mine))
		for i, c := range mine {
			ids[i] = c.ID
		}
		if len(ids) > 0 {
			if out.Moved, err = s.move(ctx, ids, repo.StateDeleted, ErasedReason, act, nil); err != nil {
				return err
			}
		}
		moved := map[int64]bool{}
		for _, m := range out.Moved {
			moved[m.ID] = true
		}
		for _, c := range mine {
			if !moved[c.ID] {
				if _, err := repo.Record(ctx, s.db, c.PostID, c.ID, repo.ChangeState, 0); err != nil {
					return err
				}
			}
		}
		if len(ids) > 0 {
			// Replies of other people that answer an erased reply show its name: render them again.
			var answers []repo.Comment
			q := rel.Select("id", "post_id", "parent_id", "thread_id").Where(store.InIDs("parent_id", ids), where.Ne("user_id", u.ID), where.NotNil("thread_id"))
			if err := s.db.Repo().FindAll(ctx, &answers, q); err != nil {
				return err
			}
			for _, a := range answers {
				if a.ParentID == nil || *a.ParentID == a.Thread() {
					continue // it answers the conversation's first comment, which no reply names
				}
				if _, err := repo.Record(ctx, s.db, a.PostID, a.ID, repo.ChangeEdited, 0); err != nil {
					return err
				}
			}
			nobody, err := s.erasedUser(ctx)
			if err != nil {
				return err
			}
			// The blog's copies of the author's picture (a commenter from another site) go with the comments.
			var pictured []repo.Comment
			if err := s.db.Repo().FindAll(ctx, &pictured, rel.Select("author_photo").Where(where.Eq("user_id", u.ID), where.Ne("author_photo", ""))); err != nil {
				return err
			}
			if _, err := s.db.Repo().UpdateAny(ctx, rel.From("comments").Where(where.Eq("user_id", u.ID)),
				rel.Set("user_id", nobody), rel.Set("username", ""), rel.Set("body", ""), rel.Set("format", repo.FormatMarkdown),
				rel.Set("html", ""), rel.Set("html_version", richtext.Version), rel.Set("ip_hash", ""), rel.Set("net_hash", ""),
				rel.Set("notify", false), rel.Set("reason", ErasedReason), rel.Set("author_photo", "")); err != nil {
				return err
			}
			photos := make([]string, 0, len(pictured))
			for _, c := range pictured {
				if !slices.Contains(photos, c.AuthorPhoto) {
					photos = append(photos, c.AuthorPhoto)
				}
			}
			if err := pictures.New(s.db).Release(ctx, photos); err != nil {
				return err
			}
			if _, err := s.db.Repo().DeleteAny(ctx, rel.From("comment_versions").Where(store.InIDs("comment_id", ids))); err != nil {
				return err
			}
		}
		if _, err := s.db.Repo().DeleteAny(ctx, rel.From("users").Where(where.Eq("id", u.ID))); err != nil {
			return err
		}
		out.Comments, out.IDs, out.User = len(ids), ids, true
		if len(ids) == 0 {
			return repo.InsertAudit(ctx, s.db, repo.AuditEntry{At: time.Now().UTC(), Actor: act.Actor, Action: act.Name, Detail: act.Detail})
		}
		return nil
	})
	return out, repo.Translate(err, "erase a commenter's data")
}

// erasedUser returns the id of the row erased comments belong to: no name, ErasedEmail.
func (s *Comments) erasedUser(ctx context.Context) (int64, error) {
	insert := "INSERT INTO users (username, email, created_at) VALUES ('', ?, ?) ON CONFLICT DO NOTHING"
	if _, _, err := s.db.Repo().Exec(ctx, s.db.Placeholders(insert), ErasedEmail, time.Now().UTC()); err != nil {
		return 0, err
	}
	var u repo.User
	err := s.db.Repo().Find(ctx, &u, where.Eq("email", ErasedEmail))
	return u.ID, err
}
