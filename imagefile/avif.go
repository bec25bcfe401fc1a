package imagefile

import (
	"encoding/binary"
	"errors"
)

// ErrAVIFLayout is an AVIF file whose metadata cannot be found with certainty: it is refused rather than stored
// with its metadata.
var ErrAVIFLayout = errors.New("the AVIF file's metadata cannot be located safely")

// stripAVIF blanks an AVIF file's metadata: the bytes of its Exif items and of its XMP items (item type "mime",
// content type application/rdf+xml) are overwritten with zeros where the item location box (iloc) says they lie,
// in the media data or in the meta box's own data (idat), and a top-level uuid box (where some writers put XMP)
// becomes a free box of zeros. Nothing moves: every box keeps its size and every offset its value, so the
// picture and its properties (colour, rotation, mirroring) are untouched, which rewriting the boxes without the
// items (and every offset after them) would put at risk. Anything after the last box goes. A layout whose
// metadata cannot be found with certainty (item information before version 2, data in other items or other
// files, an extent outside the file) is refused (ErrAVIFLayout).
func stripAVIF(b []byte) ([]byte, error) {
	// The top-level boxes: anything after the last whole one is dropped, as for the other formats.
	end, metaAt := 0, -1
	var boxes [][2]int // start, end
	for rest := b; len(rest) >= 8; {
		_, typ, next, ok := nextBox(rest)
		if !ok {
			break
		}
		start := end
		end = len(b) - len(next)
		boxes = append(boxes, [2]int{start, end})
		if typ == "meta" && metaAt < 0 {
			metaAt = start
		}
		rest = next
	}
	if metaAt < 0 {
		return nil, errMalformed
	}
	out := append([]byte{}, b[:end]...)
	for _, bx := range boxes {
		if string(out[bx[0]+4:bx[0]+8]) == "uuid" {
			copy(out[bx[0]+4:], "free")
			head := 8
			if binary.BigEndian.Uint32(out[bx[0]:]) == 1 {
				head = 16
			}
			clear(out[bx[0]+head : bx[1]])
		}
	}
	meta, _, _, _ := nextBox(out[metaAt:])
	if len(meta) < 4 {
		return nil, errMalformed
	}
	children := meta[4:] // a full box: version and flags first
	hidden, err := metadataItems(children)
	if err != nil {
		return nil, err
	}
	if len(hidden) == 0 {
		return out, nil
	}
	var idat []byte
	if body, ok := findBox(children, "idat"); ok {
		idat = body // a window on out: blanking it blanks out
	}
	iloc, ok := findBox(children, "iloc")
	if !ok {
		return nil, ErrAVIFLayout
	}
	extents, err := itemExtents(iloc, hidden)
	if err != nil {
		return nil, err
	}
	for _, e := range extents {
		area := out
		if e.inIdat {
			area = idat
		}
		if e.length == 0 || e.offset > uint64(len(area)) || e.length > uint64(len(area))-e.offset {
			return nil, ErrAVIFLayout
		}
		clear(area[e.offset : e.offset+e.length])
	}
	return out, nil
}

// metadataItems returns the ids of the Exif and XMP items the item information box (iinf) among a meta box's
// children declares.
func metadataItems(children []byte) (map[uint32]bool, error) {
	iinf, ok := findBox(children, "iinf")
	if !ok {
		return nil, nil // no items described: nothing is metadata
	}
	head := 6 // version, flags and a 16-bit count (32-bit after version 0)
	if len(iinf) > 0 && iinf[0] != 0 {
		head = 8
	}
	if len(iinf) < head {
		return nil, errMalformed
	}
	rest := iinf[head:]
	ids := map[uint32]bool{}
	for {
		body, typ, next, ok := nextBox(rest)
		if !ok {
			break
		}
		rest = next
		if typ != "infe" {
			continue
		}
		if len(body) < 4 || body[0] < 2 {
			return nil, ErrAVIFLayout // before version 2 an item has no type to tell metadata by
		}
		p := 4
		var id uint32
		if body[0] == 2 {
			if len(body) < p+2 {
				return nil, errMalformed
			}
			id, p = uint32(binary.BigEndian.Uint16(body[p:])), p+2
		} else {
			if len(body) < p+4 {
				return nil, errMalformed
			}
			id, p = binary.BigEndian.Uint32(body[p:]), p+4
		}
		p += 2 // protection index
		if len(body) < p+4 {
			return nil, errMalformed
		}
		itemType := string(body[p : p+4])
		p += 4
		_, more := cString(body[p:]) // the item's name
		switch itemType {
		case "Exif":
			ids[id] = true
		case "mime":
			contentType, _ := cString(more)
			if contentType == "application/rdf+xml" {
				ids[id] = true
			}
		}
	}
	return ids, nil
}

// cString splits a zero-terminated string off b.
func cString(b []byte) (string, []byte) {
	for i, c := range b {
		if c == 0 {
			return string(b[:i]), b[i+1:]
		}
	}
	return string(b), nil
}

// extent is where part of an item's data lies: in the file, or in the meta box's idat.
type extent struct {
	offset, length uint64
	inIdat         bool
}

// itemExtents reads the item location box (ISO/IEC 14496-12, 8.11.3) for the items in ids.
func itemExtents(iloc []byte, ids map[uint32]bool) ([]extent, error) {
	if len(iloc) < 8 {
		return nil, errMalformed
	}
	version := iloc[0]
	if version > 2 {
		return nil, ErrAVIFLayout
	}
	offsetSize, lengthSize := int(iloc[4]>>4), int(iloc[4]&15)
	baseSize, indexSize := int(iloc[5]>>4), int(iloc[5]&15)
	if version == 0 {
		indexSize = 0
	}
	p := 6
	r := func(n int) (uint64, bool) {
		if n != 0 && n != 4 && n != 8 || p+n > len(iloc) {
			return 0, false
		}
		var v uint64
		switch n {
		case 4:
			v = uint64(binary.BigEndian.Uint32(iloc[p:]))
		case 8:
			v = binary.BigEndian.Uint64(iloc[p:])
		}
		p += n
		return v, true
	}
	r2 := func() (uint64, bool) {
		if p+2 > len(iloc) {
			return 0, false
		}
		v := uint64(binary.BigEndian.Uint16(iloc[p:]))
		p += 2
		return v, true
	}
	var count uint64
	var ok bool
	if version < 2 {
		count, ok = r2()
	} else {
		count, ok = r(4)
	}
	if !ok {
		return nil, errMalformed
	}
	var out []extent
	for range count {
		var id uint64
		if version < 2 {
			id, ok = r2()
		} else {
			id, ok = r(4)
		}
		if !ok {
			return nil, errMalformed
		}
		method := uint64(0)
		if version > 0 {
			if method, ok = r2(); !ok {
				return nil, errMalformed
			}
			method &= 15
		}
		dataRef, ok1 := r2()
		base, ok2 := r(baseSize)
		n, ok3 := r2()
		if !ok1 || !ok2 || !ok3 {
			return nil, errMalformed
		}
		mine := ids[uint32(id)]
		if mine && (dataRef != 0 || method > 1) {
			return nil, ErrAVIFLayout // in another file, or made of other items
		}
		for range n {
			if indexSize > 0 {
				if _, ok := r(indexSize); !ok {
					return nil, errMalformed
				}
			}
			off, ok1 := r(offsetSize)
			length, ok2 := r(lengthSize)
			if !ok1 || !ok2 {
				return nil, errMalformed
			}
			if mine {
				if base+off < base {
					return nil, ErrAVIFLayout
				}
				out = append(out, extent{offset: base + off, length: length, inIdat: method == 1})
			}
		}
	}
	return out, nil
}
