package content

import (
	"strings"

	"github.com/yuin/goldmark/ast"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

// A code block scrolls sideways when its lines are longer than the column (on a phone, most are): a keyboard must
// be able to reach it to scroll it, so every <pre> the renderers write is in the tab order (axe's
// scrollable-region-focusable). Raw HTML is dropped from the source, so these are the only ones.
var focusablePre = strings.NewReplacer(`<pre>`, `<pre tabindex="0">`, `<pre class="chroma">`, `<pre tabindex="0" class="chroma">`)

// taskBoxes renders a task list's boxes ("- [x] done") with a name, as a form control must have one: "Done" or
// "Not done", then the item's text. They stay disabled: the page shows the list, it does not edit it.
type taskBoxes struct{}

func (taskBoxes) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(extast.KindTaskCheckBox, func(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		if n.(*extast.TaskCheckBox).IsChecked {
			_, _ = w.WriteString(`<input checked="" disabled="" type="checkbox" aria-label="Done"> `)
		} else {
			_, _ = w.WriteString(`<input disabled="" type="checkbox" aria-label="Not done"> `)
		}
		return ast.WalkContinue, nil
	})
}
