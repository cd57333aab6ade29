package phpconfig

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// tokKind classifies lexer tokens.
type tokKind uint8

const (
	tEOF      tokKind = iota
	tInline           // text outside <?php … ?>, which PHP echoes
	tClose            // ?>, which also ends a statement
	tVar              // $name; text is the name
	tName             // identifier or namespaced name, e.g. \stdClass
	tInt              // integer literal; val is int64, or float64 on overflow
	tFloat            // float literal; val is float64
	tStr              // string without interpolation; text is its value
	tTemplate         // string with interpolation; parts
	tCast             // (int), (string)…; text is the lower-case type
	tOp               // punctuation; text
	tBacktick         // `shell command`, never evaluated
)

type token struct {
	kind  tokKind
	text  string
	val   Value
	parts []strPart
	line  int
}

// strPart is one piece of an interpolated string: a literal, or the tokens
// of an embedded expression ($CFG->x, {$CFG->x['y']}).
type strPart struct {
	lit  string
	expr []token
	line int
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of file"
	case tInline:
		return "text outside <?php ?>"
	case tClose:
		return "?>"
	case tVar:
		return "$" + t.text
	case tStr, tTemplate:
		return "string"
	case tInt, tFloat:
		return "number"
	case tCast:
		return "(" + t.text + ")"
	case tBacktick:
		return "`…`"
	}
	return t.text
}

// SyntaxError reports input that is not PHP or cannot be read at all.
type SyntaxError struct {
	Path string
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: line %d: %s", e.Path, e.Line, e.Msg)
}

type lexer struct {
	src      string
	pos      int
	line     int
	warnings []string
}

func (l *lexer) errf(line int, format string, args ...any) error {
	return &SyntaxError{Line: line, Msg: fmt.Sprintf(format, args...)}
}

func (l *lexer) warnf(line int, format string, args ...any) {
	l.warnings = append(l.warnings, fmt.Sprintf("line %d: ", line)+fmt.Sprintf(format, args...))
}

// lex splits a whole PHP file into tokens.
func lex(src string) ([]token, []string, error) {
	l := &lexer{src: src, line: 1}
	if strings.HasPrefix(src, "\uFEFF") {
		l.pos = 3
		l.warnf(1, "file starts with a UTF-8 byte order mark, which PHP sends as output before any headers")
	}
	var toks []token
	opened := false
	for l.pos < len(l.src) {
		// Inline HTML mode: look for the next open tag.
		start, line := l.pos, l.line
		i, tagLen, echo := findOpenTag(l.src, l.pos)
		end := i
		if i < 0 {
			end = len(l.src)
		}
		if end > start {
			toks = append(toks, token{kind: tInline, text: l.src[start:end], line: line})
			l.advanceTo(end)
		}
		if i < 0 {
			break
		}
		opened = true
		l.advanceTo(i + tagLen)
		if echo {
			toks = append(toks, token{kind: tName, text: "echo", line: l.line})
		}
		// PHP mode until ?> or end of file.
		for {
			t, err := l.next()
			if err != nil {
				return nil, l.warnings, err
			}
			if t.kind == tEOF {
				break
			}
			toks = append(toks, t)
			if t.kind == tClose {
				break
			}
		}
	}
	if !opened {
		return nil, l.warnings, l.errf(1, "no <?php open tag: this is not a PHP file")
	}
	toks = append(toks, token{kind: tEOF, line: l.line})
	return toks, l.warnings, nil
}

// findOpenTag finds "<?php" (any case, followed by whitespace or the end
// of input) or "<?=" at or after from. It returns the index, the length to
// skip (including one whitespace character) and whether it was "<?=".
func findOpenTag(src string, from int) (int, int, bool) {
	for i := from; ; {
		j := strings.Index(src[i:], "<?")
		if j < 0 {
			return -1, 0, false
		}
		i += j
		rest := src[i+2:]
		if strings.HasPrefix(rest, "=") {
			return i, 3, true
		}
		if len(rest) >= 3 && strings.EqualFold(rest[:3], "php") {
			if len(rest) == 3 {
				return i, 5, false
			}
			switch rest[3] {
			case ' ', '\t', '\n':
				return i, 6, false
			case '\r':
				if len(rest) > 4 && rest[4] == '\n' {
					return i, 7, false
				}
				return i, 6, false
			}
		}
		i += 2
	}
}

// advanceTo moves to pos, counting newlines.
func (l *lexer) advanceTo(pos int) {
	l.line += strings.Count(l.src[l.pos:pos], "\n")
	l.pos = pos
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

func isIdentChar(c byte) bool { return isIdentStart(c) || isDigit(c) }

func (l *lexer) peekAt(off int) byte {
	if l.pos+off < len(l.src) {
		return l.src[l.pos+off]
	}
	return 0
}

var castTypes = map[string]bool{
	"int": true, "integer": true, "bool": true, "boolean": true, "float": true,
	"double": true, "real": true, "string": true, "binary": true, "array": true,
	"object": true, "unset": true,
}

// Operators, longest first so that the first match is the longest.
var operators = []string{
	"<<=", ">>=", "**=", "...", "??=", "<=>", "===", "!==", "?->",
	"->", "=>", "::", "==", "!=", "<>", "<=", ">=", "&&", "||", "??", "++", "--",
	"+=", "-=", "*=", "/=", ".=", "%=", "&=", "|=", "^=", "<<", ">>", "**",
	";", ",", "(", ")", "[", "]", "{", "}", "=", "+", "-", "*", "/", "%", ".",
	"!", "?", ":", "<", ">", "&", "|", "^", "~", "@", "$",
}

// next returns the next token in PHP mode, skipping whitespace and
// comments. It returns tEOF at the end of input.
func (l *lexer) next() (token, error) {
	for {
		if l.pos >= len(l.src) {
			return token{kind: tEOF, line: l.line}, nil
		}
		c := l.src[l.pos]
		switch {
		case c == '\n':
			l.line++
			l.pos++
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f':
			l.pos++
			continue
		case c == '#' && l.peekAt(1) == '[':
			l.pos += 2
			return token{kind: tOp, text: "#[", line: l.line}, nil
		case c == '#' || (c == '/' && l.peekAt(1) == '/'):
			l.skipLineComment()
			continue
		case c == '/' && l.peekAt(1) == '*':
			line := l.line
			end := strings.Index(l.src[l.pos+2:], "*/")
			if end < 0 {
				return token{}, l.errf(line, "unterminated /* comment")
			}
			l.advanceTo(l.pos + 2 + end + 2)
			continue
		}
		break
	}
	line := l.line
	c := l.src[l.pos]
	switch {
	case c == '?' && l.peekAt(1) == '>':
		l.pos += 2
		// PHP swallows one newline directly after the closing tag.
		if l.peekAt(0) == '\n' {
			l.pos++
			l.line++
		} else if l.peekAt(0) == '\r' && l.peekAt(1) == '\n' {
			l.pos += 2
			l.line++
		}
		return token{kind: tClose, text: "?>", line: line}, nil
	case c == '$' && isIdentStart(l.peekAt(1)):
		l.pos++
		return token{kind: tVar, text: l.ident(), line: line}, nil
	case isIdentStart(c) || (c == '\\' && isIdentStart(l.peekAt(1))):
		return token{kind: tName, text: l.name(), line: line}, nil
	case isDigit(c) || (c == '.' && isDigit(l.peekAt(1))):
		return l.number()
	case c == '\'':
		return l.singleQuoted()
	case c == '"':
		l.pos++
		t, err := l.template('"')
		t.line = line
		return t, err
	case c == '`':
		l.pos++
		_, err := l.template('`')
		return token{kind: tBacktick, text: "`", line: line}, err
	case c == '<' && strings.HasPrefix(l.src[l.pos:], "<<<"):
		return l.heredoc()
	case c == '(':
		if t, ok := l.cast(); ok {
			return t, nil
		}
	}
	for _, op := range operators {
		if strings.HasPrefix(l.src[l.pos:], op) {
			l.pos += len(op)
			return token{kind: tOp, text: op, line: line}, nil
		}
	}
	return token{}, l.errf(line, "unexpected character %q", c)
}

// skipLineComment skips to the end of the line, or to a "?>", which ends a
// one-line comment in PHP.
func (l *lexer) skipLineComment() {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if c == '\n' || c == '\r' || (c == '?' && l.peekAt(1) == '>') {
			return
		}
		l.pos++
	}
}

func (l *lexer) ident() string {
	start := l.pos
	for l.pos < len(l.src) && isIdentChar(l.src[l.pos]) {
		l.pos++
	}
	return l.src[start:l.pos]
}

// name reads an identifier, possibly namespaced (Foo\Bar, \stdClass).
func (l *lexer) name() string {
	start := l.pos
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if isIdentChar(c) || (c == '\\' && isIdentStart(l.peekAt(1))) {
			l.pos++
			continue
		}
		break
	}
	return l.src[start:l.pos]
}

// cast recognises "(int)", "( string )" and the like; PHP allows only
// spaces and tabs inside the parentheses.
func (l *lexer) cast() (token, bool) {
	i := l.pos + 1
	for i < len(l.src) && (l.src[i] == ' ' || l.src[i] == '\t') {
		i++
	}
	start := i
	for i < len(l.src) && ((l.src[i] >= 'a' && l.src[i] <= 'z') || (l.src[i] >= 'A' && l.src[i] <= 'Z')) {
		i++
	}
	word := strings.ToLower(l.src[start:i])
	for i < len(l.src) && (l.src[i] == ' ' || l.src[i] == '\t') {
		i++
	}
	if i >= len(l.src) || l.src[i] != ')' || !castTypes[word] {
		return token{}, false
	}
	t := token{kind: tCast, text: word, line: l.line}
	l.pos = i + 1
	return t, true
}

// digitsWithUnderscores reads digits accepted by ok, allowing single "_"
// between digits as PHP 7.4+ does, and returns them without underscores.
func (l *lexer) digitsWithUnderscores(ok func(byte) bool) string {
	var b strings.Builder
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if ok(c) {
			b.WriteByte(c)
			l.pos++
			continue
		}
		if c == '_' && b.Len() > 0 && l.pos+1 < len(l.src) && ok(l.src[l.pos+1]) {
			l.pos++
			continue
		}
		break
	}
	return b.String()
}

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// number reads an integer or float literal. Integers that overflow int64
// become floats, as in PHP.
func (l *lexer) number() (token, error) {
	line := l.line
	if l.src[l.pos] == '0' && l.pos+2 <= len(l.src) {
		base := 0
		var ok func(byte) bool
		switch l.peekAt(1) {
		case 'x', 'X':
			base, ok = 16, isHex
		case 'b', 'B':
			base, ok = 2, func(c byte) bool { return c == '0' || c == '1' }
		case 'o', 'O':
			base, ok = 8, func(c byte) bool { return c >= '0' && c <= '7' }
		}
		if base != 0 && ok(l.peekAt(2)) {
			l.pos += 2
			return intToken(l.digitsWithUnderscores(ok), base, line), nil
		}
	}
	intPart := l.digitsWithUnderscores(isDigit)
	isFloat := false
	text := intPart
	if l.peekAt(0) == '.' && !(l.peekAt(1) == '.' && l.peekAt(2) == '.') {
		isFloat = true
		l.pos++
		text += "." + l.digitsWithUnderscores(isDigit)
	}
	if c := l.peekAt(0); c == 'e' || c == 'E' {
		j := 1
		if s := l.peekAt(1); s == '+' || s == '-' {
			j = 2
		}
		if isDigit(l.peekAt(j)) {
			sign := ""
			if j == 2 {
				sign = string(l.peekAt(1))
			}
			l.pos += j
			text += "e" + sign + l.digitsWithUnderscores(isDigit)
			isFloat = true
		}
	}
	if isFloat {
		if text[0] == '.' {
			text = "0" + text
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil && !isRangeErr(err) {
			return token{}, l.errf(line, "invalid numeric literal %s", text)
		}
		return token{kind: tFloat, val: f, text: text, line: line}, nil
	}
	if len(intPart) > 1 && intPart[0] == '0' {
		for i := 1; i < len(intPart); i++ {
			if intPart[i] > '7' {
				return token{}, l.errf(line, "invalid numeric literal %s (octal digits are 0-7)", intPart)
			}
		}
		return intToken(intPart[1:], 8, line), nil
	}
	return intToken(intPart, 10, line), nil
}

// intToken converts digits in base to an int token, or a float token when
// the value does not fit in int64.
func intToken(digits string, base, line int) token {
	if n, err := strconv.ParseInt(digits, base, 64); err == nil {
		return token{kind: tInt, val: n, text: digits, line: line}
	}
	if base == 10 {
		f, _ := strconv.ParseFloat(digits, 64)
		return token{kind: tInt, val: f, text: digits, line: line}
	}
	bi, _ := new(big.Int).SetString(digits, base)
	f, _ := new(big.Float).SetInt(bi).Float64()
	return token{kind: tInt, val: f, text: digits, line: line}
}

// singleQuoted reads '…': only \\ and \' are escapes.
func (l *lexer) singleQuoted() (token, error) {
	line := l.line
	var b strings.Builder
	i := l.pos + 1
	for {
		if i >= len(l.src) {
			return token{}, l.errf(line, "unterminated single-quoted string")
		}
		c := l.src[i]
		if c == '\'' {
			break
		}
		if c == '\\' && i+1 < len(l.src) && (l.src[i+1] == '\\' || l.src[i+1] == '\'') {
			b.WriteByte(l.src[i+1])
			i += 2
			continue
		}
		b.WriteByte(c)
		i++
	}
	l.advanceTo(i + 1)
	return token{kind: tStr, text: b.String(), line: line}, nil
}

// checkBrackets verifies that (), [] and {} pair up across the file: a
// file where they do not is broken beyond recovery.
func checkBrackets(toks []token) error {
	type open struct {
		text string
		line int
	}
	var stack []open
	closer := map[string]string{"(": ")", "[": "]", "{": "}", "#[": "]"}
	for _, t := range toks {
		if t.kind != tOp {
			continue
		}
		switch t.text {
		case "(", "[", "{", "#[":
			stack = append(stack, open{t.text, t.line})
		case ")", "]", "}":
			if len(stack) == 0 {
				return &SyntaxError{Line: t.line, Msg: fmt.Sprintf("unbalanced brackets: %q with nothing open", t.text)}
			}
			top := stack[len(stack)-1]
			if closer[top.text] != t.text {
				return &SyntaxError{Line: t.line, Msg: fmt.Sprintf("unbalanced brackets: %q opened on line %d is closed by %q", top.text, top.line, t.text)}
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		top := stack[len(stack)-1]
		return &SyntaxError{Line: top.line, Msg: fmt.Sprintf("unbalanced brackets: %q is never closed", top.text)}
	}
	return nil
}
