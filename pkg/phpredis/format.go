package phpredis

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/zstd"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/phpserialize"
)

// Format is one site's way of storing Redis session values.
type Format struct {
	Igbinary   bool   // phpredis' SERIALIZER_IGBINARY instead of SERIALIZER_PHP
	Compressor string // Moodle's compressor of the session data: none, gzip or zstd
}

// FormatOf reads the format from Moodle's settings.
func FormatOf(s config.Session) (Format, error) {
	f := Format{Igbinary: s.RedisSerializerIgbinary, Compressor: s.RedisCompressor}
	switch f.Compressor {
	case "":
		f.Compressor = "none"
	case "none", "gzip", "zstd":
	default:
		return f, fmt.Errorf("session_redis_compressor %q is not one of none, gzip, zstd", f.Compressor)
	}
	return f, nil
}

// String describes the format for doctor.
func (f Format) String() string {
	s := "PHP serialisation"
	if f.Igbinary {
		s = "igbinary"
	}
	if f.Compressor != "none" && f.Compressor != "" {
		s += ", " + f.Compressor
	}
	return s
}

// Value is a hash value as phpredis stores it: a string or an int64.
func (f Format) Value(v any) (string, error) {
	var b []byte
	var err error
	if f.Igbinary {
		b, err = igbinarySerialize(v)
	} else {
		b, err = phpserialize.Marshal(v)
	}
	return string(b), err
}

// Scalar reads a hash value back: a string, an int64, a bool or nil.
func (f Format) Scalar(raw string) (any, error) {
	if f.Igbinary {
		return igbinaryUnserialize([]byte(raw))
	}
	return phpserialize.Unmarshal([]byte(raw))
}

// Int reads a hash value holding a whole number (an integer or a numeric
// string, as Moodle writes both).
func (f Format) Int(raw string) (int64, error) {
	v, err := f.Scalar(raw)
	if err != nil {
		return 0, err
	}
	return intOf(v)
}

// Compress is Moodle's compress() of the session data: gzencode() or
// zstd_compress() (level 3, php-zstd's default).
func (f Format) Compress(data []byte) ([]byte, error) {
	switch f.Compressor {
	case "gzip":
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(data); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	case "zstd":
		enc, _, err := zstdCoders()
		if err != nil {
			return nil, err
		}
		return enc.EncodeAll(data, nil), nil
	}
	return data, nil
}

// The zstd encoder and decoder are made once and shared: EncodeAll and
// DecodeAll are safe for concurrent use, and a coder is costly to make
// (a session is compressed on every launch).
var (
	zstdOnce sync.Once
	zstdEnc  *zstd.Encoder
	zstdDec  *zstd.Decoder
	zstdErr  error
)

func zstdCoders() (*zstd.Encoder, *zstd.Decoder, error) {
	zstdOnce.Do(func() {
		zstdEnc, zstdErr = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault))
		if zstdErr != nil {
			return
		}
		// The frame's window may be larger than the data (zstd's default
		// for streams is 2 MiB at level 3); the output is limited by the
		// caller.
		zstdDec, zstdErr = zstd.NewReader(nil, zstd.WithDecoderMaxMemory(64<<20))
	})
	return zstdEnc, zstdDec, zstdErr
}

// Decompress is Moodle's uncompress(), reading at most limit bytes.
func (f Format) Decompress(data []byte, limit int64) ([]byte, error) {
	switch f.Compressor {
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		return readLimited(zr, limit)
	case "zstd":
		_, dec, err := zstdCoders()
		if err != nil {
			return nil, err
		}
		b, err := dec.DecodeAll(data, nil)
		if err != nil {
			return nil, err
		}
		if int64(len(b)) > limit {
			return nil, fmt.Errorf("phpredis: session data over %d bytes", limit)
		}
		return b, nil
	}
	return data, nil
}

func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("phpredis: session data over %d bytes", limit)
	}
	return b, nil
}
