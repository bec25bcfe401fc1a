// Package store holds what the stores under repo share and nothing above them should use: the lock spaces of the
// transactions that take turns, id lists for IN, LIKE patterns typed by people, and times as both databases keep
// them. It knows none of repo's types.
package store

import (
	"slices"
	"strings"
	"time"

	"github.com/go-rel/rel"
)

// Lock spaces of the transactions that must take turns on PostgreSQL (database.DB.Lock), listed in one place so
// that no two stores share one.
const (
	LockCommenter  = 1  // one commenter's email: no duplicate user
	LockClient     = 3  // one client's address hash: its rate of comments counted one after the other
	LockOwnership  = 4  // who owns the blog: claims and setup tokens
	LockMailBounds = 5  // announcements that count messages against a bound
	LockReader     = 6  // one reader's reactions: a double click counts once
	LockReacting   = 7  // one client's address hash: its rate of reactions counted one after the other
	LockUploads    = 8  // the uploaded images: their total count and bytes counted one upload after the other
	LockSearch     = 9  // the search index of posts: instances loading the same content write it one after the other
	LockNewsletter = 11 // subscribe requests counted against their bounds, and the mail of an announced post queued
	LockMention    = 12 // one source and target: a mention sent twice at once is one row
	LockFederation = 13 // ActivityPub: one post's announcement, one remote actor's or follower's row, the key pair
	LockPictures   = 14 // the pictures fetched from other sites: their count checked one picture after the other
	LockFollowing  = 15 // ActivityPub: the actors the blog follows and the bounded list of their posts
)

// UniqueIDs returns ids sorted without repeats.
func UniqueIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// InIDs is "field IN (ids...)".
func InIDs(field string, ids []int64) rel.FilterQuery {
	vals := make([]any, len(ids))
	for i, id := range ids {
		vals[i] = id
	}
	return rel.In(field, vals...)
}

// LikeEscape keeps % and _ typed by the owner literal. SQLite and PostgreSQL both take backslash as LIKE's
// escape character only when told, so the characters are replaced by the one-character wildcard instead, which
// matches them too.
func LikeEscape(s string) string {
	return strings.NewReplacer("%", "_", "\\", "_").Replace(s)
}

// UTC returns t in UTC, rounded down to the second (what both databases keep), or nil.
func UTC(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Second)
	return &u
}
