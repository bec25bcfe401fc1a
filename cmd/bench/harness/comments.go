package harness

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode"
)

// sentences are what benchmark comments are made of: varied enough that a page of them compresses like a page
// of real comments, not like one sentence repeated.
var sentences = []string{
	"Thanks for writing this up; I tried the same approach on a small server last year.",
	"The part about reconnects matches what I saw: the browser kept the old connection around for a while.",
	"Did you measure how long a reconnect takes on a phone with a weak signal?",
	"I would add that keeping the last event id on the client makes the whole thing much simpler.",
	"We ran something similar behind nginx and had to turn off proxy buffering for the stream to work.",
	"One question: what happens when two instances write to the same post at the same moment?",
	"This is the clearest explanation of server-sent events I have read so far.",
	"My own blog uses a third-party widget and I have wanted to get rid of it for years.",
	"Small nit: the diagram says pages, but I think you mean open tabs.",
	"SQLite in WAL mode handled our load fine until we passed a few hundred writes a second.",
	"I disagree a little about moderation; holding the first comment of a new reader worked better for us.",
	"Have you looked at how many open streams a cheap virtual machine can hold?",
	"The numbers are impressive, but I wonder how much of that is the machine and how much the design.",
	"We switched from polling every five seconds to a stream and the database load dropped by half.",
	"Could you share the configuration you used for the reverse proxy in front of it?",
	"It would be great to see a follow-up about backups and restoring onto a new machine.",
	"Reading this on my phone on the train, and the page loaded instantly even with a poor connection.",
	"The comment form keeping my text after an error is such a relief; most sites lose it.",
	"I tried posting without JavaScript and it still worked, which is rarer than it should be.",
	"Please keep writing about the boring parts; they are the ones nobody explains.",
	"Our team found that most of the latency was in TLS handshakes, not in the application.",
	"How do you deal with spam once the blog gets some attention from search engines?",
	"Interesting that the rendered list is cached per post instead of per page view.",
	"I learned more from the failure stories in the footnotes than from the main text.",
}

// RealisticComment is a comment of a few hundred characters, in two paragraphs with a link, as readers write:
// one sentence from the pool, then words drawn at random (seeded by the comment's number) from the pool's
// vocabulary, so that a page of comments compresses like real text rather than like a sentence repeated.
func RealisticComment(i int) string {
	r := rand.New(rand.NewPCG(uint64(i), 42))
	para := func(words int) string {
		var b strings.Builder
		for w := range words {
			word := vocabulary[r.IntN(len(vocabulary))]
			if w == 0 {
				word = strings.ToUpper(word[:1]) + word[1:]
			}
			b.WriteString(word)
			if w == words-1 {
				b.WriteString(".")
			} else if r.IntN(9) == 0 {
				b.WriteString(", ")
			} else {
				b.WriteString(" ")
			}
		}
		return b.String()
	}
	return fmt.Sprintf("%s %s\n\n%s More at https://example.org/notes/%d-%d.", sentences[i%len(sentences)], para(18+r.IntN(12)),
		para(14+r.IntN(10)), i, r.IntN(100000))
}

// vocabulary is every word of the sentences.
var vocabulary = func() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range sentences {
		for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) }) {
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	return out
}()
