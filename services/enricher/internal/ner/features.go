package ner

import (
	"slices"
	"unicode"
	"unicode/utf8"

	"github.com/newsflow/newsflow/services/enricher/internal/gazetteer"
	"github.com/newsflow/newsflow/services/enricher/internal/text"
)

// Feature templates. A feature is the hash of a template and its values;
// templates are numbered for the model file, so never renumber them, only
// add new ones at the end.
const (
	tBias = iota + 1
	tWord
	tLow
	tShape
	tShort
	tPre1
	tPre2
	tPre3
	tPre4
	tSuf1
	tSuf2
	tSuf3
	tSuf4
	tLowM1
	tLowP1
	tLowM2
	tLowP2
	tShortM1
	tShortP1
	tShortM1_0
	tShort0_P1
	tLowM1_0
	tLow0_P1
	tInitial
	tCapsSent
	tGaz
	tGazM1
	tGazP1
	tDocCase
	tHist
	tCapM1_0_P1
	tLowM1_Short
	tLowP1_Short
	tPart
	tHistPair
	tLen
	tAggL
	tAggR
)

// Capitalisation classes of a token.
const (
	capLower = iota
	capTitle
	capUpper
	capMixed
	capDigit
	capOther
)

// tokInfo holds what feature templates need from one token.
type tokInfo struct {
	word, low, shape, short uint64
	pre, suf                [4]uint64
	parts                   [3]uint64 // lower-case hyphen parts of a compound
	cap                     uint8
	initial                 bool // first word of a sentence or after an opening quote
	capsSent                bool // in a sentence written in capitals (headline)
	single                  gazetteer.Class
	ngaz                    uint8
	gaz                     [6]uint32 // class<<2 | position (B, I, L, U)
	nrunes                  int
	sentFirst, sentLimit    int32
}

// extractor computes feature hashes; one per goroutine (see Model.pool).
type extractor struct {
	gz   *gazetteer.Gazetteer
	opts Options
	// firstOcc maps a lower-case form to its first capitalised token;
	// nextOcc[i] is the next capitalised token of the same form, or -1.
	firstOcc map[uint64]int32
	nextOcc  []int32
	toks     []tokInfo
	words    []string
	runes    []rune
	// doc-level case evidence per lower-case form: bit 1 capitalised in
	// running text, 2 lower case, 4 all capitals in running text.
	docCase map[uint64]uint8
	// doc-level prediction history per lower-case form: counts of O,
	// PER, ORG, LOC, MISC predicted for capitalised occurrences.
	hist map[uint64][5]uint16
	buf  []uint64
}

func newExtractor(gz *gazetteer.Gazetteer, opts Options) *extractor {
	return &extractor{gz: gz, opts: opts, docCase: map[uint64]uint8{}, hist: map[uint64][5]uint16{}, firstOcc: map[uint64]int32{}}
}

// mix is the splitmix64 finaliser.
func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

func f1(t int, a uint64) uint64    { return mix(a ^ uint64(t)*0x9e3779b97f4a7c15) }
func f2(t int, a, b uint64) uint64 { return mix(mix(a^uint64(t)*0x9e3779b97f4a7c15) + b) }
func f3(t int, a, b, c uint64) uint64 {
	return mix(mix(mix(a^uint64(t)*0x9e3779b97f4a7c15)+b) + c)
}

const (
	fnvOff   = 14695981039346656037
	fnvPrime = 1099511628211
)

func hashRunes(rs []rune) uint64 {
	h := uint64(fnvOff)
	for _, r := range rs {
		h ^= uint64(r)
		h *= fnvPrime
	}
	return h
}

// prepare analyses the tokens of d for feature extraction.
func (x *extractor) prepare(d *text.Document) {
	n := len(d.Tokens)
	if cap(x.toks) < n {
		x.toks = make([]tokInfo, n)
		x.words = make([]string, n)
	}
	x.toks, x.words = x.toks[:n], x.words[:n]
	for i, t := range d.Tokens {
		x.words[i] = t.Text
	}
	clear(x.docCase)
	clear(x.hist)
	for si, s := range d.Sentences {
		caps := capsSentence(x.words[s.First:s.Limit])
		for i := s.First; i < s.Limit; i++ {
			ti := &x.toks[i]
			*ti = tokInfo{}
			x.word(ti, x.words[i])
			ti.capsSent = caps
			ti.sentFirst, ti.sentLimit = int32(s.First), int32(s.Limit)
			ti.initial = i == s.First || isOpener(x.words[i-1])
			if si == 0 && i == s.First {
				ti.initial = true
			}
		}
	}
	// Gazetteer matches, as BILOU positions of each class group.
	m := x.gz.Matcher(x.words)
	for _, s := range d.Sentences {
		for i := s.First; i < s.Limit; i++ {
			single, ln, c := m.Scan(i)
			x.toks[i].single = single
			if ln == 0 || i+ln > s.Limit {
				continue
			}
			for j := i; j < i+ln; j++ {
				pos := uint32(1) // inside
				switch {
				case ln == 1:
					pos = 3
				case j == i:
					pos = 0
				case j == i+ln-1:
					pos = 2
				}
				ti := &x.toks[j]
				if int(ti.ngaz) < len(ti.gaz) {
					ti.gaz[ti.ngaz] = uint32(c)<<2 | pos
					ti.ngaz++
				}
			}
		}
	}
	if x.opts.Aggregate {
		clear(x.firstOcc)
		x.nextOcc = slices.Grow(x.nextOcc[:0], n)[:n]
		for i := n - 1; i >= 0; i-- {
			x.nextOcc[i] = -1
			if c := x.toks[i].cap; c == capTitle || c == capUpper || c == capMixed {
				if f, ok := x.firstOcc[x.toks[i].low]; ok {
					x.nextOcc[i] = f
				}
				x.firstOcc[x.toks[i].low] = int32(i)
			}
		}
	}
	// Document-level case evidence: how a word is written in running text.
	for i := range x.toks {
		ti := &x.toks[i]
		switch {
		case ti.cap == capLower:
			x.docCase[ti.low] |= 2
		case ti.initial || ti.capsSent:
		case ti.cap == capTitle:
			x.docCase[ti.low] |= 1
		case ti.cap == capUpper:
			x.docCase[ti.low] |= 4
		}
	}
}

func isOpener(w string) bool {
	switch w {
	case "\"", "“", "‘", "'", "(", "[", ":", "-", "--", "—", "–", "`", "``":
		return true
	}
	return false
}

func capsSentence(words []string) bool {
	letters, upper := 0, 0
	for _, w := range words {
		hasLetter, hasLower := false, false
		for _, r := range w {
			if unicode.IsLetter(r) {
				hasLetter = true
				if unicode.IsLower(r) {
					hasLower = true
					break
				}
			}
		}
		if hasLetter {
			letters++
			if !hasLower {
				upper++
			}
		}
	}
	return letters > 0 && upper*5 >= letters*4
}

// word fills the lexical fields of ti.
func (x *extractor) word(ti *tokInfo, w string) {
	word := uint64(fnvOff)
	rs := x.runes[:0]
	nUpper, nLower, nDigit, nOther := 0, 0, 0, 0
	shape := uint64(fnvOff)
	short := uint64(fnvOff)
	var last rune = -1
	for i, r := range w {
		r = typographic(r)
		word ^= uint64(r)
		word *= fnvPrime
		var c rune
		switch {
		case unicode.IsUpper(r):
			nUpper++
			c = 'X'
		case unicode.IsLower(r):
			nLower++
			c = 'x'
		case unicode.IsDigit(r):
			nDigit++
			c = 'd'
		case unicode.IsLetter(r):
			nLower++
			c = 'x'
		default:
			nOther++
			c = r
		}
		if i < 24 && len(rs) < 8 {
			shape ^= uint64(c)
			shape *= fnvPrime
		}
		if c != last {
			short ^= uint64(c)
			short *= fnvPrime
			last = c
		}
		lr := unicode.ToLower(r)
		if unicode.IsDigit(lr) {
			lr = '0'
		}
		rs = append(rs, lr)
	}
	x.runes = rs
	if len(rs) > 8 {
		shape ^= '+'
		shape *= fnvPrime
	}
	ti.word, ti.shape, ti.short, ti.nrunes = word, shape, short, len(rs)
	ti.low = hashRunes(rs)
	for k := 1; k <= 4 && k <= len(rs); k++ {
		ti.pre[k-1] = hashRunes(rs[:k])
		ti.suf[k-1] = hashRunes(rs[len(rs)-k:])
	}
	switch {
	case nUpper+nLower == 0 && nDigit > 0:
		ti.cap = capDigit
	case nUpper+nLower == 0:
		ti.cap = capOther
	case nUpper == 0:
		ti.cap = capLower
	case nLower == 0:
		ti.cap = capUpper
	default:
		r, _ := utf8.DecodeRuneInString(w)
		if unicode.IsUpper(r) && nUpper == 1 {
			ti.cap = capTitle
		} else if unicode.IsUpper(r) {
			ti.cap = capMixed
			if isTitleParts(w) {
				ti.cap = capTitle
			}
		} else {
			ti.cap = capMixed
		}
	}
	// Parts of hyphenated compounds ("Anglo-French", "al-Qaeda").
	if nOther > 0 && slices.Contains(rs, '-') {
		np, start := 0, 0
		for i := 0; i <= len(rs) && np < len(ti.parts); i++ {
			if i == len(rs) || rs[i] == '-' {
				if i > start {
					ti.parts[np] = hashRunes(rs[start:i])
					np++
				}
				start = i + 1
			}
		}
	}
}

// typographic maps typographic quotes and dashes to the ASCII marks of the
// training data ("“" -> '"', "’" -> '\”, "—" -> '-').
func typographic(r rune) rune {
	switch r {
	case '“', '”', '„', '«', '»', '″':
		return '"'
	case '‘', '’', '‚', '′':
		return '\''
	case '—', '–', '‒', '―', '−':
		return '-'
	}
	return r
}

// isTitleParts reports whether every hyphen part of w starts with a capital
// and continues in lower case ("Anglo-French", "Al-Qaeda").
func isTitleParts(w string) bool {
	first := true
	for _, r := range w {
		switch {
		case r == '-' || r == '\'' || r == '.':
			first = true
			continue
		case first && !unicode.IsUpper(r) && unicode.IsLetter(r):
			return false
		case !first && unicode.IsUpper(r):
			return false
		}
		first = false
	}
	return true
}

const none = 0x5bd1e995 // value of a missing neighbour

// features appends the feature hashes of token i (in sentence [first,
// limit)) to dst. Prediction-history features are added separately (see
// histFeatures), because they change as the document is tagged.
func (x *extractor) features(dst []uint64, i, first, limit int) []uint64 {
	t := &x.toks[i]
	at := func(j int) *tokInfo {
		if j < first || j >= limit {
			return nil
		}
		return &x.toks[j]
	}
	low := func(p *tokInfo) uint64 {
		if p == nil {
			return none
		}
		return p.low
	}
	short := func(p *tokInfo) uint64 {
		if p == nil {
			return none
		}
		return p.short
	}
	capc := func(p *tokInfo) uint64 {
		if p == nil {
			return 9
		}
		return uint64(p.cap)
	}
	m1, p1, m2, p2 := at(i-1), at(i+1), at(i-2), at(i+2)
	dst = append(dst,
		f1(tBias, 0),
		f1(tWord, t.word),
		f1(tLow, t.low),
		f1(tShape, t.shape),
		f1(tShort, t.short),
		f1(tLowM1, low(m1)),
		f1(tLowP1, low(p1)),
		f1(tLowM2, low(m2)),
		f1(tLowP2, low(p2)),
		f1(tShortM1, short(m1)),
		f1(tShortP1, short(p1)),
		f2(tShortM1_0, short(m1), t.short),
		f2(tShort0_P1, t.short, short(p1)),
		f2(tLowM1_0, low(m1), t.low),
		f2(tLow0_P1, t.low, low(p1)),
		f3(tCapM1_0_P1, capc(m1), uint64(t.cap), capc(p1)),
		f2(tLowM1_Short, low(m1), t.short),
		f2(tLowP1_Short, low(p1), t.short),
		f2(tLen, uint64(min(t.nrunes, 12)), uint64(t.cap)),
	)
	for k := range 4 {
		if t.pre[k] != 0 {
			dst = append(dst, f1(tPre1+k, t.pre[k]), f1(tSuf1+k, t.suf[k]))
		}
	}
	for _, p := range t.parts {
		if p != 0 {
			dst = append(dst, f1(tPart, p))
		}
	}
	var ini uint64
	if t.initial {
		ini = 1
	}
	dst = append(dst, f2(tInitial, ini, uint64(t.cap)))
	if t.capsSent {
		dst = append(dst, f2(tCapsSent, 1, t.short))
	}
	for _, g := range t.gaz[:t.ngaz] {
		cl, pos := gazetteer.Class(g>>2), uint64(g&3)
		for c := gazetteer.Class(1); c != 0 && c <= cl; c <<= 1 {
			if cl&c != 0 {
				dst = append(dst, f2(tGaz, uint64(c), pos))
			}
		}
	}
	if m1 != nil && m1.single != 0 {
		dst = appendClasses(dst, tGazM1, m1.single)
	}
	if p1 != nil && p1.single != 0 {
		dst = appendClasses(dst, tGazP1, p1.single)
	}
	// How the same word is written elsewhere in the document, for words
	// whose own case says little (sentence starts, headlines).
	if t.cap == capTitle || t.cap == capUpper || t.cap == capMixed {
		var ctx uint64
		if t.initial || t.capsSent {
			ctx = 1
		}
		dst = append(dst, f3(tDocCase, uint64(x.docCase[t.low]), ctx, uint64(t.cap)))
		if x.opts.Aggregate {
			dst = x.aggregate(dst, i)
		}
	}
	return dst
}

// maxAggregate bounds the other occurrences a token draws context from.
const maxAggregate = 6

// aggregate appends the neighbouring words of the other occurrences of
// token i's word in the document ("Mr. Lavrov" elsewhere says Lavrov is a
// person).
func (x *extractor) aggregate(dst []uint64, i int) []uint64 {
	n := 0
	j, ok := x.firstOcc[x.toks[i].low]
	if !ok {
		return dst
	}
	for ; j >= 0; j = x.nextOcc[j] {
		if int(j) == i {
			continue
		}
		o := &x.toks[j]
		l, r := uint64(none), uint64(none)
		if j > o.sentFirst {
			l = x.toks[j-1].low
		}
		if j+1 < o.sentLimit {
			r = x.toks[j+1].low
		}
		dst = append(dst, f1(tAggL, l), f1(tAggR, r))
		if n++; n == maxAggregate {
			break
		}
	}
	return dst
}

func appendClasses(dst []uint64, tmpl int, cl gazetteer.Class) []uint64 {
	for c := gazetteer.Class(1); c != 0 && c <= cl; c <<= 1 {
		if cl&c != 0 {
			dst = append(dst, f1(tmpl, uint64(c)))
		}
	}
	return dst
}

// histFeatures appends the prediction-history features of token i: the
// type most often predicted for the same word earlier in the document.
func (x *extractor) histFeatures(dst []uint64, i int) []uint64 {
	t := &x.toks[i]
	if t.cap != capTitle && t.cap != capUpper && t.cap != capMixed {
		return dst
	}
	h, ok := x.hist[t.low]
	if !ok {
		return dst
	}
	best, total := 0, 0
	for k, c := range h {
		total += int(c)
		if c > h[best] {
			best = k
		}
	}
	if total == 0 {
		return dst
	}
	return append(dst, f1(tHist, uint64(best)), f2(tHistPair, uint64(best), uint64(t.cap)))
}

// record adds the predicted types of sentence [first, limit) to the history.
// types[k] is 0 for O, 1..4 for PER, ORG, LOC, MISC.
func (x *extractor) record(first int, types []uint8) {
	for k, ty := range types {
		t := &x.toks[first+k]
		if t.cap != capTitle && t.cap != capUpper && t.cap != capMixed {
			continue
		}
		h := x.hist[t.low]
		if h[ty] < 1<<15 {
			h[ty]++
		}
		x.hist[t.low] = h
	}
}
