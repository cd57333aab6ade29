package phpredis

import (
	"bytes"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/phptest"
)

var scalars = []any{"", "abc", strings.Repeat("x", 300), strings.Repeat("y", 70000), int64(0), int64(255), int64(256),
	int64(-5), int64(1795771170), int64(-70000), int64(1) << 40, "0", "127.0.0.1"}

// Values igbinary wrote (igbinary 3.2, PHP 8.2), as hex.
func TestIgbinaryAsPHPWritesIt(t *testing.T) {
	known := map[any]string{"abc": "000000021103616263", int64(0): "000000020600", int64(300): "0000000208012c",
		int64(1795771170): "000000020a6b094b22", "": "000000020d", int64(-5): "000000020705"}
	for v, want := range known {
		got, err := igbinarySerialize(v)
		if err != nil || hex.EncodeToString(got) != want {
			t.Errorf("%v: %x %v, want %s", v, got, err, want)
		}
	}
	for _, v := range scalars {
		b, err := igbinarySerialize(v)
		if err != nil {
			t.Fatal(err)
		}
		back, err := igbinaryUnserialize(b)
		if err != nil || back != v {
			t.Errorf("%.20v: read back %.20v, %v", v, back, err)
		}
	}
	for _, bad := range []string{"", "\x00\x00\x00\x02", "\x00\x00\x00\x01\x06\x01", "\x00\x00\x00\x02\x11\x05ab", "\x00\x00\x00\x02\x14"} {
		if _, err := igbinaryUnserialize([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	// PHP's own igbinary reads every value back as written.
	if !phptest.HasExtension(t, "igbinary") {
		t.Log("php-igbinary is missing (apt-get install php-igbinary): checked against known bytes only")
		return
	}
	var in bytes.Buffer
	for _, v := range scalars {
		b, _ := igbinarySerialize(v)
		in.WriteString(hex.EncodeToString(b) + "\n")
	}
	out := phptest.Run(t, `
		foreach (file('php://stdin', FILE_IGNORE_NEW_LINES) as $line) {
			$v = igbinary_unserialize(hex2bin($line));
			echo gettype($v), ':', strlen((string)$v), ':', substr((string)$v, 0, 12), "\n";
			if (bin2hex(igbinary_serialize($v)) !== $line) { echo "DIFFERENT\n"; }
		}`, in.Bytes())
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(scalars) {
		t.Fatalf("php read:\n%s", out)
	}
	for i, v := range scalars {
		typ := map[bool]string{true: "string", false: "integer"}[isString(v)]
		if !strings.HasPrefix(lines[i], typ+":") {
			t.Errorf("%.20v read by PHP as %s", v, lines[i])
		}
	}
}

func isString(v any) bool { _, ok := v.(string); return ok }

// zstd: what the service compresses, the reference zstd (libzstd, which
// php-zstd's zstd_uncompress() uses) decompresses, and the other way.
func TestZstdWithTheReferenceImplementation(t *testing.T) {
	f := Format{Compressor: "zstd"}
	data := []byte(strings.Repeat(`USER|O:8:"stdClass":1:{s:2:"id";i:3;}`, 200))
	z, err := f.Compress(data)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := f.Decompress(z, 1<<20); err != nil || !bytes.Equal(back, data) {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := f.Decompress(z, 100); err == nil {
		t.Error("the size limit is not applied")
	}
	bin, err := exec.LookPath("zstd")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("zstd is needed (apt-get install zstd; .ci/run installs it)")
		}
		t.Log("zstd is missing (apt-get install zstd): checked by this implementation only")
		return
	}
	cmd := exec.Command(bin, "-d", "-c", "-q")
	cmd.Stdin = bytes.NewReader(z)
	out, err := cmd.Output()
	if err != nil || !bytes.Equal(out, data) {
		t.Fatalf("zstd -d: %v, %d bytes", err, len(out))
	}
	cmd = exec.Command(bin, "-3", "-c", "-q")
	cmd.Stdin = bytes.NewReader(data)
	ref, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if back, err := f.Decompress(ref, 1<<20); err != nil || !bytes.Equal(back, data) {
		t.Fatalf("reading zstd's frame: %v", err)
	}
}

func TestFormatOf(t *testing.T) {
	for in, want := range map[string]string{"": "PHP serialisation", "none": "PHP serialisation", "gzip": "PHP serialisation, gzip", "zstd": "PHP serialisation, zstd"} {
		f, err := FormatOf(config.Session{RedisCompressor: in})
		if err != nil || f.String() != want {
			t.Errorf("%q: %v %v", in, f, err)
		}
	}
	if f, _ := FormatOf(config.Session{RedisSerializerIgbinary: true, RedisCompressor: "gzip"}); f.String() != "igbinary, gzip" {
		t.Errorf("%v", f)
	}
	if _, err := FormatOf(config.Session{RedisCompressor: "lz4"}); err == nil {
		t.Error("lz4 accepted")
	}
	for _, f := range []Format{{}, {Igbinary: true}} {
		raw, _ := f.Value(int64(1795771170))
		if n, err := f.Int(raw); err != nil || n != 1795771170 {
			t.Errorf("%v: %d %v", f, n, err)
		}
		raw, _ = f.Value("42")
		if n, err := f.Int(raw); err != nil || n != 42 {
			t.Errorf("%v: numeric string: %d %v", f, n, err)
		}
	}
}
