// Package moderation is the owner's control over comments: the states a comment moves through, bans, the rule
// that decides whether a new comment is published or held, the purge of deleted comments, and the console at
// /admin that does all of it in a browser. The command line (web comments ..., web ban ...) calls the same
// Service, so both leave the same trail.
package moderation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"blog/clientip"
	"blog/repo"
	"blog/spam"
)

// Mode is the MODERATION setting: which new comments are held for approval.
type Mode string

// The moderation modes.
const (
	ModeOff   Mode = "off"   // publish at once (bans and spam rules still hold comments)
	ModeFirst Mode = "first" // hold a browser's comments until the owner has approved one of them
	ModeAll   Mode = "all"   // hold every new comment
)

// ParseMode reads the MODERATION setting.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case ModeOff, ModeFirst, ModeAll:
		return Mode(s), nil
	}
	return "", fmt.Errorf("MODERATION=%q: want off, first or all", s)
}

// Store is what moderation needs from the comment store.
type Store interface {
	SetState(ctx context.Context, ids []int64, state, reason string, act repo.Action) ([]repo.Moved, error)
	SearchComments(ctx context.Context, q repo.Search) ([]repo.Comment, error)
	FindComment(ctx context.Context, id int64) (repo.Comment, error)
	CommentsMatching(ctx context.Context, ban repo.Ban) ([]int64, error)
	CountByState(ctx context.Context) (map[string]int, error)
	Purge(ctx context.Context, cutoff time.Time, act repo.Action) (int, error)
}

// BanStore is what moderation needs from the ban store.
type BanStore interface {
	Add(ctx context.Context, ban repo.Ban, act repo.Action) (repo.Ban, error)
	List(ctx context.Context) ([]repo.Ban, error)
	Remove(ctx context.Context, id int64, act repo.Action) (repo.Ban, error)
	Match(ctx context.Context, email, ipHash, netHash string) (repo.Ban, bool, error)
}

var (
	_ Store    = (*repo.Comments)(nil)
	_ BanStore = (*repo.Bans)(nil)
)

// Service carries out moderation. Changed tells this instance's live broker about a change at once (other
// processes and instances learn of it from the database's change watcher); it may be nil.
type Service struct {
	Comments Store
	Bans     BanStore
	Hasher   clientip.Hasher
	Mode     Mode
	Rules    spam.Rules
	Changed  func(postID, seq int64)
}

// The actions on comments, by the name the console and the command line use.
var actions = map[string]struct{ state, reason string }{
	"approve": {repo.StatePublished, ""},
	"restore": {repo.StatePublished, ""},
	"spam":    {repo.StateSpam, "marked as spam by the owner"},
	"delete":  {repo.StateDeleted, "deleted by the owner"},
}

// ErrUnknownAction means an action name that is not approve, restore, spam or delete.
var ErrUnknownAction = errors.New("unknown action: want approve, spam, delete or restore")

// Act applies a named action (approve, spam, delete, restore) to comments and returns the ones it changed.
func (s *Service) Act(ctx context.Context, actor, action string, ids []int64) ([]repo.Moved, error) {
	a, ok := actions[action]
	if !ok {
		return nil, ErrUnknownAction
	}
	moved, err := s.Comments.SetState(ctx, ids, a.state, a.reason, repo.Action{Actor: actor, Name: action})
	if err != nil {
		return nil, err
	}
	s.announce(moved)
	return moved, nil
}

func (s *Service) announce(moved []repo.Moved) {
	if s.Changed == nil {
		return
	}
	for _, m := range moved {
		s.Changed(m.PostID, m.Stamp.Seq)
	}
}

// Candidate is a new comment as the hold decision sees it.
type Candidate struct {
	Email, IPHash, NetHash string
	spam.Submission
	// Trusted reports whether the posting browser holds a signed record of a comment the owner has published. It
	// is asked only when the answer matters (MODERATION=first); nil means no.
	Trusted func(context.Context) (bool, error)
}

// Decision is what becomes of a new comment: its state, the reason the owner sees, and a short kind for metrics.
type Decision struct {
	State, Reason, Kind string
}

// Screen decides what becomes of a new comment: held as spam for a banned commenter; held (pending) by a spam
// rule or by the moderation mode; published otherwise.
func (s *Service) Screen(ctx context.Context, c Candidate) (Decision, error) {
	ban, banned, err := s.Bans.Match(ctx, c.Email, c.IPHash, c.NetHash)
	if err != nil {
		return Decision{}, err
	}
	if banned {
		return Decision{repo.StateSpam, "banned " + banKindWords[ban.Kind] + ": " + ban.Label, "banned"}, nil
	}
	if v := s.Rules.Check(c.Submission); v.Hold {
		return Decision{repo.StatePending, v.Reason, v.Kind}, nil
	}
	switch s.Mode {
	case ModeAll:
		return Decision{repo.StatePending, "held: every comment waits for approval (MODERATION=all)", "moderation"}, nil
	case ModeFirst:
		trusted := false
		if c.Trusted != nil {
			if trusted, err = c.Trusted(ctx); err != nil {
				return Decision{}, err
			}
		}
		if !trusted {
			return Decision{repo.StatePending, "held: a first comment from this browser (MODERATION=first)", "first"}, nil
		}
	}
	return Decision{State: repo.StatePublished}, nil
}

var banKindWords = map[string]string{repo.BanEmail: "email", repo.BanDomain: "email domain", repo.BanIP: "address", repo.BanNet: "network"}

// BanRequest is a ban as the owner asks for it: a kind (email, domain or ip) and a value, or the email, address
// or network of an existing comment.
type BanRequest struct {
	Kind  string
	Value string
	// FromComment, when set, takes the value from that comment (Kind email, ip or net).
	FromComment int64
	// RemovePast also marks that person's earlier comments (published or pending) as spam.
	RemovePast bool
}

// Ban stores a ban and, if asked, marks the earlier comments it covers as spam. It returns the ban and how
// many comments it removed.
func (s *Service) Ban(ctx context.Context, actor string, req BanRequest) (repo.Ban, int, error) {
	ban, err := s.banFor(ctx, req)
	if err != nil {
		return repo.Ban{}, 0, err
	}
	ban, err = s.Bans.Add(ctx, ban, repo.Action{Actor: actor, Name: "ban"})
	if err != nil {
		return repo.Ban{}, 0, err
	}
	if !req.RemovePast {
		return ban, 0, nil
	}
	ids, err := s.Comments.CommentsMatching(ctx, ban)
	if err != nil || len(ids) == 0 {
		return ban, 0, err
	}
	moved, err := s.Comments.SetState(ctx, ids, repo.StateSpam, "banned "+banKindWords[ban.Kind]+": "+ban.Label,
		repo.Action{Actor: actor, Name: "ban-remove-past", Detail: ban.Kind + " " + ban.Label})
	if err != nil {
		return ban, 0, err
	}
	s.announce(moved)
	return ban, len(moved), nil
}

// ErrBadBan is a ban request that cannot be carried out; its message says why.
type ErrBadBan struct{ Msg string }

func (e ErrBadBan) Error() string { return e.Msg }

func (s *Service) banFor(ctx context.Context, req BanRequest) (repo.Ban, error) {
	if req.FromComment > 0 {
		c, err := s.Comments.FindComment(ctx, req.FromComment)
		if err != nil {
			return repo.Ban{}, err
		}
		label := fmt.Sprintf("of comment %d", c.ID)
		switch req.Kind {
		case repo.BanEmail:
			return repo.Ban{Kind: repo.BanEmail, Value: c.User.Email, Label: c.User.Email}, nil
		case repo.BanIP:
			if c.IPHash == "" {
				return repo.Ban{}, ErrBadBan{"That comment has no address on record."}
			}
			return repo.Ban{Kind: repo.BanIP, Value: c.IPHash, Label: "the address " + label}, nil
		case repo.BanNet:
			if c.NetHash == "" {
				return repo.Ban{}, ErrBadBan{"That comment has no address on record."}
			}
			return repo.Ban{Kind: repo.BanNet, Value: c.NetHash, Label: "the network " + label}, nil
		}
		return repo.Ban{}, ErrBadBan{"A comment's email, address (ip) or network (net) can be banned."}
	}
	v := strings.TrimSpace(req.Value)
	switch req.Kind {
	case repo.BanEmail:
		in := repo.CommentInput{Username: "x", Email: v, Body: "x"}.Normalize()
		if msg := in.Validate()["email"]; msg != "" {
			return repo.Ban{}, ErrBadBan{"That is not a valid email address."}
		}
		return repo.Ban{Kind: repo.BanEmail, Value: in.Email, Label: in.Email}, nil
	case repo.BanDomain:
		d := strings.ToLower(strings.TrimPrefix(v, "@"))
		in := repo.CommentInput{Username: "x", Email: "x@" + d, Body: "x"}.Normalize()
		if d == "" || strings.Contains(d, "@") || in.Validate()["email"] != "" {
			return repo.Ban{}, ErrBadBan{"That is not an email domain (like example.com)."}
		}
		return repo.Ban{Kind: repo.BanDomain, Value: d, Label: d}, nil
	case repo.BanIP:
		hash, network, label, err := s.Hasher.ParseBan(v)
		if err != nil {
			return repo.Ban{}, ErrBadBan{err.Error()}
		}
		if network {
			return repo.Ban{Kind: repo.BanNet, Value: hash, Label: label}, nil
		}
		return repo.Ban{Kind: repo.BanIP, Value: hash, Label: label}, nil
	}
	return repo.Ban{}, ErrBadBan{"A ban is by email, domain or ip."}
}

// Unban removes a ban.
func (s *Service) Unban(ctx context.Context, actor string, id int64) (repo.Ban, error) {
	return s.Bans.Remove(ctx, id, repo.Action{Actor: actor, Name: "unban"})
}

// Purge deletes for good the comments deleted more than after ago.
func (s *Service) Purge(ctx context.Context, actor string, after time.Duration) (int, error) {
	return s.Comments.Purge(ctx, time.Now().Add(-after), repo.Action{Actor: actor, Name: "purge",
		Detail: fmt.Sprintf("deleted more than %s ago", after)})
}
