package search

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"time"

	"blog/cmd/bench/harness"
	"blog/database"
	"blog/repo"
	"blog/repo/discussion"
)

// The in-process measure of a comment's write: rounds, and comments written in each.
const (
	writeRounds = 16
	writePer    = 200
)

// compareWrites times the comment store's own CreateComment (what a POST does in its write transaction) in this
// process on two copies of the SQLite database, one with the comments' index and one without, in alternating
// rounds, and reports the CPU time per comment. Beside the POSTs' rounds (two servers and their clients sharing
// the machine's cores with whatever else runs there), it measures only the write the index adds to.
func compareWrites(ctx context.Context, dir, withDB, plainDB string) harness.Row {
	name := "comment write in-process, with the index ÷ without, SQLite"
	var stores []*discussion.Comments
	var posts []int64
	for i, from := range []string{withDB, plainDB} {
		to := filepath.Join(dir, fmt.Sprintf("write%d.db", i))
		if err := copySQLite(ctx, from, to); err != nil {
			return harness.Row{Name: name, Note: err.Error()}
		}
		db, err := database.OpenMode(ctx, "sqlite:"+to, database.Existing)
		if err != nil {
			return harness.Row{Name: name, Note: err.Error()}
		}
		defer db.Close()
		stores = append(stores, discussion.NewComments(db))
		if posts == nil {
			rows, err := db.SQL().QueryContext(ctx, "SELECT post_id FROM search_posts ORDER BY post_id")
			if err != nil {
				return harness.Row{Name: name, Note: err.Error()}
			}
			for rows.Next() {
				var id int64
				rows.Scan(&id)
				posts = append(posts, id)
			}
			rows.Close()
		}
	}
	if len(posts) == 0 {
		return harness.Row{Name: name, Note: "no posts"}
	}
	var cpu [2][]float64
	var ratios []float64
	n := 0
	for r := range writeRounds {
		var per [2]float64
		for k := range 2 {
			s := (k + r) % 2 // who goes first alternates
			start := cpuTime()
			for range writePer {
				n++
				_, _, err := stores[s].CreateComment(ctx, repo.NewComment{PostID: posts[n%len(posts)], Input: repo.CommentInput{
					Username: fmt.Sprintf("Bench%d", n%8), Email: fmt.Sprintf("bench%d@example.com", n%8), Body: harness.RealisticComment(n)}})
				if err != nil {
					return harness.Row{Name: name, Note: err.Error()}
				}
			}
			per[s] = float64(cpuTime()-start) / writePer / float64(time.Millisecond)
			cpu[s] = append(cpu[s], per[s])
		}
		ratios = append(ratios, per[0]/per[1])
	}
	return harness.Row{Name: name, Value: harness.Median(cpu[0]), Unit: "ms CPU", Control: harness.Median(cpu[1]),
		Ratio: harness.Median(ratios), Note: fmt.Sprintf("CreateComment on copies of the same database; value: CPU per comment with the index; control: without it; ratio: median of %d alternating rounds of %d", writeRounds, writePer)}
}

// cpuTime is the CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
