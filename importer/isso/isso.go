// Package isso reads an Isso comment database: the SQLite file named by its dbpath setting (copy it while Isso
// is stopped, or use its own backup). Isso stores comments as Markdown. The file may come from anyone, so it is
// read as ReadDatabase reads any SQLite file it is given (issodb.go).
package isso

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"blog/importer/source"
	"blog/repo"
)

// Reader reads an Isso database as ReadDatabase reads any SQLite file it is given: only its two tables, with
// every value bounded (source.MaxRecord), within a file size (maxFile) and a time budget (maxStall).
type Reader struct{}

const (
	// maxFile bounds the size of an Isso database file.
	maxFile = 1 << 30
	// maxStall is the longest SQLite may work on an Isso database without handing over a row.
	maxStall = 60 * time.Second
)

// Read hands each comment of the database at path to emit, in id order; a row it cannot read is handed over
// as a malformed item.
func (Reader) Read(ctx context.Context, path string, emit func(source.Item) error) error {
	threads := map[int64]string{}
	tooLong := map[int64]bool{}
	mem := source.NewHeld("threads")
	lim := Limits{File: maxFile, Value: source.MaxRecord, Stall: maxStall}
	return ReadDatabase(ctx, path, lim, Receiver{
		Thread: func(t Thread) error {
			if t.TooLong > 0 || len(t.URI) > source.MaxAddress {
				tooLong[t.ID] = true
				return mem.Add("")
			}
			threads[t.ID] = t.URI
			return mem.Add(t.URI)
		},
		Comment: func(c Comment) error {
			at := fmt.Sprintf("comment id %d", c.ID)
			switch {
			case c.Bad != "":
				return emit(source.Item{At: at, Malformed: c.Bad})
			case c.ID <= 0:
				return emit(source.Item{At: at, Malformed: "its id is not a positive number"})
			}
			it := source.Item{ID: strconv.FormatInt(c.ID, 10), Thread: threads[c.Thread], Name: c.Author, Email: c.Email,
				Body: c.Text, Kind: source.Markdown, State: repo.StatePublished, At: at}
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
			if c.Created > 0 && c.Created < 1<<40 {
				it.Created = time.Unix(int64(sec), int64(frac*1e9)).UTC()
			}
			switch {
			case tooLong[c.Thread]:
				it.Skip = fmt.Sprintf("the address of its thread is longer than %d bytes", source.MaxAddress)
			case it.Thread == "":
				it.Skip = "its thread is not in the database"
			}
			return emit(it)
		},
	})
}
