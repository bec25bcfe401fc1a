package inbox

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"blog/activitypub/remote"
	"blog/activitypub/streams"
	"blog/importer/source"
	"blog/moderation"
	"blog/repo"
	"blog/repo/federation"
	"blog/spam"
)

// noteTypes are the objects that can become comments.
var noteTypes = map[string]bool{"Note": true, "Article": true, "Page": true}

// create makes a reply to a post of the blog, or to a comment under one, the comment it stands for.
func (in *Inbox) create(ctx context.Context, a streams.Object, actor federation.Actor) error {
	o, ok := streams.Embedded(a.Object)
	if !ok || !noteTypes[o.TypeName()] || o.ID == "" || len(o.ID) > 2048 {
		return nil
	}
	if remote.HostOf(o.ID) != remote.HostOf(actor.URI) || (streams.Ref(o.AttributedTo) != "" && streams.Ref(o.AttributedTo) != actor.URI) {
		return fmt.Errorf("%w: a note attributed to another", ErrRefused)
	}
	// A post of someone the blog follows is kept for the owner to read, whatever it answers.
	if in.cfg.Following != nil {
		if _, err := in.cfg.Following.Received(ctx, o, actor); err != nil {
			return err
		}
	}
	postID, parentID, ok := in.repliesTo(ctx, streams.Ref(o.InReplyTo))
	if !ok {
		return nil // not a reply to anything here (a post that does not exist, a stranger's thread)
	}
	// Claimed first, so the same note delivered twice (or to two instances) is one comment.
	claimed, err := in.cfg.Store.SaveObject(ctx, federation.Object{URI: o.ID, PostID: postID, ActorURI: actor.URI})
	if err != nil || !claimed {
		return err
	}
	c, err := in.post(ctx, o, actor, postID, parentID)
	if err != nil {
		_ = in.cfg.Store.DropObject(ctx, o.ID)
		var bad repo.BadParentError
		if errors.Is(err, repo.ErrClosed) || errors.As(err, &bad) {
			in.cfg.Log.Info("activitypub: reply not taken", "object", o.ID, "reason", err.Error())
			return nil
		}
		return err
	}
	return in.cfg.Store.SetObjectComment(ctx, o.ID, c.ID)
}

// repliesTo finds what inReplyTo names: a post of the blog, or a comment under one that came from the fediverse
// or that the blog sent.
func (in *Inbox) repliesTo(ctx context.Context, inReplyTo string) (postID, parentID int64, ok bool) {
	if inReplyTo == "" {
		return 0, 0, false
	}
	if id, ok := in.postOf(inReplyTo); ok {
		return id, 0, true
	}
	o, err := in.cfg.Store.Object(ctx, inReplyTo)
	if err != nil || o.CommentID == 0 {
		return 0, 0, false
	}
	return o.PostID, o.CommentID, true
}

// post stores a note as a comment through moderation: bans (the server's domain as an email domain), the spam
// rules on its name and text, the moderation mode. No form was filled in, so the form's timestamp rules do not
// apply.
func (in *Inbox) post(ctx context.Context, o streams.Object, actor federation.Actor, postID, parentID int64) (repo.Comment, error) {
	body := in.commentBody(o)
	email := emailOf(actor)
	n := repo.NewComment{PostID: postID, ParentID: parentID,
		Input:     repo.CommentInput{Username: actor.Name, Email: email, Body: body},
		Format:    repo.FormatMarkdown,
		SourceURL: originalURL(o), AuthorURL: actor.ProfileURL, MentionKind: repo.MentionFediverse, AuthorHandle: actor.Handle,
		AuthorPhoto: in.picture(ctx, actor.IconURL)}
	c, _, d, err := in.cfg.Moderation.Post(ctx, n, moderation.Candidate{Email: email,
		Submission: spam.Submission{Name: actor.Name, Body: body, FormValid: true, FormAge: 24 * time.Hour}})
	if err == nil {
		in.cfg.Log.Info("activitypub: reply", "object", o.ID, "comment", c.ID, "state", d.State, "reason", d.Reason)
	}
	return c, err
}

// emailOf is the address a fediverse author's comments are kept under: their handle's, marked so that no
// address a reader types is the same commenter, and with the server's domain, so that a ban of the domain
// holds them.
func emailOf(a federation.Actor) string {
	user := "someone"
	if h := strings.TrimPrefix(a.Handle, "@"); h != "" {
		user, _, _ = strings.Cut(h, "@")
	}
	return strings.ToLower(user) + "+activitypub@" + remote.HostOf(a.URI)
}

// originalURL is the note's page on its server (its url when on the same server, else its id).
func originalURL(o streams.Object) string {
	if u := streams.URLOf(o.URL); u != "" && remote.HostOf(u) == remote.HostOf(o.ID) && len(u) <= 2048 {
		return u
	}
	return o.ID
}

// update follows an edit of a note that became a comment, as its author's edit (screened again); an actor's
// own update refreshes what is kept of it.
func (in *Inbox) update(ctx context.Context, a streams.Object, actor federation.Actor) error {
	o, ok := streams.Embedded(a.Object)
	if !ok {
		return nil
	}
	if o.ID == actor.URI {
		_, err := in.cfg.Remote.Actor(ctx, actor.URI, true)
		return err
	}
	if !noteTypes[o.TypeName()] {
		return nil
	}
	if in.cfg.Following != nil && o.ID != "" && len(o.ID) <= 2048 && remote.HostOf(o.ID) == remote.HostOf(actor.URI) &&
		(streams.Ref(o.AttributedTo) == "" || streams.Ref(o.AttributedTo) == actor.URI) {
		if _, err := in.cfg.Following.Received(ctx, o, actor); err != nil {
			return err
		}
	}
	obj, err := in.cfg.Store.Object(ctx, o.ID)
	if errors.Is(err, repo.ErrNotFound) || (err == nil && (obj.Outgoing || obj.CommentID == 0)) {
		return nil
	}
	if err != nil {
		return err
	}
	if obj.ActorURI != actor.URI {
		return fmt.Errorf("%w: an edit of another's note", ErrRefused)
	}
	c, err := in.cfg.Moderation.Comment(ctx, obj.CommentID)
	if err != nil || c.State == repo.StateDeleted {
		return nil
	}
	body := in.commentBody(o)
	if body == c.Body {
		return nil
	}
	_, _, _, err = in.cfg.Moderation.EditOwn(ctx, moderation.OwnEdit{Comment: c, Body: body})
	if errors.Is(err, repo.ErrModerated) || errors.Is(err, repo.ErrHasReplies) {
		return nil // as for an author's edit: once the owner acted on it or someone answered it, it stays
	}
	return err
}

// remove follows the deletion of a note (its comment deleted as its author would, or by the owner's delete when
// it was answered or moderated), or of an actor (who follows no more).
func (in *Inbox) remove(ctx context.Context, a streams.Object, actor federation.Actor) error {
	id := streams.Ref(a.Object)
	if id == actor.URI {
		_, err := in.cfg.Store.Unfollow(ctx, actor.URI)
		return err
	}
	if in.cfg.Following != nil {
		if err := in.cfg.Following.Removed(ctx, id, actor); err != nil {
			return err
		}
	}
	obj, err := in.cfg.Store.Object(ctx, id)
	if errors.Is(err, repo.ErrNotFound) || (err == nil && (obj.Outgoing || obj.CommentID == 0)) {
		return nil
	}
	if err != nil {
		return err
	}
	if obj.ActorURI != actor.URI {
		return fmt.Errorf("%w: a deletion of another's note", ErrRefused)
	}
	if _, err := in.cfg.Moderation.DeleteOwn(ctx, obj.CommentID); err != nil && !errors.Is(err, repo.ErrNotFound) {
		if _, err := in.cfg.Moderation.Act(ctx, "activitypub: deleted by its author", "delete", []int64{obj.CommentID}); err != nil {
			return err
		}
	}
	return nil
}

// leadingMention is the mention of the blog Mastodon puts before a reply's text ("[@blog](https://...) ").
var leadingMention = regexp.MustCompile(`^\s*\[@[^\]]{1,100}\]\(https?://[^)\s]+\)[\s,:]*`)

// commentBody is a note's text as the blog's Markdown: the HTML converted (richtext renders it by the
// comments' own rules), the leading mention of the blog taken away, bounded as a comment is.
func (in *Inbox) commentBody(o streams.Object) string {
	body := ""
	if o.Content != "" && len(o.Content) <= MaxActivity {
		if md, _, err := source.ToMarkdown(o.Content, source.HTML); err == nil {
			body = md
		}
	}
	for m := leadingMention.FindString(body); m != "" && strings.Contains(m, in.cfg.Base.Host); m = leadingMention.FindString(body) {
		body = body[len(m):]
	}
	body = strings.TrimSpace(body)
	if body == "" {
		body = "(no text)"
	}
	if r := []rune(body); len(r) > repo.MaxBody {
		body = strings.TrimSpace(string(r[:repo.MaxBody-1])) + "…"
	}
	return body
}

// picture returns the blog's copy of an author's icon, fetched now or earlier; "" when there is none or it
// cannot be had (the comment then shows the blog's drawn picture: an icon is never worth a lost reply).
func (in *Inbox) picture(ctx context.Context, remote string) string {
	if remote == "" || in.cfg.Pictures == nil {
		return ""
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	local, err := in.cfg.Pictures.Fetch(pctx, remote)
	if err != nil {
		in.cfg.Log.Info("activitypub: the author's picture is not shown", "picture", remote, "err", err)
		return ""
	}
	return local
}
