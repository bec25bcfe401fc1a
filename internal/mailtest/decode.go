package mailtest

import (
	"encoding/base64"
	"io"
	"mime/quotedprintable"
)

func newQP(r io.Reader) io.Reader  { return quotedprintable.NewReader(r) }
func newB64(r io.Reader) io.Reader { return base64.NewDecoder(base64.StdEncoding, newlineFree{r}) }

// newlineFree drops line breaks, which base64 bodies have every 76 characters.
type newlineFree struct{ r io.Reader }

func (n newlineFree) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	j := 0
	for _, b := range p[:k] {
		if b != '\r' && b != '\n' {
			p[j] = b
			j++
		}
	}
	return j, err
}
