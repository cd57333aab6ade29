package phpserialize

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
)

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxDepth = 512

// Unmarshal reads one serialized value; the whole input must be that value.
func Unmarshal(data []byte) (any, error) {
	d := &decoder{data: data}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	if d.pos != len(data) {
		return nil, d.errorf("%d bytes after the value", len(data)-d.pos)
	}
	return v, nil
}

// UnmarshalSession reads session data written by PHP's "php" serialize
// handler into its variables, in order.
func UnmarshalSession(data []byte) ([]Entry, error) {
	d := &decoder{data: data}
	var vars []Entry
	for d.pos < len(data) {
		bar := bytes.IndexByte(data[d.pos:], '|')
		if bar <= 0 {
			return nil, d.errorf("session variable without a name")
		}
		name := string(data[d.pos : d.pos+bar])
		d.pos += bar + 1
		v, err := d.value(0)
		if err != nil {
			return nil, fmt.Errorf("session variable %s: %w", name, err)
		}
		vars = append(vars, Entry{Key: name, Value: v})
	}
	return vars, nil
}

type decoder struct {
	data []byte
	pos  int
}

func (d *decoder) errorf(format string, args ...any) error {
	return fmt.Errorf("phpserialize: at byte %d: %s", d.pos, fmt.Sprintf(format, args...))
}

func (d *decoder) expect(s string) error {
	if !bytes.HasPrefix(d.data[d.pos:], []byte(s)) {
		return d.errorf("want %q", s)
	}
	d.pos += len(s)
	return nil
}

// until returns the bytes up to the next stop byte and moves past it.
func (d *decoder) until(stop byte) (string, error) {
	i := bytes.IndexByte(d.data[d.pos:], stop)
	if i < 0 {
		return "", d.errorf("missing %q", stop)
	}
	s := string(d.data[d.pos : d.pos+i])
	d.pos += i + 1
	return s, nil
}

func (d *decoder) length(stop byte) (int, error) {
	s, err := d.until(stop)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > len(d.data) {
		return 0, d.errorf("bad length %q", s)
	}
	return n, nil
}

func (d *decoder) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, d.errorf("nested too deeply")
	}
	if d.pos+2 > len(d.data) {
		return nil, d.errorf("unexpected end")
	}
	kind := d.data[d.pos]
	if kind == 'N' {
		return nil, d.expect("N;")
	}
	if d.data[d.pos+1] != ':' {
		return nil, d.errorf("bad type %q", kind)
	}
	d.pos += 2
	switch kind {
	case 'b':
		s, err := d.until(';')
		if err != nil {
			return nil, err
		}
		switch s {
		case "0":
			return false, nil
		case "1":
			return true, nil
		}
		return nil, d.errorf("bad boolean %q", s)
	case 'i':
		s, err := d.until(';')
		if err != nil {
			return nil, err
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, d.errorf("bad integer %q", s)
		}
		return n, nil
	case 'd':
		s, err := d.until(';')
		if err != nil {
			return nil, err
		}
		return parseFloat(s, d)
	case 's':
		return d.str()
	case 'a':
		n, err := d.length(':')
		if err != nil {
			return nil, err
		}
		if err := d.expect("{"); err != nil {
			return nil, err
		}
		a := &Array{Entries: make([]Entry, 0, min(n, 1024))}
		for range n {
			k, err := d.key()
			if err != nil {
				return nil, err
			}
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			a.Set(k, v)
		}
		return a, d.expect("}")
	case 'O':
		n, err := d.length(':')
		if err != nil {
			return nil, err
		}
		if err := d.expect(`"`); err != nil {
			return nil, err
		}
		if d.pos+n > len(d.data) {
			return nil, d.errorf("class name past the end")
		}
		o := &Object{Class: string(d.data[d.pos : d.pos+n])}
		d.pos += n
		if err := d.expect(`":`); err != nil {
			return nil, err
		}
		count, err := d.length(':')
		if err != nil {
			return nil, err
		}
		if err := d.expect("{"); err != nil {
			return nil, err
		}
		for range count {
			k, err := d.key()
			if err != nil {
				return nil, err
			}
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			name, ok := k.(string)
			if !ok {
				name = strconv.FormatInt(k.(int64), 10)
			}
			o.Set(name, v)
		}
		return o, d.expect("}")
	}
	return nil, d.errorf("unsupported type %q", kind)
}

// key reads an array key or property name: i: or s:.
func (d *decoder) key() (any, error) {
	if d.pos+2 > len(d.data) || d.data[d.pos+1] != ':' {
		return nil, d.errorf("bad key")
	}
	switch d.data[d.pos] {
	case 'i':
		d.pos += 2
		s, err := d.until(';')
		if err != nil {
			return nil, err
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, d.errorf("bad integer key %q", s)
		}
		return n, nil
	case 's':
		d.pos += 2
		return d.str()
	}
	return nil, d.errorf("bad key type %q", d.data[d.pos])
}

// str reads the rest of s:<len>:"<bytes>"; after the "s:".
func (d *decoder) str() (string, error) {
	n, err := d.length(':')
	if err != nil {
		return "", err
	}
	if err := d.expect(`"`); err != nil {
		return "", err
	}
	if d.pos+n > len(d.data) {
		return "", d.errorf("string past the end")
	}
	s := string(d.data[d.pos : d.pos+n])
	d.pos += n
	return s, d.expect(`";`)
}

func parseFloat(s string, d *decoder) (float64, error) {
	switch s {
	case "INF":
		return math.Inf(1), nil
	case "-INF":
		return math.Inf(-1), nil
	case "NAN":
		return math.NaN(), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, d.errorf("bad float %q", s)
	}
	return f, nil
}
