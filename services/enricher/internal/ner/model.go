package ner

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/enricher/internal/gazetteer"
	"github.com/newsflow/newsflow/services/enricher/internal/text"
)

// Labels are BILOU tags over the four types: O, then B-, I-, L-, U- of
// PER, ORG, LOC and MISC. Tags are converted to IOB2 at the edges.
const numLabels = 17

var typeLabels = [...]string{LabelPER, LabelORG, LabelLOC, LabelMISC}
var typeOfIndex = [...]string{events.TypePerson, events.TypeOrganization, events.TypeLocation, events.TypeMisc}

// Label positions.
const (
	posO = iota
	posB
	posI
	posL
	posU
)

func labelOf(typ, pos int) uint8 { return uint8(1 + typ*4 + pos - posB) }

// labelType is the type index (0..3) of a label other than O.
func labelType(y uint8) int { return (int(y) - 1) / 4 }
func labelPos(y uint8) int {
	if y == 0 {
		return posO
	}
	return posB + (int(y)-1)%4
}

// allowed[prev][cur] says whether cur may follow prev; prev == numLabels
// is the start of a sentence.
var allowed [numLabels + 1][numLabels]bool

// final[y] says whether a sentence may end with y.
var final [numLabels]bool

func init() {
	for prev := 0; prev <= numLabels; prev++ {
		open := prev < numLabels && (labelPos(uint8(prev)) == posB || labelPos(uint8(prev)) == posI)
		for cur := range numLabels {
			cp := labelPos(uint8(cur))
			if open {
				allowed[prev][cur] = (cp == posI || cp == posL) && labelType(uint8(cur)) == labelType(uint8(prev))
			} else {
				allowed[prev][cur] = cp == posO || cp == posB || cp == posU
			}
		}
	}
	for y := range numLabels {
		p := labelPos(uint8(y))
		final[y] = p == posO || p == posL || p == posU
	}
}

// bilouFromIOB2 converts IOB2 tags into label indexes.
func bilouFromIOB2(tags []string, dst []uint8) []uint8 {
	dst = dst[:0]
	for _, s := range IOB2ToSpans(tags) {
		for len(dst) < s.First {
			dst = append(dst, 0)
		}
		ti := typeIndex(s.Type)
		if s.Limit-s.First == 1 {
			dst = append(dst, labelOf(ti, posU))
			continue
		}
		for i := s.First; i < s.Limit; i++ {
			switch i {
			case s.First:
				dst = append(dst, labelOf(ti, posB))
			case s.Limit - 1:
				dst = append(dst, labelOf(ti, posL))
			default:
				dst = append(dst, labelOf(ti, posI))
			}
		}
	}
	for len(dst) < len(tags) {
		dst = append(dst, 0)
	}
	return dst
}

func typeIndex(typ string) int {
	for i, t := range typeOfIndex {
		if t == typ {
			return i
		}
	}
	return -1
}

// spansFromLabels appends the spans of labels (of tokens first...) to dst.
func spansFromLabels(dst []Span, labels []uint8, first int) []Span {
	start := -1
	for k, y := range labels {
		switch labelPos(y) {
		case posU:
			dst = append(dst, Span{First: first + k, Limit: first + k + 1, Type: typeOfIndex[labelType(y)]})
			start = -1
		case posB:
			start = k
		case posL:
			if start >= 0 {
				dst = append(dst, Span{First: first + start, Limit: first + k + 1, Type: typeOfIndex[labelType(y)]})
			}
			start = -1
		case posO:
			start = -1
		}
	}
	return dst
}

// preds[y] lists the labels that may precede y.
var preds [numLabels][]uint8

func init() {
	for y := range numLabels {
		for p := range numLabels {
			if allowed[p][y] {
				preds[y] = append(preds[y], uint8(p))
			}
		}
	}
}

// viterbi finds the best allowed label sequence for emission scores emit
// (n rows of numLabels) and transition scores trans, into out.
func viterbi(emit []float32, trans *[numLabels + 1][numLabels]float32, n int, back []uint8, out []uint8) {
	var prev, cur [numLabels]float32
	const negInf = -math.MaxFloat32
	for y := range numLabels {
		if allowed[numLabels][y] {
			prev[y] = trans[numLabels][y] + emit[y]
		} else {
			prev[y] = negInf
		}
	}
	for i := 1; i < n; i++ {
		e := emit[i*numLabels : i*numLabels+numLabels]
		bk := back[i*numLabels : i*numLabels+numLabels]
		for y := range numLabels {
			best, arg := float32(negInf), uint8(0)
			for _, p := range preds[y] {
				if s := prev[p] + trans[p][y]; s > best && prev[p] != negInf {
					best, arg = s, p
				}
			}
			if best == negInf {
				cur[y] = negInf
			} else {
				cur[y] = best + e[y]
			}
			bk[y] = arg
		}
		prev = cur
	}
	best, arg := float32(negInf), 0
	for y := range numLabels {
		if final[y] && prev[y] > best {
			best, arg = prev[y], y
		}
	}
	out[n-1] = uint8(arg)
	for i := n - 1; i > 0; i-- {
		out[i-1] = back[i*numLabels+int(out[i])]
	}
}

// Options select optional feature groups of a model.
type Options struct {
	// History adds the types predicted earlier in the document for the
	// same word as features.
	History bool
	// Aggregate adds the neighbouring words of the other occurrences of a
	// capitalised word in the document as features.
	Aggregate bool
}

func (o Options) flags() uint32 {
	var f uint32
	if o.History {
		f |= 1
	}
	if o.Aggregate {
		f |= 2
	}
	return f
}

func optionsOf(f uint32) Options { return Options{History: f&1 != 0, Aggregate: f&2 != 0} }

// Model is a trained sequence tagger (an averaged structured perceptron
// over hashed features with first-order Viterbi decoding). It implements
// Recognizer and is safe for concurrent use.
type Model struct {
	version string
	opts    Options
	gz      *gazetteer.Gazetteer
	trans   [numLabels + 1][numLabels]float32
	table   []slot // open addressing: feature key -> row
	mask    uint32
	w       []float32 // row r holds w[r*numLabels : (r+1)*numLabels]
	pool    sync.Pool // *scratch
}

// Version names the model: its training setup and a digest of its weights.
func (m *Model) Version() string { return m.version }

// Features returns the number of features with weights.
func (m *Model) Features() int { return len(m.w) / numLabels }

func featureKey(h uint64) uint32 {
	k := uint32(h>>32) ^ uint32(h)
	if k == 0 {
		k = 1
	}
	return k
}

// slot is an entry of the feature table; key 0 marks an empty slot.
type slot struct {
	key uint32
	row int32
}

func (m *Model) row(k uint32) int32 {
	for i := k & m.mask; ; i = (i + 1) & m.mask {
		switch s := m.table[i]; s.key {
		case k:
			return s.row
		case 0:
			return -1
		}
	}
}

// build fills the lookup table from feature keys (row i is keys[i]).
func (m *Model) build(keys []uint32) {
	size := uint32(1)
	for size < uint32(len(keys))*2+1 {
		size <<= 1
	}
	m.table, m.mask = make([]slot, size), size-1
	for r, k := range keys {
		i := k & m.mask
		for m.table[i].key != 0 {
			i = (i + 1) & m.mask
		}
		m.table[i] = slot{k, int32(r)}
	}
}

type scratch struct {
	x     *extractor
	feats []uint64
	emit  []float32
	back  []uint8
	out   []uint8
	types []uint8
}

func (m *Model) scratch() *scratch {
	if s, ok := m.pool.Get().(*scratch); ok {
		return s
	}
	return &scratch{x: newExtractor(m.gz, m.opts)}
}

// Recognize implements Recognizer.
func (m *Model) Recognize(d *text.Document) []Span {
	s := m.scratch()
	defer m.pool.Put(s)
	s.x.prepare(d)
	var spans []Span
	for _, sen := range d.Sentences {
		n := sen.Limit - sen.First
		if n == 0 {
			continue
		}
		m.decode(s, sen.First, sen.Limit)
		from := len(spans)
		spans = spansFromLabels(spans, s.out[:n], sen.First)
		spans = mergeParticles(d, spans, from, sen.Limit)
	}
	return spans
}

// decode labels sentence [first, limit) into s.out and records the
// predictions in the document history.
func (m *Model) decode(s *scratch, first, limit int) {
	n := limit - first
	s.emit = slices.Grow(s.emit[:0], n*numLabels)[:n*numLabels]
	s.back = slices.Grow(s.back[:0], n*numLabels)[:n*numLabels]
	s.out = slices.Grow(s.out[:0], n)[:n]
	clear(s.emit)
	for i := first; i < limit; i++ {
		s.feats = s.x.features(s.feats[:0], i, first, limit)
		if m.opts.History {
			s.feats = s.x.histFeatures(s.feats, i)
		}
		e := (*[numLabels]float32)(s.emit[(i-first)*numLabels:])
		for _, h := range s.feats {
			r := m.row(featureKey(h))
			if r < 0 {
				continue
			}
			w := (*[numLabels]float32)(m.w[int(r)*numLabels:])
			for y := range numLabels {
				e[y] += w[y]
			}
		}
	}
	viterbi(s.emit, &m.trans, n, s.back, s.out)
	if m.opts.History {
		s.types = s.types[:0]
		for _, y := range s.out {
			t := uint8(0)
			if y != 0 {
				t = uint8(labelType(y) + 1)
			}
			s.types = append(s.types, t)
		}
		s.x.record(first, s.types)
	}
}

// Model file format (gzip-compressed, little endian):
//
//	magic "NFNER\x00", format uint32 = 1
//	version: uvarint length, bytes
//	options flags uint32, scale float32
//	transitions: (numLabels+1)*numLabels float32
//	features: uvarint count, then per feature in key order: uvarint key
//	delta, uvarint mask of labels with a weight, zig-zag varint quantised
//	weights (weight = q*scale) for the labels of the mask.
const (
	magic      = "NFNER\x00"
	fileFormat = 1
)

// ErrFormat is returned when a model file is not in the expected format.
var ErrFormat = errors.New("ner: bad model file")

// Write writes the model in its compact file format.
func (m *Model) Write(w io.Writer) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(zw)
	bw.WriteString(magic)
	binary.Write(bw, binary.LittleEndian, uint32(fileFormat))
	writeUvarint(bw, uint64(len(m.version)))
	bw.WriteString(m.version)
	if err := m.writeBody(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

// scale is the quantisation step of weights in model files.
const scale = 1.0 / 64

// writeBody writes everything but the header and version.
func (m *Model) writeBody(w *bufio.Writer) error {
	binary.Write(w, binary.LittleEndian, m.opts.flags())
	binary.Write(w, binary.LittleEndian, float32(scale))
	binary.Write(w, binary.LittleEndian, &m.trans)
	type feat struct {
		key uint32
		row int32
	}
	fs := make([]feat, 0, len(m.w)/numLabels)
	for _, s := range m.table {
		if s.key != 0 {
			fs = append(fs, feat{s.key, s.row})
		}
	}
	slices.SortFunc(fs, func(a, b feat) int { return int(int64(a.key) - int64(b.key)) })
	writeUvarint(w, uint64(len(fs)))
	prev := uint32(0)
	for _, f := range fs {
		writeUvarint(w, uint64(f.key-prev))
		prev = f.key
		row := m.w[int(f.row)*numLabels : int(f.row+1)*numLabels]
		var mask uint64
		for y, v := range row {
			if quantise(v) != 0 {
				mask |= 1 << y
			}
		}
		writeUvarint(w, mask)
		for _, v := range row {
			if q := quantise(v); q != 0 {
				writeVarint(w, q)
			}
		}
	}
	return nil
}

func quantise(v float32) int64 { return int64(math.Round(float64(v) / scale)) }

func writeUvarint(w *bufio.Writer, v uint64) {
	var b [binary.MaxVarintLen64]byte
	w.Write(b[:binary.PutUvarint(b[:], v)])
}

func writeVarint(w *bufio.Writer, v int64) {
	var b [binary.MaxVarintLen64]byte
	w.Write(b[:binary.PutVarint(b[:], v)])
}

// Read reads a model written by Write; gz provides its gazetteer features
// and must be the gazetteer the model was trained with.
func Read(r io.Reader, gz *gazetteer.Gazetteer) (*Model, error) {
	if gz == nil {
		return nil, errors.New("ner: a model needs its gazetteer")
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	defer zr.Close()
	br := bufio.NewReaderSize(zr, 1<<16)
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(br, head); err != nil || string(head) != magic {
		return nil, fmt.Errorf("%w: no magic", ErrFormat)
	}
	var format uint32
	if err := binary.Read(br, binary.LittleEndian, &format); err != nil || format != fileFormat {
		return nil, fmt.Errorf("%w: format %d, want %d", ErrFormat, format, fileFormat)
	}
	n, err := binary.ReadUvarint(br)
	if err != nil || n > 1<<10 {
		return nil, fmt.Errorf("%w: version", ErrFormat)
	}
	v := make([]byte, n)
	if _, err := io.ReadFull(br, v); err != nil {
		return nil, fmt.Errorf("%w: version: %w", ErrFormat, err)
	}
	m := &Model{version: string(v), gz: gz}
	var flags uint32
	var sc float32
	if err := binary.Read(br, binary.LittleEndian, &flags); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if err := binary.Read(br, binary.LittleEndian, &sc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if err := binary.Read(br, binary.LittleEndian, &m.trans); err != nil {
		return nil, fmt.Errorf("%w: transitions: %w", ErrFormat, err)
	}
	m.opts = optionsOf(flags)
	count, err := binary.ReadUvarint(br)
	if err != nil || count > 1<<22 {
		return nil, fmt.Errorf("%w: feature count", ErrFormat)
	}
	// Grow as features arrive, so a corrupt count cannot allocate much.
	keys := make([]uint32, 0, min(count, 1<<16))
	m.w = make([]float32, 0, min(count, 1<<16)*numLabels)
	prev := uint64(0)
	for i := range int(count) {
		d, err := binary.ReadUvarint(br)
		if err != nil {
			return nil, fmt.Errorf("%w: feature %d: %w", ErrFormat, i, err)
		}
		k := prev + d
		if k > math.MaxUint32 || k == 0 || (i > 0 && d == 0) {
			return nil, fmt.Errorf("%w: feature %d: key out of order", ErrFormat, i)
		}
		keys, prev = append(keys, uint32(k)), k
		mask, err := binary.ReadUvarint(br)
		if err != nil || mask >= 1<<numLabels {
			return nil, fmt.Errorf("%w: feature %d: label mask", ErrFormat, i)
		}
		var row [numLabels]float32
		for y := range numLabels {
			if mask&(1<<y) == 0 {
				continue
			}
			q, err := binary.ReadVarint(br)
			if err != nil {
				return nil, fmt.Errorf("%w: feature %d: %w", ErrFormat, i, err)
			}
			row[y] = float32(q) * sc
		}
		m.w = append(m.w, row[:]...)
	}
	m.build(keys)
	return m, nil
}

// digest returns a short hex digest of the model's weights and options.
func (m *Model) digest() string {
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	m.writeBody(bw)
	bw.Flush()
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:6])
}

//go:embed model/ner.bin
var embedded []byte

// Load returns the model embedded in the binary, trained on CoNLL-2003 with
// features from gz (the embedded gazetteer, gazetteer.Load).
func Load(gz *gazetteer.Gazetteer) (*Model, error) {
	return Read(bytes.NewReader(embedded), gz)
}
