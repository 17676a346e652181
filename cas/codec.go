package cas

import (
	"fmt"
	"math"

	"github.com/klauspost/compress/zstd"
)

// Payload codecs, recorded per blob in its record header and Location.
const (
	codecRaw  uint8 = 0 // payload is the blob itself
	codecZstd uint8 = 1 // payload is one zstd frame of the blob
)

// maxZstdExpansion bounds rawLen/storedLen of a zstd payload. No valid
// frame expands more: a block of at most 128 KiB needs at least 4 bytes
// (3 of header, 1 of RLE content). Checking it before decoding stops a
// damaged length from making a reader allocate gigabytes.
const maxZstdExpansion = 1 << 15

// The codec singletons. EncodeAll and DecodeAll are safe for concurrent use;
// concurrency defaults to GOMAXPROCS for both.
var (
	zstdEnc = mustEncoder()
	zstdDec = mustDecoder()
)

func mustEncoder() *zstd.Encoder {
	e, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedFastest),
		// A blob is at most ChunkMax bytes: a larger window only costs state
		// set-up on every EncodeAll of a small chunk.
		zstd.WithWindowSize(ChunkMax),
		zstd.WithLowerEncoderMem(true),
		zstd.WithEncoderCRC(false), // every Get re-hashes with BLAKE3
		zstd.WithZeroFrames(true),
	)
	if err != nil {
		panic(err)
	}
	return e
}

func mustDecoder() *zstd.Decoder {
	d, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(0),
		zstd.WithDecodeAllCapLimit(true), // DecodeAll writes at most cap(dst)
		zstd.WithDecoderMaxMemory(math.MaxUint32),
	)
	if err != nil {
		panic(err)
	}
	return d
}

// compress appends the stored form of raw to dst and returns the extended
// slice and the codec used. zstd output is kept only when it is at least
// max(1, len(raw)/32) bytes shorter than raw; otherwise raw is appended as is
// with codecRaw. So a zstd payload is always strictly shorter than its blob.
func compress(raw, dst []byte) (stored []byte, codec uint8) {
	if len(raw) == 0 {
		return append(dst, raw...), codecRaw
	}
	start := len(dst)
	z := zstdEnc.EncodeAll(raw, dst)
	need := max(1, len(raw)/32)
	if len(z)-start <= len(raw)-need {
		return z, codecZstd
	}
	return append(z[:start], raw...), codecRaw
}

// decompress returns the blob of rawLen bytes stored as stored with codec.
// For codecRaw it returns stored itself (no copy). Any failure, including a
// length other than rawLen, wraps ErrCorrupt; output never exceeds rawLen.
func decompress(codec uint8, stored []byte, rawLen uint32) ([]byte, error) {
	switch codec {
	case codecRaw:
		if uint64(len(stored)) != uint64(rawLen) {
			return nil, fmt.Errorf("%w: raw payload is %d bytes, want %d", ErrCorrupt, len(stored), rawLen)
		}
		return stored, nil
	case codecZstd:
		if err := checkZstdLengths(uint64(len(stored)), rawLen); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		out, err := zstdDec.DecodeAll(stored, make([]byte, 0, rawLen))
		if err != nil {
			return nil, fmt.Errorf("%w: zstd: %v", ErrCorrupt, err)
		}
		if uint64(len(out)) != uint64(rawLen) {
			return nil, fmt.Errorf("%w: zstd payload decodes to %d bytes, want %d", ErrCorrupt, len(out), rawLen)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("%w: unknown codec %d", ErrCorrupt, codec)
	}
}

// checkZstdLengths checks the lengths of a zstd record: the payload is
// never empty, always shorter than the blob (compress keeps zstd output only
// then) and never expands more than maxZstdExpansion times.
func checkZstdLengths(storedLen uint64, rawLen uint32) error {
	if storedLen == 0 || storedLen >= uint64(rawLen) || uint64(rawLen) > storedLen*maxZstdExpansion {
		return fmt.Errorf("zstd payload of %d bytes cannot hold a blob of %d", storedLen, rawLen)
	}
	return nil
}
