// Package moderation is the one door for every change of a comment's state: a new comment is screened (bans, spam
// rules, the moderation mode) and stored, published or held; an author's edit is screened the same way and their
// delete checked against what the owner did; the owner's actions, bans and the purge of deleted comments. The
// console at /admin (handlers) and the command line (web comments ..., web ban ...) call the same Service, so
// both leave the same trail. It knows nothing of HTTP or of pages.
package moderation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"blog/clientip"
	"blog/repo"
	"blog/repo/review"
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
	CreateComment(ctx context.Context, n repo.NewComment) (repo.Comment, repo.Stamp, error)
	EditComment(ctx context.Context, id int64, e repo.Edit) (repo.Comment, repo.Stamp, error)
	AuthorDelete(ctx context.Context, id int64) (repo.Moved, error)
	SetState(ctx context.Context, ids []int64, state, reason string, act repo.Action) ([]repo.Moved, error)
	SearchComments(ctx context.Context, q repo.Search) ([]repo.Comment, error)
	FindComment(ctx context.Context, id int64) (repo.Comment, error)
	CommentsMatching(ctx context.Context, ban repo.Ban) ([]int64, error)
	CountByState(ctx context.Context) (map[string]int, error)
	CountState(ctx context.Context, state string) (int, error)
	Versions(ctx context.Context, ids []int64) (map[int64][]repo.Version, error)
	Purge(ctx context.Context, cutoff time.Time, act repo.Action) (int, error)
	Commenter(ctx context.Context, email string) (review.Commenter, error)
	EraseCommenter(ctx context.Context, email string, act repo.Action) (review.Erased, error)
	SetPinned(ctx context.Context, ids []int64, pin bool, act repo.Action) ([]repo.Moved, error)
}

// BanStore is what moderation needs from the ban store.
type BanStore interface {
	Add(ctx context.Context, ban repo.Ban, act repo.Action) (repo.Ban, error)
	List(ctx context.Context) ([]repo.Ban, error)
	Remove(ctx context.Context, id int64, act repo.Action) (repo.Ban, error)
	Match(ctx context.Context, email, ipHash, netHash string) (repo.Ban, bool, error)
}

var (
	_ Store    = (*review.Comments)(nil)
	_ BanStore = (*review.Bans)(nil)
)

// Service carries out moderation. Every change it makes is announced by the database once it commits.
type Service struct {
	Comments Store
	BanStore BanStore
	Hasher   clientip.Hasher
	Mode     Mode
	Rules    spam.Rules
}

// The actions on comments, by the name the console and the command line use.
var actions = map[string]struct{ state, reason string }{
	"approve": {repo.StatePublished, ""},
	"restore": {repo.StatePublished, ""},
	"spam":    {repo.StateSpam, "marked as spam by the owner"},
	"delete":  {repo.StateDeleted, "deleted by the owner"},
}

// ErrUnknownAction means an action name that is not approve, restore, spam, delete, pin or unpin.
var ErrUnknownAction = errors.New("unknown action: want approve, spam, delete, restore, pin or unpin")

// Act applies a named action (approve, spam, delete, restore; pin, unpin) to comments and returns the ones it
// changed. Pinning is refused with repo.PinRefusedError for a comment that cannot be pinned.
func (s *Service) Act(ctx context.Context, actor, action string, ids []int64) ([]repo.Moved, error) {
	if action == "pin" || action == "unpin" {
		return s.Comments.SetPinned(ctx, ids, action == "pin", repo.Action{Actor: actor, Name: action})
	}
	a, ok := actions[action]
	if !ok {
		return nil, ErrUnknownAction
	}
	return s.Comments.SetState(ctx, ids, a.state, a.reason, repo.Action{Actor: actor, Name: action})
}

// Candidate is a new comment (or an author's new text for one) as the hold decision sees it.
type Candidate struct {
	Email, IPHash, NetHash string
	// Also are more addresses (hash, network hash) whose bans apply: for an edit, the comment's own.
	Also [][2]string
	// Submission is what the spam rules read; its Edit marks an author's new text rather than a new comment.
	spam.Submission
	// Trusted reports whether the posting browser holds a signed record of a comment the owner has published. It
	// is asked only when the answer matters (MODERATION=first); nil means no.
	Trusted func(context.Context) (bool, error)
}

// Decision is what becomes of a new comment: its state, the reason the owner sees, and a short kind for metrics.
type Decision struct {
	State, Reason, Kind string
}

// Screen decides what becomes of a new comment (or of an author's new text for one): held as spam for a banned
// commenter; held (pending) by a spam rule or by the moderation mode; published otherwise.
func (s *Service) Screen(ctx context.Context, c Candidate) (Decision, error) {
	d, err := s.screen(ctx, c)
	if c.Edit && d.State != repo.StatePublished {
		d.Reason = "after an edit, " + d.Reason
	}
	return d, err
}

func (s *Service) screen(ctx context.Context, c Candidate) (Decision, error) {
	if d, held, err := s.byRules(ctx, c); err != nil || held {
		return d, err
	}
	switch s.Mode {
	case ModeAll:
		return Decision{repo.StatePending, "held: every comment waits for approval (MODERATION=all)", "moderation"}, nil
	case ModeFirst:
		trusted := false
		if c.Trusted != nil {
			var err error
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

// byRules holds a comment by the owner's bans (as spam) and the spam rules (pending); held is false when none
// applies.
func (s *Service) byRules(ctx context.Context, c Candidate) (d Decision, held bool, err error) {
	for _, addr := range append([][2]string{{c.IPHash, c.NetHash}}, c.Also...) {
		ban, banned, err := s.BanStore.Match(ctx, c.Email, addr[0], addr[1])
		if err != nil {
			return Decision{}, false, err
		}
		if banned {
			return Decision{repo.StateSpam, "banned " + banKindWords[ban.Kind] + ": " + ban.Label, "banned"}, true, nil
		}
	}
	if v := s.Rules.Check(c.Submission); v.Hold {
		return Decision{repo.StatePending, v.Reason, v.Kind}, true, nil
	}
	return Decision{State: repo.StatePublished}, false, nil
}

// ScreenHistory decides what becomes of a comment written and shown elsewhere, before, that an import brings in
// as it was there: held as spam when its author's address or domain is banned, held for the owner when a rule on
// its text holds it (too many links, a listed word), as a new comment would be. The form's timestamp and the
// moderation mode do not apply: it came through no form, and the other system published it.
func (s *Service) ScreenHistory(ctx context.Context, email, name, body string) (Decision, error) {
	d, held, err := s.byRules(ctx, Candidate{Email: email, Submission: spam.Submission{Name: name, Body: body, History: true}})
	if held {
		d.Reason = "on import, " + d.Reason
	}
	return d, err
}

// Post screens a new comment and stores it, published or held with the reason: the one door every new comment
// passes, whatever brought it. A comment posted with the owner's session (ctx marked by AsOwner) is the owner's
// own: it is published at once and marked as theirs (see Owned).
func (s *Service) Post(ctx context.Context, n repo.NewComment, c Candidate) (repo.Comment, repo.Stamp, Decision, error) {
	if IsOwner(ctx) {
		return s.postOwned(ctx, n)
	}
	d, err := s.Screen(ctx, c)
	if err != nil {
		return repo.Comment{}, repo.Stamp{}, d, err
	}
	n.State, n.Reason = d.State, d.Reason
	cm, st, err := s.Comments.CreateComment(ctx, n)
	return cm, st, d, err
}

// OwnEdit is an author's new text for their comment, sent from the browser that posted it.
type OwnEdit struct {
	// Comment is the comment as it is now, with its author.
	Comment repo.Comment
	Body    string
	// IPHash and NetHash are the editing client's; Trusted is as for a new comment (MODERATION=first).
	IPHash, NetHash string
	Trusted         func(context.Context) (bool, error)
}

// EditOwn screens an author's new text by exactly the rules a new comment goes through (bans, of the address the
// comment came from and of the one the edit comes from; the spam rules; the moderation mode) and stores it, held
// again with the reason when they say so. An edit never publishes a held comment: whatever held it (a rule the
// edit cannot pass, such as the form's timestamp, or the moderation mode), only the owner releases it. It refuses
// a comment the owner has acted on (repo.ErrModerated), somebody answered (repo.ErrHasReplies) or that was
// deleted (repo.ErrNotFound).
func (s *Service) EditOwn(ctx context.Context, e OwnEdit) (repo.Comment, repo.Stamp, Decision, error) {
	c := e.Comment
	d, err := s.Screen(ctx, Candidate{Email: c.User.Email, IPHash: e.IPHash, NetHash: e.NetHash,
		Also: [][2]string{{c.IPHash, c.NetHash}}, Trusted: e.Trusted,
		Submission: spam.Submission{Name: c.Username, Body: e.Body, Edit: true}})
	if err != nil {
		return repo.Comment{}, repo.Stamp{}, d, err
	}
	if c.ByOwner && c.State == repo.StatePublished {
		// The owner's own words stay theirs (see Owned): an edit from the browser that posted them is not screened.
		d = Decision{State: repo.StatePublished, Kind: "owner"}
	}
	if repo.Held(c.State) && d.State == repo.StatePublished {
		d = Decision{State: c.State, Reason: c.Reason, Kind: "still_held"}
	}
	edited, st, err := s.Comments.EditComment(ctx, c.ID, repo.Edit{Body: e.Body, Format: repo.FormatMarkdown,
		State: d.State, Reason: d.Reason})
	return edited, st, d, err
}

// DeleteOwn deletes a comment for its author, unless the owner has acted on it (repo.ErrModerated) or somebody
// answered it (repo.ErrHasReplies).
func (s *Service) DeleteOwn(ctx context.Context, id int64) (repo.Moved, error) {
	return s.Comments.AuthorDelete(ctx, id)
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

// Ban stores a ban and, if asked, marks the earlier comments it covers as spam. It returns the ban and the
// comments it removed.
func (s *Service) Ban(ctx context.Context, actor string, req BanRequest) (repo.Ban, []repo.Moved, error) {
	ban, err := s.banFor(ctx, req)
	if err != nil {
		return repo.Ban{}, nil, err
	}
	ban, err = s.BanStore.Add(ctx, ban, repo.Action{Actor: actor, Name: "ban"})
	if err != nil {
		return repo.Ban{}, nil, err
	}
	if !req.RemovePast {
		return ban, nil, nil
	}
	ids, err := s.Comments.CommentsMatching(ctx, ban)
	if err != nil || len(ids) == 0 {
		return ban, nil, err
	}
	moved, err := s.Comments.SetState(ctx, ids, repo.StateSpam, "banned "+banKindWords[ban.Kind]+": "+ban.Label,
		repo.Action{Actor: actor, Name: "ban-remove-past", Detail: ban.Kind + " " + ban.Label})
	return ban, moved, err
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
			if c.User.Email == review.ErasedEmail {
				return repo.Ban{}, ErrBadBan{"That comment's author erased their data: it has no email any more."}
			}
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

// Search returns the comments matching q, newest first, with their authors and posts: what the owner reviews.
func (s *Service) Search(ctx context.Context, q repo.Search) ([]repo.Comment, error) {
	return s.Comments.SearchComments(ctx, q)
}

// Versions returns the earlier texts of edited comments, by comment id.
func (s *Service) Versions(ctx context.Context, ids []int64) (map[int64][]repo.Version, error) {
	return s.Comments.Versions(ctx, ids)
}

// Comment returns one comment in any state.
func (s *Service) Comment(ctx context.Context, id int64) (repo.Comment, error) {
	return s.Comments.FindComment(ctx, id)
}

// Counts returns how many comments are in each state.
func (s *Service) Counts(ctx context.Context) (map[string]int, error) {
	return s.Comments.CountByState(ctx)
}

// Pending returns how many comments wait for the owner's review.
func (s *Service) Pending(ctx context.Context) (int, error) {
	return s.Comments.CountState(ctx, repo.StatePending)
}

// Bans lists the bans in force.
func (s *Service) Bans(ctx context.Context) ([]repo.Ban, error) { return s.BanStore.List(ctx) }

// ParseAddress reads an address or network the owner typed (to filter comments or ban) into the keyed hash
// comments carry, and whether it is a network.
func (s *Service) ParseAddress(text string) (hash string, network bool, err error) {
	hash, network, _, err = s.Hasher.ParseBan(text)
	return hash, network, err
}

// Unban removes a ban.
func (s *Service) Unban(ctx context.Context, actor string, id int64) (repo.Ban, error) {
	return s.BanStore.Remove(ctx, id, repo.Action{Actor: actor, Name: "unban"})
}

// Purge deletes for good the comments deleted more than after ago.
func (s *Service) Purge(ctx context.Context, actor string, after time.Duration) (int, error) {
	return s.Comments.Purge(ctx, time.Now().Add(-after), repo.Action{Actor: actor, Name: "purge",
		Detail: fmt.Sprintf("deleted more than %s ago", after)})
}
