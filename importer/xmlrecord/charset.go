package xmlrecord

import (
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

// singleByte are the encodings an export may declare besides UTF-8, by their labels (WHATWG's Encoding Standard,
// which is what browsers and WordPress's older installs wrote: "latin1" and "iso-8859-1" mean windows-1252).
// They are the byte-per-character ones, whose markup is ASCII, so the scanner can follow it before decoding.
// Multi-byte legacy encodings (Shift_JIS, GBK, Big5, EUC-KR) are not read: their tables would add 0.6 MB to
// the binary for exports that are, in practice, UTF-8; an export in one is refused with the command that
// converts it.
var singleByte = map[string]encoding.Encoding{
	"ibm866": charmap.CodePage866, "866": charmap.CodePage866, "cp866": charmap.CodePage866,
	"iso-8859-2": charmap.ISO8859_2, "latin2": charmap.ISO8859_2, "l2": charmap.ISO8859_2,
	"iso-8859-3": charmap.ISO8859_3, "latin3": charmap.ISO8859_3,
	"iso-8859-4": charmap.ISO8859_4, "latin4": charmap.ISO8859_4,
	"iso-8859-5": charmap.ISO8859_5, "cyrillic": charmap.ISO8859_5,
	"iso-8859-6": charmap.ISO8859_6, "arabic": charmap.ISO8859_6,
	"iso-8859-7": charmap.ISO8859_7, "greek": charmap.ISO8859_7,
	"iso-8859-8": charmap.ISO8859_8, "hebrew": charmap.ISO8859_8, "iso-8859-8-i": charmap.ISO8859_8,
	"iso-8859-10": charmap.ISO8859_10, "latin6": charmap.ISO8859_10,
	"iso-8859-13": charmap.ISO8859_13,
	"iso-8859-14": charmap.ISO8859_14,
	"iso-8859-15": charmap.ISO8859_15, "latin9": charmap.ISO8859_15, "latin-9": charmap.ISO8859_15,
	"iso-8859-16": charmap.ISO8859_16,
	"koi8-r":      charmap.KOI8R, "koi8": charmap.KOI8R, "koi8-u": charmap.KOI8U,
	"macintosh": charmap.Macintosh, "mac": charmap.Macintosh, "x-mac-roman": charmap.Macintosh,
	"x-mac-cyrillic": charmap.MacintoshCyrillic,
	"windows-874":    charmap.Windows874, "tis-620": charmap.Windows874,
	"windows-1250": charmap.Windows1250, "cp1250": charmap.Windows1250,
	"windows-1251": charmap.Windows1251, "cp1251": charmap.Windows1251,
	"windows-1252": charmap.Windows1252, "cp1252": charmap.Windows1252, "iso-8859-1": charmap.Windows1252,
	"latin1": charmap.Windows1252, "l1": charmap.Windows1252, "us-ascii": charmap.Windows1252, "ascii": charmap.Windows1252,
	"iso_8859-1":   charmap.Windows1252,
	"windows-1253": charmap.Windows1253, "cp1253": charmap.Windows1253,
	"windows-1254": charmap.Windows1254, "cp1254": charmap.Windows1254, "iso-8859-9": charmap.Windows1254, "latin5": charmap.Windows1254,
	"windows-1255": charmap.Windows1255, "cp1255": charmap.Windows1255,
	"windows-1256": charmap.Windows1256, "cp1256": charmap.Windows1256,
	"windows-1257": charmap.Windows1257, "cp1257": charmap.Windows1257,
	"windows-1258": charmap.Windows1258, "cp1258": charmap.Windows1258,
}

// charsetReader is encoding/xml's CharsetReader: it decodes a declared single-byte encoding to UTF-8 and refuses
// any other with what to do about it. (encoding/xml reads UTF-8 itself and never asks for it.)
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	name := strings.ToLower(strings.TrimSpace(label))
	if name == "utf8" {
		return in, nil
	}
	if e, ok := singleByte[name]; ok {
		return e.NewDecoder().Reader(in), nil
	}
	return nil, fmt.Errorf("the file is encoded as %q, which the importer does not read: convert it to UTF-8 first "+
		"(iconv -f %s -t UTF-8 export.xml > export-utf8.xml) and change encoding=%q in its first line to \"UTF-8\"",
		label, label, label)
}
