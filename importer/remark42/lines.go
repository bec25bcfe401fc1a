package remark42

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// lineReader reads a file of JSON lines one line at a time, holding at most one line (up to a bound) in memory.
type lineReader struct {
	r   *bufio.Reader
	n   int
	buf []byte
}

// line is one line of the file, without its end. long says it passed the bound (text is then empty); last
// that the file ends with it, without a line end (a file cut short).
type line struct {
	n          int
	text       []byte
	long, last bool
}

func (l line) blank() bool { return !l.long && len(bytes.TrimSpace(l.text)) == 0 }

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next line, reading past (and not holding) what goes beyond max bytes; io.EOF at the end.
func (lr *lineReader) next(max int) (line, error) {
	lr.buf = lr.buf[:0]
	out := line{n: lr.n + 1}
	for {
		chunk, err := lr.r.ReadSlice('\n')
		if !out.long {
			if len(lr.buf)+len(chunk) > max+1 { // +1: the line end
				out.long, lr.buf = true, lr.buf[:0]
			} else {
				lr.buf = append(lr.buf, chunk...)
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(lr.buf) == 0 && !out.long {
				return out, io.EOF
			}
			out.last = true
		case err != nil:
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return out, errors.New("the compressed file ends early: it is cut short")
			}
			return out, err
		}
		lr.n++
		out.text = bytes.TrimSuffix(bytes.TrimSuffix(lr.buf, []byte("\n")), []byte("\r"))
		return out, nil
	}
}
