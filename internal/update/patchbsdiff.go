package update

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/dsnet/compress/bzip2"
)

// Why a bsdiff of our own: expo-updates applies patches with the classic bspatch (BSDIFF40:
// a 32-byte header, then bzip2-compressed control, diff and extra blocks), and none of the Go
// implementations of it (gabstv/go-bsdiff, icedream/go-bsdiff, kr/binarydist) can be had from
// the module proxy this project builds from; the standard library reads bzip2 but cannot
// write it, so github.com/dsnet/compress (BSD-3-Clause) does. The format leaves the matching
// to the writer: any list of (diff, extra, seek) steps that rebuilds the new file is a valid
// patch, and this one finds them with a rolling hash over blocks of the old file instead of
// bsdiff's suffix array, which keeps memory at a few bytes per block rather than eight per byte.

const (
	bsdiffBlock = 32 // bytes per indexed block of the old file: matches are at least this long
	// bsdiffSlack is how far past its last good stretch an approximate match may look for more
	// agreeing bytes before it ends.
	bsdiffSlack = 64
	// maxBsdiffInput bounds each side of a patch held in memory.
	maxBsdiffInput = 128 << 20
)

// bsdiffStep is one control triple: add diff bytes onto old[oldPos:], copy extra bytes, then
// move the old position by seek.
type bsdiffStep struct{ diff, extra, seek int64 }

// bsdiff writes a BSDIFF40 patch that turns old into new.
func bsdiff(old, new []byte, w io.Writer) error {
	if len(old) > maxBsdiffInput || len(new) > maxBsdiffInput {
		return fmt.Errorf("bsdiff: inputs over %d bytes", maxBsdiffInput)
	}
	var ctrl, diff, extra bytes.Buffer
	var steps []bsdiffStep
	oldPos, newPos := 0, 0 // where the previous match ended
	addStep := func(matchNew, matchOld, matchLen int) {
		// The literal bytes before the match go to extra; the previous step seeks to the match.
		if len(steps) > 0 {
			steps[len(steps)-1].extra = int64(matchNew - newPos)
			steps[len(steps)-1].seek = int64(matchOld - oldPos)
		}
		extra.Write(new[newPos:matchNew])
		for i := range matchLen {
			diff.WriteByte(new[matchNew+i] - old[matchOld+i])
		}
		steps = append(steps, bsdiffStep{diff: int64(matchLen)})
		oldPos, newPos = matchOld+matchLen, matchNew+matchLen
	}
	// A first empty step carries the literal bytes before the first match.
	steps = append(steps, bsdiffStep{})
	index := indexBlocks(old)
	p := 0
	var h uint64
	rehash := true
	for p+bsdiffBlock <= len(new) {
		if rehash {
			h = blockHash(new[p : p+bsdiffBlock])
			rehash = false
		}
		o, ok := index[h]
		if ok && bytes.Equal(old[o:int(o)+bsdiffBlock], new[p:p+bsdiffBlock]) {
			start, ostart := p, int(o)
			// Grow backwards over bytes that agree, never into the previous match.
			for start > newPos && ostart > 0 && new[start-1] == old[ostart-1] {
				start, ostart = start-1, ostart-1
			}
			n := approximateMatch(old[ostart:], new[start:], p-start+bsdiffBlock)
			addStep(start, ostart, n)
			p = start + n
			rehash = true
			continue
		}
		if p+bsdiffBlock < len(new) {
			h = rollHash(h, new[p], new[p+bsdiffBlock])
		}
		p++
	}
	// The rest is literal.
	steps[len(steps)-1].extra = int64(len(new) - newPos)
	extra.Write(new[newPos:])
	for _, s := range steps {
		writeOfft(&ctrl, s.diff)
		writeOfft(&ctrl, s.extra)
		writeOfft(&ctrl, s.seek)
	}
	blocks := make([][]byte, 3)
	for i, b := range []*bytes.Buffer{&ctrl, &diff, &extra} {
		z, err := bzip2Bytes(b.Bytes())
		if err != nil {
			return err
		}
		blocks[i] = z
	}
	header := make([]byte, 32)
	copy(header, "BSDIFF40")
	putOfft(header[8:], int64(len(blocks[0])))
	putOfft(header[16:], int64(len(blocks[1])))
	putOfft(header[24:], int64(len(new)))
	for _, b := range append([][]byte{header}, blocks...) {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// approximateMatch is how far the match of old and new that agrees on its first exact bytes
// goes on, allowing differing bytes as long as at least half agree (bsdiff's own rule): a
// changed literal inside otherwise equal code costs a few non-zero diff bytes, which compress
// to almost nothing, instead of a new step.
func approximateMatch(old, new []byte, exact int) int {
	limit := min(len(old), len(new))
	best, score, bestScore := exact, 0, 0
	for i := exact; i < limit && i-best <= bsdiffSlack; i++ {
		if old[i] == new[i] {
			score++
		} else {
			score--
		}
		if score > bestScore {
			best, bestScore = i+1, score
		}
	}
	return best
}

const hashBase = 1099511628211 // any odd multiplier; arithmetic is modulo 2^64

// hashPow is hashBase^(bsdiffBlock-1), what the byte leaving the window was multiplied by.
var hashPow = func() uint64 {
	p := uint64(1)
	for range bsdiffBlock - 1 {
		p *= hashBase
	}
	return p
}()

func blockHash(b []byte) uint64 {
	var h uint64
	for _, c := range b {
		h = h*hashBase + uint64(c)
	}
	return h
}

func rollHash(h uint64, out, in byte) uint64 {
	return (h-uint64(out)*hashPow)*hashBase + uint64(in)
}

// indexBlocks maps the hash of each aligned block of old to its first offset.
func indexBlocks(old []byte) map[uint64]int32 {
	index := make(map[uint64]int32, len(old)/bsdiffBlock)
	for o := 0; o+bsdiffBlock <= len(old); o += bsdiffBlock {
		h := blockHash(old[o : o+bsdiffBlock])
		if _, ok := index[h]; !ok {
			index[h] = int32(o)
		}
	}
	return index
}

// putOfft writes x as bsdiff does: eight bytes little-endian of |x|, the top bit set when
// negative.
func putOfft(b []byte, x int64) {
	u := uint64(x)
	if x < 0 {
		u = uint64(-x) | 1<<63
	}
	binary.LittleEndian.PutUint64(b, u)
}

func writeOfft(w *bytes.Buffer, x int64) {
	var b [8]byte
	putOfft(b[:], x)
	w.Write(b[:])
}

func bzip2Bytes(b []byte) ([]byte, error) {
	var out bytes.Buffer
	zw, err := bzip2.NewWriter(&out, &bzip2.WriterConfig{Level: bzip2.BestCompression})
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
