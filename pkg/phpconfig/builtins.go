package phpconfig

import (
	"math"
	"path/filepath"
	"strings"
)

// predefinedConstants are PHP 8's own constants whose values do not depend
// on the installation (Unix assumed for the separators).
var predefinedConstants = map[string]Value{
	"E_ERROR": int64(1), "E_WARNING": int64(2), "E_PARSE": int64(4), "E_NOTICE": int64(8),
	"E_CORE_ERROR": int64(16), "E_CORE_WARNING": int64(32), "E_COMPILE_ERROR": int64(64),
	"E_COMPILE_WARNING": int64(128), "E_USER_ERROR": int64(256), "E_USER_WARNING": int64(512),
	"E_USER_NOTICE": int64(1024), "E_STRICT": int64(2048), "E_RECOVERABLE_ERROR": int64(4096),
	"E_DEPRECATED": int64(8192), "E_USER_DEPRECATED": int64(16384), "E_ALL": int64(32767),
	"DIRECTORY_SEPARATOR": "/", "PATH_SEPARATOR": ":", "PHP_EOL": "\n",
	"PHP_INT_MAX": int64(maxInt64), "PHP_INT_MIN": int64(minInt64), "PHP_INT_SIZE": int64(8),
	"PHP_FLOAT_EPSILON": 2.220446049250313e-16, "PHP_FLOAT_DIG": int64(15),
	"M_PI": 3.141592653589793, "INF": math.Inf(1), "NAN": math.Float64frombits(0x7ff8000000000000), // PHP's bit pattern
}

// runtimeConstants exist in PHP but their value depends on the PHP build
// or Moodle code that runs after config.php, so they make a value
// unresolved rather than guessed.
var runtimeConstants = map[string]string{
	"PHP_VERSION": "the PHP version", "PHP_MAJOR_VERSION": "the PHP version",
	"PHP_MINOR_VERSION": "the PHP version", "PHP_RELEASE_VERSION": "the PHP version",
	"PHP_VERSION_ID": "the PHP version", "PHP_OS": "the PHP build", "PHP_OS_FAMILY": "the PHP build",
	"PHP_BINARY": "the PHP installation", "PHP_SAPI": "how PHP is run",
	"DEBUG_NONE": "Moodle's lib/setuplib.php", "DEBUG_MINIMAL": "Moodle's lib/setuplib.php",
	"DEBUG_NORMAL": "Moodle's lib/setuplib.php", "DEBUG_ALL": "Moodle's lib/setuplib.php",
	"DEBUG_DEVELOPER": "Moodle's lib/setuplib.php",
}

// ignoredCalls are function-call statements that configure PHP itself and
// cannot change $CFG, so they are skipped without a warning.
var ignoredCalls = map[string]bool{
	"error_reporting": true, "ini_set": true, "date_default_timezone_set": true,
}

// byRefCalls are PHP functions that modify an argument passed by
// reference; skipping a call to one makes its $CFG arguments unresolved.
var byRefCalls = map[string]bool{
	"array_push": true, "array_pop": true, "array_shift": true, "array_unshift": true,
	"array_splice": true, "sort": true, "rsort": true, "usort": true, "uasort": true,
	"uksort": true, "ksort": true, "krsort": true, "asort": true, "arsort": true,
	"natsort": true, "natcasesort": true, "shuffle": true, "settype": true,
	"array_walk": true, "array_walk_recursive": true, "parse_str": true,
	"preg_match": true, "preg_match_all": true, "str_replace": true, "str_ireplace": true,
}

func (s *state) constant(x *constNode) (Value, error) {
	name := strings.TrimPrefix(x.name, `\`)
	switch lowerASCII(name) {
	case "__dir__", "__file__":
		if s.path == "" {
			return nil, errf(x.line, "%s is unknown because no file path was given", name)
		}
		if lowerASCII(name) == "__file__" {
			return s.path, nil
		}
		return phpDirname(s.path, 1), nil
	case "__line__":
		return int64(x.line), nil
	case "__namespace__", "__class__", "__function__", "__method__", "__trait__":
		return "", nil
	}
	if strings.Contains(name, `\`) {
		return nil, errf(x.line, "namespaced constant %s is not supported", x.name)
	}
	if why, ok := s.constUnres[name]; ok {
		return nil, errf(x.line, "uses constant %s, which is unresolved (%s)", name, why)
	}
	if v, ok := s.consts[name]; ok {
		return v, nil
	}
	if v, ok := predefinedConstants[name]; ok {
		return v, nil
	}
	if where, ok := runtimeConstants[name]; ok {
		if strings.HasPrefix(name, "DEBUG_") {
			return nil, errf(x.line, "constant %s is defined by %s, which runs after config.php (PHP 8 stops with \"Undefined constant\")", name, where)
		}
		return nil, errf(x.line, "constant %s depends on %s", name, where)
	}
	return nil, errf(x.line, "undefined constant %s", name)
}

func (s *state) definedConst(name string) bool {
	name = strings.TrimPrefix(name, `\`)
	if _, ok := s.consts[name]; ok {
		return true
	}
	_, ok := predefinedConstants[name]
	return ok
}

// call evaluates the few functions a config file may use in expressions.
func (s *state) call(x *callNode) (Value, error) {
	name := lowerASCII(strings.TrimPrefix(x.name, `\`))
	args := make([]Value, len(x.args))
	for i, a := range x.args {
		v, err := s.eval(a, false)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	argc := func(min, max int) error {
		if len(args) < min || len(args) > max {
			return errf(x.line, "wrong number of arguments to %s()", name)
		}
		return nil
	}
	switch name {
	case "dirname":
		if err := argc(1, 2); err != nil {
			return nil, err
		}
		p, err := s.stringArg(args[0], name, x.line)
		if err != nil {
			return nil, err
		}
		levels := int64(1)
		if len(args) == 2 {
			n, ok := ToInt(args[1])
			if _, isArr := args[1].(*Array); !ok || isArr {
				return nil, errf(x.line, "dirname(): levels must be an integer")
			}
			if n < 1 {
				return nil, errf(x.line, "dirname(): levels must be greater than or equal to 1")
			}
			levels = n
		}
		return phpDirname(p, levels), nil
	case "getenv":
		if len(args) == 0 {
			return nil, errf(x.line, "getenv() without a name returns the whole environment, which is not supported")
		}
		if err := argc(1, 2); err != nil {
			return nil, err
		}
		k, err := s.stringArg(args[0], name, x.line)
		if err != nil {
			return nil, err
		}
		if v, ok := s.putenv[k]; ok {
			if v == nil {
				return false, nil
			}
			return *v, nil
		}
		if s.lookupEnv != nil {
			if v, ok := s.lookupEnv(k); ok {
				return v, nil
			}
		}
		return false, nil
	case "putenv":
		if err := argc(1, 1); err != nil {
			return nil, err
		}
		setting, err := s.stringArg(args[0], name, x.line)
		if err != nil {
			return nil, err
		}
		if k, v, ok := strings.Cut(setting, "="); ok {
			s.putenv[k] = &v
		} else {
			s.putenv[setting] = nil
		}
		return true, nil
	case "define":
		if err := argc(2, 3); err != nil {
			return nil, err
		}
		c, err := s.stringArg(args[0], name, x.line)
		if err != nil {
			return nil, err
		}
		if s.definedConst(c) {
			s.warnf(x.line, "constant %s already defined; define() keeps the first value", c)
			return false, nil
		}
		s.consts[c] = args[1]
		delete(s.constUnres, c)
		return true, nil
	case "defined":
		if err := argc(1, 1); err != nil {
			return nil, err
		}
		c, err := s.stringArg(args[0], name, x.line)
		if err != nil {
			return nil, err
		}
		if why, ok := s.constUnres[c]; ok {
			return nil, errf(x.line, "constant %s is unresolved (%s)", c, why)
		}
		return s.definedConst(c), nil
	case "constant":
		if err := argc(1, 1); err != nil {
			return nil, err
		}
		c, err := s.stringArg(args[0], name, x.line)
		if err != nil {
			return nil, err
		}
		return s.constant(&constNode{line: x.line, name: c})
	case "intval", "strval", "boolval", "floatval", "doubleval":
		if err := argc(1, 1); err != nil {
			return nil, err
		}
		typ := map[string]string{"intval": "int", "strval": "string", "boolval": "bool", "floatval": "float", "doubleval": "float"}[name]
		return s.cast(typ, args[0], x.line)
	}
	return nil, errf(x.line, "unsupported function call %s()", x.name)
}

// stringArg coerces a string parameter as PHP 8 does without strict_types.
func (s *state) stringArg(v Value, fn string, line int) (string, error) {
	switch v.(type) {
	case *Array:
		return "", errf(line, "%s(): argument must be of type string, array given", fn)
	case nil:
		s.warnf(line, "passing null to %s() is deprecated", fn)
	}
	return ToString(v), nil
}

// phpDirname is PHP's dirname() on Unix: trailing slashes are ignored,
// "." is returned when there is no directory part, "/" for the root, and
// "" stays "".
func phpDirname(p string, levels int64) string {
	if p == "" {
		return ""
	}
	for ; levels > 0; levels-- {
		prev := p
		p = dirnameOnce(p)
		if p == prev {
			break
		}
	}
	return p
}

func dirnameOnce(p string) string {
	end := len(p) - 1
	for end >= 0 && p[end] == '/' {
		end--
	}
	if end < 0 {
		return "/"
	}
	for end >= 0 && p[end] != '/' {
		end--
	}
	if end < 0 {
		return "."
	}
	for end >= 0 && p[end] == '/' {
		end--
	}
	if end < 0 {
		return "/"
	}
	return p[:end+1]
}

// realFilePath is what PHP reports as __FILE__: absolute, symlinks
// resolved. It falls back to the absolute path when the file is missing.
func realFilePath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	return abs
}
