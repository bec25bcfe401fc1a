package desk_test

import (
	"testing"

	"blog/cmd/bench/load"
	"blog/desk"
)

// BenchmarkPreview renders the desk's preview of a 5,000-word post with code blocks, as the editor asks for it.
func BenchmarkPreview(b *testing.B) {
	body := load.DeskPost(5000)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := desk.Preview(body); err != nil {
			b.Fatal(err)
		}
	}
}
