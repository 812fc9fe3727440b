package text

import "unicode/utf8"

// RuneIndex converts byte offsets of a text into code point offsets, the
// unit of offsets in events.
type RuneIndex struct {
	ascii bool
	// runeAt[b] is the code point offset of byte offset b (for b at rune
	// starts and at len(text)).
	runeAt []int32
}

// NewRuneIndex indexes text.
func NewRuneIndex(text string) *RuneIndex {
	for i := 0; i < len(text); i++ {
		if text[i] >= utf8.RuneSelf {
			goto slow
		}
	}
	return &RuneIndex{ascii: true}
slow:
	idx := &RuneIndex{runeAt: make([]int32, len(text)+1)}
	n := int32(0)
	for i := range text {
		idx.runeAt[i] = n
		n++
	}
	// Fill the bytes inside multi-byte runes with the offset of the next rune.
	next := n
	idx.runeAt[len(text)] = next
	for i := len(text) - 1; i >= 0; i-- {
		if utf8.RuneStart(text[i]) {
			next = idx.runeAt[i]
		} else {
			idx.runeAt[i] = next
		}
	}
	return idx
}

// Rune returns the code point offset of byte offset b.
func (x *RuneIndex) Rune(b int) int {
	if x.ascii {
		return b
	}
	return int(x.runeAt[b])
}
