// Package xmlrecord splits an XML export (Disqus's, WordPress's) into records, each read on its own by
// encoding/xml, so that one broken record is reported by itself and reading goes on after it, and so that no more
// than one record (source.MaxRecord) is ever held in memory.
package xmlrecord

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"

	"blog/importer/source"
)

// Scanner splits an XML export into its records without understanding them: it follows the document's markup
// byte by byte (tags, comments, CDATA sections, processing instructions), keeps at most one record in memory
// (source.MaxRecord bytes), and hands each record whole to encoding/xml. A record that encoding/xml cannot read
// is reported on its own and the scanner carries on after it, because where a record ends is found from the
// markup around it, never from the record's content:
//
//   - a record ends at its end tag;
//   - or, when that is missing, where a tag begins that cannot be inside it (a Disqus <post> inside a <post>,
//     a WordPress <item> inside a comment: Config.Breaks) or an element around it ends;
//   - a record longer than source.MaxRecord is reported as too long; the scanner reads on to its end holding
//     nothing.
//
// The file as a whole must still be an export: a document element of the right name, and an end. A file that
// ends before its document element does is cut short, and refused whole.
type Scanner struct {
	cfg  Config
	r    *bufio.Reader
	line int
	// decl is the XML declaration (it may name the encoding); open are the containers around the current
	// position, whose start tags give a record its namespaces.
	decl    []byte
	open    []Open
	prefix  []byte
	plines  int
	stale   bool
	tag     capture
	rec     capture
	pending *xmlTag
	started bool
	done    bool
}

// Config says how one format's file is read.
type Config struct {
	// Root is the document element's name, Format the export's name for messages ("Disqus export").
	Root, Format string
	// Lenient reads as WordPress writes: non-strict XML, HTML entities, declared charsets, control bytes dropped.
	Lenient bool
	// Kind says what an element is, from the names of the containers around it (outermost first).
	Kind func(path []Open, name string) Kind
	// Breaks reports that a start tag named start cannot be inside an element named open, so open has ended.
	Breaks func(open, start string) bool
}

// Kind says what the scanner does with an element.
type Kind int

const (
	// Skip reads past the element.
	Skip Kind = iota
	// Container looks at the element's children one by one.
	Container
	// Record hands the element whole to encoding/xml.
	Record
)

// Open is a container around the scanner's position: its name, and its start tag as written.
type Open struct {
	Name string
	raw  []byte
}

// Event is what the scanner found: a container opened or closed (Close), a record, or (Bad set, Kind Skip) an
// element it skips that is structurally broken. A record's bytes are valid until the next call to Next.
type Event struct {
	Kind  Kind
	Close bool
	// Name is the element's local name, Line the line its start tag is on.
	Name string
	Line int
	// Bad says why a record (or a skipped element) is broken: it is then not to be decoded.
	Bad string
	raw []byte
}

type tagKind int

const (
	tagEOF   tagKind = iota
	tagStart         // <name ...> or <name .../>
	tagEnd           // </name>
	tagOther         // a comment, CDATA section, processing instruction or declaration
)

type xmlTag struct {
	kind tagKind
	// name is the local name, qname the name as written (with its prefix), for messages.
	name, qname string
	empty       bool
	line        int
	raw         []byte
	decl        bool
	// at is where the tag starts in the capture it was written to (-1 when none).
	at int
}

// maxName bounds the part of an element name the scanner keeps.
const maxName = 256

// NewScanner reads the export from r as cfg says.
func NewScanner(r io.Reader, cfg Config) *Scanner {
	return &Scanner{cfg: cfg, r: bufio.NewReaderSize(r, 64<<10), line: 1, stale: true,
		tag: capture{max: source.MaxRecord, drop: cfg.Lenient}, rec: capture{max: source.MaxRecord, drop: cfg.Lenient}}
}

// capture collects the bytes of a record or tag up to max; beyond it, it holds nothing and remembers that.
type capture struct {
	buf  []byte
	max  int
	over bool
	drop bool
}

func (c *capture) reset() { c.buf, c.over = c.buf[:0], false }

func (c *capture) write(p []byte) {
	if c == nil || c.over {
		return
	}
	if len(c.buf)+len(p) > c.max {
		c.over, c.buf = true, nil
		return
	}
	if !c.drop {
		c.buf = append(c.buf, p...)
		return
	}
	for _, b := range p {
		// WordPress copies control characters from pasted comments into its exports; XML 1.0 allows none but
		// tab and line ends. They are single bytes in UTF-8, never part of another character.
		if b >= 0x20 || b == '\t' || b == '\n' || b == '\r' {
			c.buf = append(c.buf, b)
		}
	}
}

func (c *capture) writeByte(b byte) {
	switch {
	case c == nil || c.over:
	case len(c.buf) >= c.max:
		c.over, c.buf = true, nil
	case !c.drop || b >= 0x20 || b == '\t' || b == '\n' || b == '\r':
		c.buf = append(c.buf, b)
	}
}

// Next returns the next container boundary or record, io.EOF after the document's end, or an error that refuses
// the file (not the format, cut short).
func (s *Scanner) Next() (Event, error) {
	for {
		t, err := s.readPending(nil)
		if err != nil {
			return Event{}, err
		}
		switch t.kind {
		case tagEOF:
			switch {
			case len(s.open) > 0:
				return Event{}, s.cutShort()
			case !s.started:
				return Event{}, fmt.Errorf("not a %s: the file is empty", s.cfg.Format)
			}
			return Event{}, io.EOF
		case tagOther:
			if t.decl && !s.started && s.decl == nil {
				s.decl = bytes.Clone(t.raw)
			}
			continue
		case tagEnd:
			if ev, ok := s.closeContainer(t); ok {
				return ev, nil
			}
			continue // an end tag that closes nothing open: nothing to do
		}
		if len(s.open) == 0 {
			if err := s.openRoot(t); err != nil {
				return Event{}, err
			}
			if t.empty {
				s.pop()
			}
			return Event{Kind: Container, Name: t.name, Line: t.line}, nil
		}
		if top := s.open[len(s.open)-1]; s.cfg.Breaks(top.Name, t.name) {
			// <item> inside an <item>: the one open has ended without its end tag.
			t.raw = bytes.Clone(t.raw)
			s.pending = &t
			s.pop()
			return Event{Kind: Container, Close: true, Name: top.Name, Line: t.line}, nil
		}
		switch s.cfg.Kind(s.open, t.name) {
		case Container:
			if len(s.open) >= maxContainers {
				return Event{}, fmt.Errorf("line %d: <%s> nested in more than %d elements", t.line, t.qname, maxContainers)
			}
			if t.raw == nil {
				return Event{}, fmt.Errorf("line %d: the start tag of <%s> is longer than %s", t.line, t.qname, source.SizeName(source.MaxRecord))
			}
			s.open = append(s.open, Open{Name: t.name, raw: bytes.Clone(t.raw)})
			s.stale = true
			if t.empty {
				s.pop()
			}
			return Event{Kind: Container, Name: t.name, Line: t.line}, nil
		case Record:
			// One buffer serves every record: a record's bytes are decoded before the next is read.
			rec := &s.rec
			rec.reset()
			rec.write(t.raw)
			bad, err := s.element(t, rec)
			if err != nil {
				return Event{}, err
			}
			ev := Event{Kind: Record, Name: t.name, Line: t.line, raw: rec.buf, Bad: bad}
			if rec.over || t.raw == nil {
				ev.raw, ev.Bad = nil, fmt.Sprintf("is longer than %s", source.SizeName(source.MaxRecord))
			}
			return ev, nil
		default:
			bad, err := s.element(t, nil)
			if err != nil {
				return Event{}, err
			}
			if bad != "" && !s.cfg.Lenient {
				return Event{Kind: Skip, Name: t.name, Line: t.line, Bad: bad}, nil
			}
		}
	}
}

// maxContainers bounds how deep containers nest (rss, channel, item: three).
const maxContainers = 8

func (s *Scanner) pop() {
	s.open = s.open[:len(s.open)-1]
	s.stale = true
	if len(s.open) == 0 {
		s.done = true
	}
}

func (s *Scanner) cutShort() error {
	return fmt.Errorf("line %d: the file ends in the middle of an element: it is cut short", s.line)
}

// openRoot checks the document element and that its start tag (with the declaration) can be read.
func (s *Scanner) openRoot(t xmlTag) error {
	if t.name != s.cfg.Root {
		return fmt.Errorf("line %d: not a %s: the document is <%s>, not <%s>", t.line, s.cfg.Format, t.qname, s.cfg.Root)
	}
	if t.raw == nil {
		return fmt.Errorf("line %d: the start tag of <%s> is longer than %s", t.line, t.name, source.SizeName(source.MaxRecord))
	}
	s.started = true
	s.open = append(s.open, Open{Name: t.name, raw: bytes.Clone(t.raw)})
	s.stale = true
	dec := s.decoder(s.prefixBytes())
	for {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("line %d: the document element cannot be read: %w", t.line, err)
		}
		if _, ok := tok.(xml.StartElement); ok {
			return nil
		}
	}
}

// closeContainer handles an end tag between records: it closes the innermost container, or (when containers
// inside it were never closed) the innermost one of that name.
func (s *Scanner) closeContainer(t xmlTag) (Event, bool) {
	for i := len(s.open) - 1; i >= 0; i-- {
		if s.open[i].Name != t.name {
			continue
		}
		top := s.open[len(s.open)-1]
		if i < len(s.open)-1 {
			s.pending = &t // close the inner ones first, one event each
		}
		s.pop()
		return Event{Kind: Container, Close: true, Name: top.Name, Line: t.line}, true
	}
	return Event{}, false
}

// element reads the rest of an element whose start tag was t, into rec when it is a record. It returns why the
// element is broken ("" when it is not); an error only for the file (cut short).
func (s *Scanner) element(t xmlTag, rec *capture) (string, error) {
	if t.empty {
		return "", nil
	}
	same := 0
	for {
		u, err := s.readTag(rec)
		if err != nil {
			return "", err
		}
		switch u.kind {
		case tagEOF:
			return "", s.cutShort()
		case tagStart:
			if s.cfg.Breaks(t.name, u.name) {
				s.unwrite(rec, u)
				return fmt.Sprintf("has no end tag </%s> (the next element, <%s>, starts at line %d)", t.qname, u.qname, u.line), nil
			}
			if u.name == t.name && !u.empty {
				same++
			}
		case tagEnd:
			if u.name == t.name {
				if same == 0 {
					return "", nil
				}
				same--
				continue
			}
			for _, o := range s.open {
				if o.Name == u.name {
					s.unwrite(rec, u)
					return fmt.Sprintf("has no end tag </%s> (</%s> follows at line %d)", t.qname, u.qname, u.line), nil
				}
			}
		}
	}
}

// unwrite takes a tag that belongs after the element back out of its capture, to be handled next.
func (s *Scanner) unwrite(rec *capture, u xmlTag) {
	if rec != nil && !rec.over && u.at >= 0 {
		rec.buf = rec.buf[:u.at]
	}
	u.raw = bytes.Clone(u.raw)
	s.pending = &u
}

func (s *Scanner) readPending(rec *capture) (xmlTag, error) {
	if t := s.pending; t != nil {
		s.pending = nil
		return *t, nil
	}
	return s.readTag(rec)
}

// readTag reads up to and including the next tag, writing both to rec (nil between records). Between records,
// text other than white space outside the document refuses the file.
func (s *Scanner) readTag(rec *capture) (xmlTag, error) {
	for {
		chunk, err := s.r.ReadSlice('<')
		s.count(chunk)
		body := chunk
		if err == nil {
			body = chunk[:len(chunk)-1]
		}
		rec.write(body)
		if rec == nil && len(s.open) == 0 && len(bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))) > 0 {
			if s.done {
				return xmlTag{}, fmt.Errorf("line %d: text after the end of the document", s.line)
			}
			return xmlTag{}, fmt.Errorf("not a %s: the file is not XML", s.cfg.Format)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return xmlTag{kind: tagEOF}, nil
		case err != nil:
			return xmlTag{}, err
		}
		t, isTag, err := s.markup(rec)
		if err != nil || isTag {
			return t, err
		}
		// A "<" that starts no markup ("a < b" in lenient text): it was text.
	}
}

// markup reads what follows a "<".
func (s *Scanner) markup(rec *capture) (xmlTag, bool, error) {
	t := xmlTag{line: s.line, at: -1}
	if rec != nil && !rec.over {
		t.at = len(rec.buf)
	}
	rec.writeByte('<')
	s.tag.reset()
	s.tag.writeByte('<')
	b, err := s.r.Peek(1)
	if err != nil {
		return t, true, s.eof(err)
	}
	switch {
	case b[0] == '!':
		t.kind = tagOther
		return t, true, s.bang(rec)
	case b[0] == '?':
		t.kind = tagOther
		head, _ := s.r.Peek(5)
		decl := string(head) == "?xml "
		if err := s.until("?>", &multiCapture{rec, &s.tag}); err != nil {
			return t, true, s.eof(err)
		}
		t.decl = decl && !s.tag.over
		t.raw = s.tag.buf
		return t, true, nil
	case b[0] == '/':
		t.kind = tagEnd
	case isNameByte(b[0]):
		t.kind = tagStart
	default:
		return t, false, nil
	}
	both := &multiCapture{rec, &s.tag}
	if t.kind == tagEnd {
		s.take(1, both)
	}
	t.name, t.qname = s.name(both)
	if err := s.tagRest(&t, both); err != nil {
		return t, true, s.eof(err)
	}
	if !s.tag.over {
		t.raw = s.tag.buf
	}
	return t, true, nil
}

// eof turns the end of the file inside markup into "cut short".
func (s *Scanner) eof(err error) error {
	if errors.Is(err, io.EOF) {
		return s.cutShort()
	}
	return err
}

// bang reads a comment, a CDATA section or a declaration (<!DOCTYPE ...>).
func (s *Scanner) bang(rec *capture) error {
	head, _ := s.r.Peek(9)
	switch {
	case bytes.HasPrefix(head, []byte("!--")):
		s.take(3, rec)
		return s.eof(s.until("-->", rec))
	case bytes.HasPrefix(head, []byte("![CDATA[")):
		s.take(8, rec)
		return s.eof(s.until("]]>", rec))
	}
	// A declaration: up to the ">" outside quotes and brackets.
	depth := 0
	var quote byte
	for {
		c, err := s.byte(rec)
		if err != nil {
			return s.eof(err)
		}
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '[':
			depth++
		case c == ']':
			depth--
		case c == '>' && depth <= 0:
			return nil
		}
	}
}

// until reads up to and including term.
func (s *Scanner) until(term string, w writer1) error {
	last := term[len(term)-1]
	var tail []byte // the last bytes read, as many as term has
	for {
		chunk, err := s.r.ReadSlice(last)
		s.count(chunk)
		w.write(chunk)
		tail = append(tail, chunk[max(0, len(chunk)-len(term)):]...)
		tail = tail[max(0, len(tail)-len(term)):]
		if err == nil && string(tail) == term {
			return nil
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
	}
}

// name reads an element name and returns its local part (after any prefix) and the whole of it.
func (s *Scanner) name(w writer1) (local, qualified string) {
	var buf [maxName]byte
	n, start := 0, 0
	for {
		b, err := s.r.Peek(1)
		if err != nil || !isNameByte(b[0]) {
			break
		}
		c := b[0]
		s.take(1, w)
		if n < len(buf) {
			buf[n] = c
			n++
			if c == ':' {
				start = n
			}
		}
	}
	return string(buf[start:n]), string(buf[:n])
}

// tagRest reads the rest of a tag after its name: attributes (quoted values may hold ">") up to ">".
func (s *Scanner) tagRest(t *xmlTag, w writer1) error {
	var quote, prev byte
	for {
		c, err := s.byte(w)
		if err != nil {
			return err
		}
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			t.empty = t.kind == tagStart && prev == '/'
			return nil
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			prev = c
		}
	}
}

// take moves n bytes (already peeked) from the file to w.
func (s *Scanner) take(n int, w writer1) {
	for range n {
		if _, err := s.byte(w); err != nil {
			return
		}
	}
}

// byte moves one byte from the file to w, counting lines.
func (s *Scanner) byte(w writer1) (byte, error) {
	c, err := s.r.ReadByte()
	if err != nil {
		return 0, err
	}
	s.countByte(c)
	w.writeByte(c)
	return c, nil
}

func (s *Scanner) count(p []byte) { s.line += bytes.Count(p, []byte{'\n'}) }

func (s *Scanner) countByte(c byte) {
	if c == '\n' {
		s.line++
	}
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == ':' || c == '-' ||
		c == '.' || c >= 0x80
}

// writer1 is where markup goes: a record's capture, the tag's, both or none.
type writer1 interface {
	write(p []byte)
	writeByte(c byte)
}

type multiCapture struct{ a, b *capture }

func (m *multiCapture) write(p []byte)   { m.a.write(p); m.b.write(p) }
func (m *multiCapture) writeByte(c byte) { m.a.writeByte(c); m.b.writeByte(c) }

// prefixBytes returns the declaration and the start tags of the open containers: what a record needs before it
// to be read as it stands in the file (namespaces, encoding).
func (s *Scanner) prefixBytes() []byte {
	if s.stale {
		s.prefix = append(s.prefix[:0], s.decl...)
		for _, o := range s.open {
			s.prefix = append(s.prefix, o.raw...)
		}
		s.plines = bytes.Count(s.prefix, []byte{'\n'})
		s.stale = false
	}
	return s.prefix
}

func (s *Scanner) decoder(data []byte) *xml.Decoder {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.CharsetReader = charsetReader
	if s.cfg.Lenient {
		dec.Strict = false
		dec.Entity = xml.HTMLEntity
	}
	return dec
}

// Decode reads a record (from Next) into v with encoding/xml. Its error says what is wrong and where, for the
// record's report.
func (s *Scanner) Decode(ev Event, v any) error {
	prefix := s.prefixBytes()
	data := make([]byte, 0, len(prefix)+len(ev.raw))
	data = append(append(data, prefix...), ev.raw...)
	dec := s.decoder(data)
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return s.recordError(ev, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == len(s.open) {
				if err := dec.DecodeElement(v, &t); err != nil {
					return s.recordError(ev, err)
				}
				return nil
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
}

func (s *Scanner) recordError(ev Event, err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		line := ev.Line + se.Line - 1 - s.plines
		if line > ev.Line {
			return fmt.Errorf("%s (line %d)", se.Msg, line)
		}
		return errors.New(se.Msg)
	}
	return err
}
