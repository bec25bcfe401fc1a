package content_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"blog/content"
)

// A date the loader cannot read is reported with the line it is on and the form to write it in, never with Go's
// layout string; every form YAML reads as a date, quoted or not, still loads.
func TestPostDates(t *testing.T) {
	tests := []struct {
		name, front string
		want        time.Time
		wantErr     string
	}{
		{"plain date", "date: 2026-11-27", time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), ""},
		{"quoted date", `date: "2026-11-27"`, time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), ""},
		{"timestamp", "date: 2026-11-27T09:30:00+01:00", time.Date(2026, 11, 27, 8, 30, 0, 0, time.UTC), ""},
		{"date and time", "date: 2026-11-27 09:30:00", time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC), ""},
		{"no such day", "date: 2026-11-31", time.Time{}, `posts/2026-01-01-a.md: front matter: line 4: the date "2026-11-31" is not a date: write the date as 2026-11-27`},
		{"day first", "date: 27/11/2026", time.Time{}, `line 4: the date "27/11/2026" is not a date: write the date as 2026-11-27`},
		{"words", "date: next Tuesday", time.Time{}, `line 4: the date "next Tuesday" is not a date`},
		{"a list", "date: [2026, 11, 27]", time.Time{}, "line 4: the date a list or a map is not a date: write the date as 2026-11-27"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "---\ntitle: A\nsummary: One line.\n" + tt.front + "\n---\nBody."
			lib, err := content.Load(fstest.MapFS{"posts/2026-01-01-a.md": {Data: []byte(src)}})
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantErr == "" {
				if len(lib.Problems) != 0 || len(lib.Posts) != 1 || !lib.Posts[0].Date.Equal(tt.want) {
					t.Fatalf("problems %v, posts %+v, want one dated %v", lib.Problems, lib.Posts, tt.want)
				}
				return
			}
			if len(lib.Problems) != 1 {
				t.Fatalf("problems = %v, want one", lib.Problems)
			}
			got := lib.Problems[0].String()
			if !strings.Contains(got, tt.wantErr) || strings.Contains(got, "2006-01-02") || strings.Contains(got, "Z07:00") {
				t.Fatalf("problem = %q, want it to say %q (and no Go layout)", got, tt.wantErr)
			}
		})
	}
}
