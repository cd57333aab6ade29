package phpserialize_test

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/phpserialize"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/phptest"
)

func TestMarshalKnownAnswers(t *testing.T) {
	obj := phpserialize.StdClass().Set("id", "3").Set("n", nil).Set("ok", true).Set("t", int64(7))
	cases := []struct {
		in   any
		want string
	}{
		{nil, "N;"},
		{true, "b:1;"},
		{false, "b:0;"},
		{0, "i:0;"},
		{int64(-42), "i:-42;"},
		{1.5, "d:1.5;"},
		{"", `s:0:"";`},
		{"Смирнов", `s:14:"Смирнов";`}, // byte length, not runes
		{"a\"b;\x00", "s:5:\"a\"b;\x00\";"},
		{phpserialize.NewArray(), "a:0:{}"},
		{phpserialize.NewArray().Set(3, "x").Set("k", 1).Set("12", "numeric key"), `a:3:{i:3;s:1:"x";s:1:"k";i:1;i:12;s:11:"numeric key";}`},
		{obj, `O:8:"stdClass":4:{s:2:"id";s:1:"3";s:1:"n";N;s:2:"ok";b:1;s:1:"t";i:7;}`},
		{phpserialize.StdClass(), `O:8:"stdClass":0:{}`},
	}
	for _, c := range cases {
		got, err := phpserialize.Marshal(c.in)
		if err != nil || string(got) != c.want {
			t.Errorf("Marshal(%#v) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if _, err := phpserialize.Marshal(struct{}{}); err == nil {
		t.Error("a struct was serialised")
	}
}

func TestKeyFollowsPHPArrayRules(t *testing.T) {
	for in, want := range map[string]any{
		"0": int64(0), "12": int64(12), "-3": int64(-3), "012": "012", "-0": "-0", "+1": "+1",
		"1.5": "1.5", "": "", "9223372036854775807": int64(math.MaxInt64), "9223372036854775808": "9223372036854775808",
		"abc": "abc", " 1": " 1",
	} {
		if got := phpserialize.Key(in); got != want {
			t.Errorf("Key(%q) = %#v, want %#v", in, got, want)
		}
	}
}

// The real session of a logged-in student, read and written back, is the
// same bytes.
func TestRealMoodleSessionRoundTripsByteForByte(t *testing.T) {
	raw, err := os.ReadFile("testdata/session-example-logged-in.txt")
	if err != nil {
		t.Fatal(err)
	}
	vars, err := phpserialize.UnmarshalSession(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(vars) != 2 || vars[0].Key != "USER" || vars[1].Key != "SESSION" {
		t.Fatalf("variables: %v", vars)
	}
	user := vars[0].Value.(*phpserialize.Object)
	if v, _ := user.Get("username"); v != "student1" {
		t.Errorf("username = %v", v)
	}
	if v, _ := user.Get("currentlogin"); v != int64(1795754144) {
		t.Errorf("currentlogin = %#v", v)
	}
	back, err := phpserialize.MarshalSession(vars)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back, raw) {
		t.Fatalf("round trip differs:\n%s\n%s", back, raw)
	}
}

func TestUnmarshalRejectsBrokenInput(t *testing.T) {
	for _, in := range []string{
		"", "N", "i:1", "i:x;", "b:2;", `s:5:"abc";`, `s:-1:"";`, `s:3:"abc"`, "a:1:{i:0;}", "a:1:{d:1;i:1;}",
		`O:8:"stdClass":1:{}`, `O:99:"x":0:{}`, "r:1;", `C:1:"x":0:{}`, "i:1;i:2;", "d:abc;",
		strings.Repeat("a:1:{i:0;", 600) + "N;" + strings.Repeat("}", 600),
	} {
		if v, err := phpserialize.Unmarshal([]byte(in)); err == nil {
			t.Errorf("Unmarshal(%.40q) = %#v, want an error", in, v)
		}
	}
	for _, in := range []string{"USER", "|N;", "USER|N;SESSION|"} {
		if _, err := phpserialize.UnmarshalSession([]byte(in)); err == nil {
			t.Errorf("UnmarshalSession(%q) accepted", in)
		}
	}
	if _, err := phpserialize.MarshalSession([]phpserialize.Entry{{Key: "a|b", Value: 1}}); err == nil {
		t.Error("a session name with | was accepted")
	}
}

// floats PHP might write, plus random ones across the whole range.
func testFloats() []float64 {
	fs := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 0.5, 1.5, -2.5, 1.0 / 3, 100000, 1e14, 1e15, 1e16, 1e17, 1e18,
		123456789012345, 1234567890123456, 12345678901234567890, 0.001, 0.0001, 0.00001, 1.5e-5, 1e-7, 1e22, 1e300,
		5e-324, math.MaxFloat64, math.SmallestNonzeroFloat64, 99.99, 1795754144.3028, 0.1 + 0.2,
		math.Inf(1), math.Inf(-1), math.NaN()}
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		fs = append(fs, math.Float64frombits(r.Uint64()))
		fs = append(fs, r.NormFloat64()*math.Pow(10, float64(r.IntN(40)-20)))
	}
	return fs
}

// FormatFloat matches PHP 8's serialize() for every float tried.
func TestFormatFloatMatchesPHP(t *testing.T) {
	fs := testFloats()
	var in strings.Builder
	for _, f := range fs {
		in.WriteString(fmt.Sprintf("%016x\n", math.Float64bits(f)))
	}
	out := phptest.Run(t, `while (($l = fgets(STDIN)) !== false) { $f = unpack("E", hex2bin(trim($l)))[1]; echo serialize($f), "\n"; }`,
		[]byte(in.String()))
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(fs) {
		t.Fatalf("php printed %d lines for %d floats", len(lines), len(fs))
	}
	for i, f := range fs {
		got, _ := phpserialize.Marshal(f)
		if string(got) != lines[i] {
			t.Errorf("%v: Go %s, PHP %s", f, got, lines[i])
		}
	}
}

// What Go writes, PHP's unserialize() reads to the expected values; what
// PHP writes, Go reads and writes back unchanged.
func TestRoundTripThroughPHP(t *testing.T) {
	user := phpserialize.StdClass().
		Set("id", "3").Set("username", "student1").Set("lastnamephonetic", "Смирнов").Set("imagealt", nil).
		Set("currentlogin", int64(1767225600)).
		Set("lastcourseaccess", phpserialize.NewArray().Set(3, "1767225000")).
		Set("preference", phpserialize.NewArray().Set("_lastloaded", int64(1767225600)).Set("x\"y", "a;b}")).
		Set("float", 0.1)
	session := phpserialize.StdClass().Set("justloggedin", true).Set("userpreviousip", "203.0.113.9")
	data, err := phpserialize.MarshalSession([]phpserialize.Entry{{Key: "USER", Value: user}, {Key: "SESSION", Value: session}})
	if err != nil {
		t.Fatal(err)
	}
	// PHP decodes it with its own session decoder, checks types and
	// values, and writes it back with session_encode().
	out := phptest.Run(t, `
		session_start(['use_cookies' => 0, 'save_handler' => 'files', 'save_path' => sys_get_temp_dir()]);
		if (!session_decode(stream_get_contents(STDIN))) { fwrite(STDERR, "decode failed"); exit(1); }
		$u = $_SESSION['USER']; $s = $_SESSION['SESSION'];
		$ok = $u instanceof stdClass && $u->id === "3" && $u->imagealt === null && $u->currentlogin === 1767225600
			&& $u->lastcourseaccess === [3 => "1767225000"] && $u->preference['x"y'] === 'a;b}' && $u->float === 0.1
			&& $u->lastnamephonetic === "Смирнов" && $s->justloggedin === true && $s->userpreviousip === "203.0.113.9";
		echo $ok ? "ok\n" : "mismatch\n", session_encode();
		session_abort();`, data)
	verdict, encoded, _ := bytes.Cut(out, []byte("\n"))
	if string(verdict) != "ok" {
		t.Fatalf("PHP read other values: %s", out)
	}
	if !bytes.Equal(encoded, data) {
		t.Errorf("session_encode() of what PHP read differs from what Go wrote:\n%s\n%s", encoded, data)
	}
	// A structure PHP makes, with objects of other classes and protected
	// properties, survives Go.
	phpData := phptest.Run(t, `class P { protected $a = 1; private $b = [1.5, null]; public $c = "x"; }
		echo serialize(['p' => new P, 7 => true, 'n' => -0.0, 'big' => PHP_INT_MAX, 'o' => (object)['k' => [[]]]]);`, nil)
	v, err := phpserialize.Unmarshal(phpData)
	if err != nil {
		t.Fatal(err)
	}
	again, err := phpserialize.Marshal(v)
	if err != nil || !bytes.Equal(again, phpData) {
		t.Errorf("PHP data changed through Go: %v\n%s\n%s", err, again, phpData)
	}
}

func FuzzUnmarshal(f *testing.F) {
	raw, _ := os.ReadFile("testdata/session-example-logged-in.txt")
	f.Add(raw)
	f.Add([]byte(`a:2:{i:0;d:0.1;s:1:"x";O:8:"stdClass":1:{s:1:"a";N;}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := phpserialize.Unmarshal(data)
		if err != nil {
			return
		}
		out, err := phpserialize.Marshal(v)
		if err != nil {
			t.Fatalf("decoded value does not encode: %v", err)
		}
		v2, err := phpserialize.Unmarshal(out)
		if err != nil {
			t.Fatalf("re-encoded value does not decode: %v\n%q", err, out)
		}
		out2, _ := phpserialize.Marshal(v2)
		if !bytes.Equal(out, out2) {
			t.Fatalf("not stable: %q != %q", out, out2)
		}
	})
}
