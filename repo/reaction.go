package repo

import "time"

// Reactions are a reader's small answers to a comment or a post ("like", "love" ...): counted, never shown
// by whom, never mailed to anyone. Their kinds are a fixed set, in the order every bar shows them.

// ReactionKind is one kind of reaction: its name (in forms, the database and the command line), the emoji a
// reader sees and the word a screen reader says.
type ReactionKind struct {
	Name, Emoji, Label string
}

// ReactionKinds are the kinds, in the order shown. Only kind words that are warm or curious: no thumbs down
// and no anger, so a reaction cannot be a pile-on.
var ReactionKinds = []ReactionKind{
	{"like", "👍", "Like"},
	{"love", "❤️", "Love"},
	{"laugh", "😄", "Laugh"},
	{"hooray", "🎉", "Hooray"},
	{"thinking", "🤔", "Thinking"},
}

// ReactionIndex returns where a kind stands in ReactionKinds, or -1 for a name that is not one.
func ReactionIndex(name string) int {
	for i, k := range ReactionKinds {
		if k.Name == name {
			return i
		}
	}
	return -1
}

// ReactionColumn is the column of a comment's or a post's row that counts the kind (a name from ReactionKinds).
func ReactionColumn(name string) string { return "react_" + name }

// Tally is how many reactions of each kind a comment or a post has, in the order of ReactionKinds.
type Tally [5]int

// Total is the sum of a tally.
func (t Tally) Total() int {
	n := 0
	for _, v := range t {
		n += v
	}
	return n
}

// ReactionCounts are the columns that count a row's reactions; Comment and Post embed them.
type ReactionCounts struct {
	// Reactions is their sum (what "top" orders by).
	Reactions     int
	ReactLike     int
	ReactLove     int
	ReactLaugh    int
	ReactHooray   int
	ReactThinking int
}

// Tally returns the counts in the order of ReactionKinds.
func (r ReactionCounts) Tally() Tally {
	return Tally{r.ReactLike, r.ReactLove, r.ReactLaugh, r.ReactHooray, r.ReactThinking}
}

// Reaction is one reader's reaction of one kind to a comment (CommentID > 0) or to its post (CommentID 0).
// Reader is the random name the reader's browser keeps in its signed record; the address is kept only as keyed
// hashes, for the rate limit. A reaction taken back keeps its row (WithdrawnAt) for as long as it counts
// towards the limit, so taking back and reacting again cannot go round the limit.
type Reaction struct {
	ID          int64
	PostID      int64
	CommentID   int64
	Kind        string
	Reader      string
	IPHash      string
	NetHash     string
	CreatedAt   time.Time
	WithdrawnAt *time.Time
}

// ChangeReacted is the kind of feed change a reaction (or its taking back) records: for a comment, with the
// comment's id; for the post itself, with comment id 0.
const ChangeReacted = "reacted"
