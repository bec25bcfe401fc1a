package activitypub

import (
	"context"

	"blog/activitypub/remote"
	"blog/activitypub/streams"
	"blog/repo/federation"
)

// MaxReads bounds how many remote actors are read at once (remote.MaxReads).
const MaxReads = remote.MaxReads

// ErrBusy refuses an activity while MaxReads actors are being read: its sender should try again shortly.
var ErrBusy = remote.ErrBusy

// RemoteActor returns the actor with this id, kept or read (as for a signature's key).
func (s *Service) RemoteActor(ctx context.Context, id string) (federation.Actor, error) {
	return s.remote.Actor(ctx, id, false)
}

// Object reads the ActivityStreams document at address (an actor, a post), signed as the blog, with the safe
// client.
func (s *Service) Object(ctx context.Context, address string) (streams.Object, error) {
	return s.remote.Object(ctx, address)
}
