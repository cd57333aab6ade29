package phpredis

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// igbinary's format (version 2) for the scalars a session hash holds:
// a 4-byte header, then one typed value.
const (
	igHeader      = "\x00\x00\x00\x02"
	igNull        = 0x00
	igFalse       = 0x04
	igTrue        = 0x05
	igLong8p      = 0x06
	igLong8n      = 0x07
	igLong16p     = 0x08
	igLong16n     = 0x09
	igLong32p     = 0x0a
	igLong32n     = 0x0b
	igStringEmpty = 0x0d
	igString8     = 0x11
	igString16    = 0x12
	igString32    = 0x13
	igLong64p     = 0x20
	igLong64n     = 0x21
)

// igbinarySerialize is igbinary_serialize() of a string or an integer.
func igbinarySerialize(v any) ([]byte, error) {
	b := []byte(igHeader)
	switch x := v.(type) {
	case string:
		n := len(x)
		switch {
		case n == 0:
			return append(b, igStringEmpty), nil
		case n <= 0xff:
			b = append(b, igString8, byte(n))
		case n <= 0xffff:
			b = append(b, igString16)
			b = binary.BigEndian.AppendUint16(b, uint16(n))
		default:
			b = append(b, igString32)
			b = binary.BigEndian.AppendUint32(b, uint32(n))
		}
		return append(b, x...), nil
	case int64:
		u, pos, neg := uint64(x), byte(0), byte(0)
		if x < 0 {
			u = uint64(-x)
		}
		var size int
		switch {
		case u <= 0xff:
			pos, neg, size = igLong8p, igLong8n, 1
		case u <= 0xffff:
			pos, neg, size = igLong16p, igLong16n, 2
		case u <= 0xffffffff:
			pos, neg, size = igLong32p, igLong32n, 4
		default:
			pos, neg, size = igLong64p, igLong64n, 8
		}
		if x < 0 {
			b = append(b, neg)
		} else {
			b = append(b, pos)
		}
		var buf [8]byte
		binary.BigEndian.PutUint64(buf[:], u)
		return append(b, buf[8-size:]...), nil
	case int:
		return igbinarySerialize(int64(x))
	}
	return nil, fmt.Errorf("phpredis: igbinary of %T is not written", v)
}

var errIgbinary = errors.New("phpredis: not an igbinary scalar")

// igbinaryUnserialize reads a scalar written by igbinary_serialize(): a
// string, an int64, a bool or nil.
func igbinaryUnserialize(b []byte) (any, error) {
	if len(b) < 5 || string(b[:4]) != igHeader {
		return nil, errIgbinary
	}
	t, rest := b[4], b[5:]
	need := func(n int) ([]byte, error) {
		if len(rest) < n {
			return nil, errIgbinary
		}
		return rest[:n], nil
	}
	readUint := func(n int) (uint64, error) {
		p, err := need(n)
		if err != nil {
			return 0, err
		}
		var u uint64
		for _, c := range p {
			u = u<<8 | uint64(c)
		}
		rest = rest[n:]
		return u, nil
	}
	switch t {
	case igNull:
		return nil, nil
	case igFalse, igTrue:
		return t == igTrue, nil
	case igStringEmpty:
		return "", nil
	case igString8, igString16, igString32:
		n, err := readUint(map[byte]int{igString8: 1, igString16: 2, igString32: 4}[t])
		if err != nil {
			return nil, err
		}
		p, err := need(int(n))
		if err != nil {
			return nil, err
		}
		return string(p), nil
	case igLong8p, igLong16p, igLong32p, igLong64p, igLong8n, igLong16n, igLong32n, igLong64n:
		size := map[byte]int{igLong8p: 1, igLong8n: 1, igLong16p: 2, igLong16n: 2, igLong32p: 4, igLong32n: 4, igLong64p: 8, igLong64n: 8}[t]
		u, err := readUint(size)
		if err != nil {
			return nil, err
		}
		if t == igLong8n || t == igLong16n || t == igLong32n || t == igLong64n {
			return -int64(u), nil
		}
		return int64(u), nil
	}
	return nil, fmt.Errorf("%w (type 0x%02x)", errIgbinary, t)
}

// intOf is PHP's reading of a scalar as a whole number: integers as they
// are, numeric strings parsed (Moodle writes some numbers as strings).
func intOf(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case string:
		return strconv.ParseInt(x, 10, 64)
	case nil:
		return 0, nil
	}
	return 0, fmt.Errorf("phpredis: %T is not a number", v)
}
