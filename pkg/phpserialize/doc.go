// Package phpserialize reads and writes PHP's serialize() format and the
// "php" session serialize handler that Moodle uses for $_SESSION
// (name|value pairs, concatenated).
//
// Values map to Go as follows, both ways: N; is nil, b: bool, i: int64
// (int and int64 are accepted when encoding), d: float64 (written like PHP
// with serialize_precision = -1), s: string (byte lengths, any bytes), a:
// *Array (ordered, int or string keys) and O: *Object (class name and
// ordered properties). Decoding keeps enough to write the same bytes back,
// so a session read and written again is unchanged.
//
// References (r:, R:), custom serialisation (C:) and enums (E:) are refused:
// Moodle's sessions do not use them.
package phpserialize
