package importer

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"blog/repo"
)

// Isso reads an Isso comment database: the SQLite file named by its dbpath setting (copy it while Isso is
// stopped, or use its own backup). Isso stores comments as Markdown.
type Isso struct{}

func (Isso) Read(ctx context.Context, path string, emit func(Item) error) error {
	return repo.ReadIsso(ctx, path, func(c repo.IssoComment) error {
		it := Item{ID: strconv.FormatInt(c.ID, 10), Thread: c.URI, Title: c.Title, Name: c.Author, Email: c.Email,
			Body: c.Text, Kind: Markdown, State: repo.StatePublished, At: fmt.Sprintf("comment id %d", c.ID)}
		if c.Parent > 0 {
			it.Parent = strconv.FormatInt(c.Parent, 10)
		}
		switch c.Mode {
		case 2:
			it.State = repo.StatePending
		case 4:
			it.State = repo.StateDeleted
		}
		sec, frac := math.Modf(c.Created)
		if c.Created > 0 {
			it.Created = time.Unix(int64(sec), int64(frac*1e9)).UTC()
		}
		if c.URI == "" {
			it.Skip = "its thread is not in the database"
		}
		return emit(it)
	})
}
