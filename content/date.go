package content

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// frontDate is a post's date as its front matter writes it. It reads what YAML reads as a timestamp (2026-11-27,
// 2026-11-27T09:30:00Z, 2026-11-27 09:30:00) and the same written in quotes; anything else is refused with a
// sentence a writer can act on and the line of the file it is on, instead of Go's layout string.
type frontDate struct{ time.Time }

// dateExample is the form the message asks for.
const dateExample = "2026-11-27"

// frontMatterLine is the file's line of the front matter's first line: the file starts with a "---" line.
const frontMatterLine = 1

// UnmarshalYAML reads a date node.
func (d *frontDate) UnmarshalYAML(n *yaml.Node) error {
	var t time.Time
	if err := n.Decode(&t); err == nil {
		d.Time = t
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		if t, err := time.Parse(time.DateOnly, strings.TrimSpace(n.Value)); err == nil {
			d.Time = t
			return nil
		}
	}
	got := n.Value
	if n.Kind != yaml.ScalarNode {
		got = "a list or a map"
	} else {
		got = fmt.Sprintf("%q", got)
	}
	return fmt.Errorf("line %d: the date %s is not a date: write the date as %s", n.Line+frontMatterLine, got, dateExample)
}
