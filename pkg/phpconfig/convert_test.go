package phpconfig

import (
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestConversions(t *testing.T) {
	cases := []struct {
		v     Value
		str   string
		b     bool
		i     int64
		exact bool
	}{
		{nil, "", false, 0, true},
		{true, "1", true, 1, true},
		{false, "", false, 0, true},
		{int64(0), "0", false, 0, true},
		{int64(-5), "-5", true, -5, true},
		{int64(math.MinInt64), "-9223372036854775808", true, math.MinInt64, true},
		{1.0, "1", true, 1, true},
		{0.1, "0.1", true, 0, false},
		{1e25, "1.0E+25", true, 1590897979265384448, false},
		{1.0 / 3, "0.33333333333333", true, 0, false},
		{0.1 + 0.2, "0.3", true, 0, false},
		{math.Copysign(0, -1), "-0", false, 0, true},
		{1e14, "1.0E+14", true, 100000000000000, true},
		{1e13, "10000000000000", true, 10000000000000, true},
		{123456789012345.0, "1.2345678901234E+14", true, 123456789012345, true},
		{0.0001, "0.0001", true, 0, false},
		{0.00001, "1.0E-5", true, 0, false},
		{-1.5e-7, "-1.5E-7", true, 0, false},
		{1.5e300, "1.5E+300", true, 0, false},
		{math.NaN(), "NAN", true, 0, false},
		{math.Inf(1), "INF", true, 0, false},
		{math.Inf(-1), "-INF", true, 0, false},
		{1e20, "1.0E+20", true, 7766279631452241920, false},
		{-1e19, "-1.0E+19", true, 8446744073709551616, false},
		{"", "", false, 0, false},
		{"0", "0", false, 0, true},
		{"0.0", "0.0", true, 0, true},
		{" ", " ", true, 0, false},
		{"abc", "abc", true, 0, false},
		{"12abc", "12abc", true, 12, false},
		{" 42 ", " 42 ", true, 42, true},
		{"1e3", "1e3", true, 1000, true},
		{"1.5", "1.5", true, 1, false},
		{"0x1A", "0x1A", true, 0, false},
		{"9999999999999999999", "9999999999999999999", true, math.MaxInt64, false},
		{"-9999999999999999999", "-9999999999999999999", true, math.MinInt64, false},
		{"-0", "-0", true, 0, true},
		{".5", ".5", true, 0, false},
		{"5.", "5.", true, 5, true},
		{"+7", "+7", true, 7, true},
		{"1e", "1e", true, 1, false},
		{NewArray(), "Array", false, 0, false},
		{list(0), "Array", true, 1, false},
	}
	for _, tc := range cases {
		name := show(tc.v)
		if got := ToString(tc.v); got != tc.str {
			t.Errorf("ToString(%s) = %q, want %q", name, got, tc.str)
		}
		if got := ToBool(tc.v); got != tc.b {
			t.Errorf("ToBool(%s) = %v, want %v", name, got, tc.b)
		}
		if got, exact := ToInt(tc.v); got != tc.i || exact != tc.exact {
			t.Errorf("ToInt(%s) = %d, %v, want %d, %v", name, got, exact, tc.i, tc.exact)
		}
	}
}

func TestArrayKeys(t *testing.T) {
	a := NewArray()
	a.Set("5", "five")
	a.Set(true, "one")
	a.Set(nil, "empty")
	a.Set(2.7, "two")
	a.Set("05", "string")
	if !a.Append("six") {
		t.Fatal("Append failed")
	}
	want := []Entry{{int64(5), "five"}, {int64(1), "one"}, {"", "empty"}, {int64(2), "two"}, {"05", "string"}, {int64(6), "six"}}
	got := a.Entries()
	if len(got) != len(want) {
		t.Fatalf("entries %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %#v, want %#v", i, got[i], want[i])
		}
	}
	for _, k := range []any{5, int64(5), "5", 5.9} {
		if v, ok := a.Get(k); !ok || v != "five" {
			t.Errorf("Get(%#v) = %v, %v", k, v, ok)
		}
	}
	if _, ok := a.Get("5.0"); ok {
		t.Error(`Get("5.0") found key 5; "5.0" is a string key in PHP`)
	}
	if _, ok := a.Get([]int{1}); ok {
		t.Error("Get with an invalid key type succeeded")
	}
	a.Delete(int64(6))
	a.Append("seven")
	if v, _ := a.Get(7); v != "seven" {
		t.Errorf("after deleting 6, Append used %v; PHP keeps counting from 7", a.Entries())
	}
	if a.Len() != 6 {
		t.Errorf("Len = %d", a.Len())
	}
	var nilArr *Array
	if nilArr.Len() != 0 || nilArr.Entries() != nil {
		t.Error("nil *Array should be empty")
	}
}

// conversionLiterals are PHP expressions whose (string), (bool) and (int)
// conversions TestConversionsAgainstPHP checks.
var conversionLiterals = []string{
	"null", "true", "false", "0", "-5", "PHP_INT_MAX", "PHP_INT_MIN",
	"1.0", "0.1", "1e25", "1/3", "-0.0", "1e14", "1e15", "123456789012345.0", "12345678901234.5",
	"0.00001", "0.0001", "-1.5e-7", "1.5e300", "NAN", "INF", "-INF", "1e20", "-1e19", "2.5",
	"0.1+0.2", "1e-300", "4.9e-324", "1.7976931348623157e308", "999999999999999.9",
	"99999999999999.99", "0.000123456789012345678", "9.2233720368547758E+18", "-9.2233720368547758E+18",
	`""`, `"0"`, `"0.0"`, `" "`, `"abc"`, `"12abc"`, `" 42 "`, `"1e3"`, `"1.5"`, `"0x1A"`,
	`"9999999999999999999"`, `"-9999999999999999999"`, `"-0"`, `".5"`, `"5."`, `"1e"`, `"+7"`,
	`"\t\n 3"`, `"3 \n"`, `"1e400"`, `"- 1"`, `"1e-400"`, `"00012"`,
}

// randomFloats returns floats across many magnitudes, written as PHP
// literals that round-trip exactly.
func randomFloats(n int) []string {
	r := rand.New(rand.NewSource(1))
	out := make([]string, 0, n)
	for len(out) < n {
		var f float64
		switch len(out) % 3 {
		case 0:
			f = math.Float64frombits(r.Uint64())
		case 1:
			f = (r.Float64() - 0.5) * math.Pow(10, float64(r.Intn(40)-20))
		default:
			f = float64(r.Int63n(1e16)) / math.Pow(10, float64(r.Intn(18)))
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		out = append(out, strconv.FormatFloat(f, 'g', -1, 64))
	}
	return out
}

func TestConversionsAgainstPHP(t *testing.T) {
	php := requirePHP(t)
	lits := append(append([]string(nil), conversionLiterals...), randomFloats(300)...)
	var b strings.Builder
	b.WriteString("<?php\n$CFG = new stdClass();\n")
	for i, l := range lits {
		fmt.Fprintf(&b, "$CFG->c%d = %s;\n", i, l)
	}
	path := filepath.Join(t.TempDir(), "config.php")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := ParseWithOptions([]byte(b.String()), path, Options{LookupEnv: envLookup(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Unresolved) > 0 || len(f.Values) != len(lits) {
		t.Fatalf("%d of %d literals read; unresolved %v", len(f.Values), len(lits), f.Unresolved)
	}
	comparePHP(t, f, runPHPDump(t, php, path, nil))
}
