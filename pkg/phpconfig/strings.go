package phpconfig

import (
	"strconv"
	"strings"
)

// template reads the body of a double-quoted string (term '"'), a
// backtick string (term '`') or a heredoc body (term 0, reads to the end
// of l.src). It decodes escapes and splits out interpolated expressions.
// l.pos is just after the opening quote.
func (l *lexer) template(term byte) (token, error) {
	startLine := l.line
	var parts []strPart
	var buf strings.Builder
	bufLine := l.line
	flush := func() {
		if buf.Len() > 0 {
			parts = append(parts, strPart{lit: buf.String(), line: bufLine})
			buf.Reset()
		}
		bufLine = l.line
	}
	for {
		if l.pos >= len(l.src) {
			if term != 0 {
				return token{}, l.errf(startLine, "unterminated string")
			}
			break
		}
		c := l.src[l.pos]
		if term != 0 && c == term {
			l.pos++
			break
		}
		switch {
		case c == '\\':
			if err := l.escape(&buf, term); err != nil {
				return token{}, err
			}
		case c == '$' && isIdentStart(l.peekAt(1)):
			flush()
			expr, err := l.simpleInterpolation()
			if err != nil {
				return token{}, err
			}
			parts = append(parts, strPart{expr: expr, line: l.line})
		case c == '$' && l.peekAt(1) == '{':
			flush()
			line := l.line
			l.pos += 2
			inner, err := l.tokensUntilBrace()
			if err != nil {
				return token{}, err
			}
			// "${name}" means $name; anything else is a variable variable.
			expr := append([]token{{kind: tOp, text: "${", line: line}}, inner...)
			if len(inner) == 1 && inner[0].kind == tName {
				expr = []token{{kind: tVar, text: inner[0].text, line: line}}
			}
			parts = append(parts, strPart{expr: expr, line: line})
		case c == '{' && l.peekAt(1) == '$':
			flush()
			line := l.line
			l.pos++
			inner, err := l.tokensUntilBrace()
			if err != nil {
				return token{}, err
			}
			parts = append(parts, strPart{expr: inner, line: line})
		default:
			if c == '\n' {
				l.line++
			}
			buf.WriteByte(c)
			l.pos++
		}
	}
	flush()
	if len(parts) == 0 {
		return token{kind: tStr, line: startLine}, nil
	}
	if len(parts) == 1 && parts[0].expr == nil {
		return token{kind: tStr, text: parts[0].lit, line: startLine}, nil
	}
	return token{kind: tTemplate, parts: parts, line: startLine}, nil
}

// escape decodes one backslash sequence of a double-quoted string or
// heredoc. Unknown sequences are kept with their backslash, as PHP does.
func (l *lexer) escape(buf *strings.Builder, term byte) error {
	next := l.peekAt(1)
	if r, ok := simpleEscape(next); ok {
		buf.WriteByte(r)
		l.pos += 2
		return nil
	}
	if term != 0 && next == term {
		buf.WriteByte(term)
		l.pos += 2
		return nil
	}
	switch {
	case next >= '0' && next <= '7':
		j := l.pos + 1
		for j < len(l.src) && j < l.pos+4 && l.src[j] >= '0' && l.src[j] <= '7' {
			j++
		}
		n, _ := strconv.ParseUint(l.src[l.pos+1:j], 8, 16)
		if n > 0xFF {
			l.warnf(l.line, "octal escape sequence overflow \\%s is greater than \\377", l.src[l.pos+1:j])
		}
		buf.WriteByte(byte(n))
		l.pos = j
		return nil
	case next == 'x' && isHex(l.peekAt(2)):
		j := l.pos + 2
		for j < len(l.src) && j < l.pos+4 && isHex(l.src[j]) {
			j++
		}
		n, _ := strconv.ParseUint(l.src[l.pos+2:j], 16, 8)
		buf.WriteByte(byte(n))
		l.pos = j
		return nil
	case next == 'u' && l.peekAt(2) == '{':
		end := strings.IndexByte(l.src[l.pos+3:], '}')
		if end < 0 {
			return l.errf(l.line, "invalid UTF-8 codepoint escape sequence")
		}
		hex := l.src[l.pos+3 : l.pos+3+end]
		n, err := strconv.ParseUint(hex, 16, 32)
		if err != nil || hex == "" || strings.ContainsAny(hex, "+-") {
			return l.errf(l.line, "invalid UTF-8 codepoint escape sequence")
		}
		if n > 0x10FFFF {
			return l.errf(l.line, "invalid UTF-8 codepoint escape sequence: codepoint too large")
		}
		buf.WriteString(encodeUTF8(uint32(n)))
		l.pos += 3 + end + 1
		return nil
	}
	// Unknown escape: keep the backslash and the next character verbatim
	// (so "\{$x}" does not start complex interpolation).
	buf.WriteByte('\\')
	l.pos++
	if l.pos < len(l.src) && l.src[l.pos] != '\n' && l.src[l.pos] != term {
		buf.WriteByte(l.src[l.pos])
		l.pos++
	}
	return nil
}

// simpleEscape maps the one-letter escapes of double-quoted strings.
func simpleEscape(c byte) (byte, bool) {
	switch c {
	case 'n':
		return '\n', true
	case 't':
		return '\t', true
	case 'r':
		return '\r', true
	case 'v':
		return '\v', true
	case 'e':
		return 0x1b, true
	case 'f':
		return '\f', true
	case '\\', '$':
		return c, true
	}
	return 0, false
}

// encodeUTF8 encodes n as PHP does, including surrogates (which Go's
// utf8 package would replace).
func encodeUTF8(n uint32) string {
	switch {
	case n < 0x80:
		return string([]byte{byte(n)})
	case n < 0x800:
		return string([]byte{0xC0 | byte(n>>6), 0x80 | byte(n&0x3F)})
	case n < 0x10000:
		return string([]byte{0xE0 | byte(n>>12), 0x80 | byte(n>>6&0x3F), 0x80 | byte(n&0x3F)})
	}
	return string([]byte{0xF0 | byte(n>>18), 0x80 | byte(n>>12&0x3F), 0x80 | byte(n>>6&0x3F), 0x80 | byte(n&0x3F)})
}

// simpleInterpolation reads "$name", "$name->prop" or "$name[key]" inside
// a string; l.pos is at the '$'.
func (l *lexer) simpleInterpolation() ([]token, error) {
	line := l.line
	l.pos++
	toks := []token{{kind: tVar, text: l.ident(), line: line}}
	switch {
	case l.peekAt(0) == '-' && l.peekAt(1) == '>' && isIdentStart(l.peekAt(2)):
		l.pos += 2
		toks = append(toks, token{kind: tOp, text: "->", line: line}, token{kind: tName, text: l.ident(), line: line})
	case l.peekAt(0) == '[':
		l.pos++
		var key token
		c := l.peekAt(0)
		switch {
		case c == '$' && isIdentStart(l.peekAt(1)):
			l.pos++
			key = token{kind: tVar, text: l.ident(), line: line}
		case isIdentStart(c):
			key = token{kind: tStr, text: l.ident(), line: line}
		case isDigit(c) || (c == '-' && isDigit(l.peekAt(1))):
			start := l.pos
			l.pos++
			for isDigit(l.peekAt(0)) {
				l.pos++
			}
			// Only canonical integers become int keys: "$a[05]" is "05".
			text := l.src[start:l.pos]
			if n, ok := canonicalIntString(text); ok {
				key = token{kind: tInt, val: n, line: line}
			} else {
				key = token{kind: tStr, text: text, line: line}
			}
		default:
			return nil, l.errf(line, "invalid array offset in string interpolation")
		}
		if l.peekAt(0) != ']' {
			return nil, l.errf(line, "missing ] in string interpolation")
		}
		l.pos++
		toks = append(toks, token{kind: tOp, text: "[", line: line}, key, token{kind: tOp, text: "]", line: line})
	}
	return toks, nil
}

// tokensUntilBrace lexes PHP tokens up to the '}' that closes a "{$…}" or
// "${…}" interpolation, and consumes that brace.
func (l *lexer) tokensUntilBrace() ([]token, error) {
	line := l.line
	var toks []token
	depth := 0
	for {
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		switch {
		case t.kind == tEOF || t.kind == tClose:
			return nil, l.errf(line, "unterminated {$…} in string")
		case t.kind == tOp && (t.text == "{"):
			depth++
		case t.kind == tOp && t.text == "}":
			if depth == 0 {
				return toks, nil
			}
			depth--
		}
		toks = append(toks, t)
	}
}

// heredoc reads <<<ID, <<<"ID" (both interpolating) or <<<'ID' (nowdoc),
// with PHP 7.3's flexible closing marker: the marker may be indented and
// that indentation is removed from every line of the body.
func (l *lexer) heredoc() (token, error) {
	line := l.line
	i := l.pos + 3
	for i < len(l.src) && (l.src[i] == ' ' || l.src[i] == '\t') {
		i++
	}
	quote := byte(0)
	if i < len(l.src) && (l.src[i] == '\'' || l.src[i] == '"') {
		quote = l.src[i]
		i++
	}
	start := i
	for i < len(l.src) && isIdentChar(l.src[i]) {
		i++
	}
	id := l.src[start:i]
	if id == "" || isDigit(id[0]) {
		return token{}, l.errf(line, "invalid heredoc label")
	}
	if quote != 0 {
		if i >= len(l.src) || l.src[i] != quote {
			return token{}, l.errf(line, "invalid heredoc label")
		}
		i++
	}
	if strings.HasPrefix(l.src[i:], "\r\n") {
		i += 2
	} else if i < len(l.src) && (l.src[i] == '\n' || l.src[i] == '\r') {
		i++
	} else {
		return token{}, l.errf(line, "heredoc label must be followed by a newline")
	}
	bodyStart := i
	// Find the closing line: optional indentation, the label, then a
	// character that cannot continue an identifier.
	var lines []string
	for pos := bodyStart; ; {
		if pos > len(l.src) {
			return token{}, l.errf(line, "unterminated heredoc <<<%s", id)
		}
		eol := strings.IndexByte(l.src[pos:], '\n')
		lineEnd := len(l.src)
		if eol >= 0 {
			lineEnd = pos + eol
		}
		text := l.src[pos:lineEnd]
		trimmed := strings.TrimLeft(text, " \t")
		if strings.HasPrefix(trimmed, id) && (len(trimmed) == len(id) || !isIdentChar(trimmed[len(id)])) {
			indent := len(text) - len(trimmed)
			body := dedent(lines, indent)
			l.advanceTo(pos + indent + len(id))
			bodyLine := line + 1
			if quote == '\'' {
				return token{kind: tStr, text: body, line: line}, nil
			}
			sub := &lexer{src: body, line: bodyLine}
			t, err := sub.template(0)
			l.warnings = append(l.warnings, sub.warnings...)
			t.line = line
			return t, err
		}
		lines = append(lines, text)
		if eol < 0 {
			return token{}, l.errf(line, "unterminated heredoc <<<%s", id)
		}
		pos = lineEnd + 1
	}
}

// dedent joins heredoc body lines after removing up to indent leading
// blanks from each; the newline before the closing marker is not part of
// the string.
func dedent(lines []string, indent int) string {
	out := make([]string, len(lines))
	for i, s := range lines {
		n := 0
		for n < indent && n < len(s) && (s[n] == ' ' || s[n] == '\t') {
			n++
		}
		out[i] = s[n:]
	}
	body := strings.Join(out, "\n")
	return strings.TrimSuffix(body, "\r")
}
