package config

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/phpconfig"
)

// Input is where Load looks for values besides the defaults, from the
// weakest to the strongest: Moodle's config.php, the service's own config
// file, the environment, the command line.
type Input struct {
	// Flags is a parsed flag set made with RegisterFlags; only flags given on
	// the command line count. May be nil.
	Flags *flag.FlagSet
	// LookupEnv reads the environment; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// ConfigFileFlag and ConfigFileEnv name the service's own config file.
const (
	ConfigFileFlag = "config"
	ConfigFileEnv  = "LTIPROVIDER_CONFIG"
)

// RegisterFlags adds --config and one flag per option to fs.
func RegisterFlags(fs *flag.FlagSet) {
	fs.String(ConfigFileFlag, "", "service config file of `key = value` lines (env "+ConfigFileEnv+")")
	for _, o := range options {
		help := o.Help
		if o.Default != "" {
			help += " (default " + o.Default + ")"
		}
		fs.String(o.Flag, "", help+" [env "+o.Env+"]")
	}
}

// Load builds the configuration and validates it. It always returns a
// Config; the error lists every problem found, one per line.
func Load(in Input) (*Config, error) {
	if in.LookupEnv == nil {
		in.LookupEnv = os.LookupEnv
	}
	c := &Config{sources: map[string]string{}, forced: map[string]string{}}
	var problems []error
	for _, o := range options {
		if o.Default != "" {
			if err := o.set(c, o.Default); err != nil {
				panic(err) // a bad default is a programming error
			}
		}
	}

	flags := map[string]string{}
	if in.Flags != nil {
		in.Flags.Visit(func(f *flag.Flag) { flags[f.Name] = f.Value.String() })
	}

	// The service's config file, read first so it can name config.php.
	file := map[string]string{}
	filePath, ok := flags[ConfigFileFlag]
	if !ok {
		filePath, _ = in.LookupEnv(ConfigFileEnv)
	}
	if filePath != "" {
		var err error
		if file, err = readConfigFile(filePath); err != nil {
			problems = append(problems, err)
		}
	}

	// config.php comes from the strongest source that names it.
	phpPath := strongest(in, flags, file, optionByKey("moodle.config"))
	if phpPath != "" {
		c.MoodleConfigPath = phpPath
		problems = append(problems, c.applyPHP(phpPath)...)
	}

	for _, o := range options {
		if v, ok := file[o.Key]; ok {
			problems = appendErr(problems, o.set(c, v))
			c.sources[o.Key] = "file " + filePath
			delete(file, o.Key)
		}
		if v, ok := envValue(in, o); ok {
			problems = appendErr(problems, o.set(c, v))
			c.sources[o.Key] = "env " + o.Env
		}
		if v, ok := flags[o.Flag]; ok {
			problems = appendErr(problems, o.set(c, v))
			c.sources[o.Key] = "flag --" + o.Flag
		}
	}
	for _, k := range sortedKeys(file) {
		problems = append(problems, fmt.Errorf("%s: unknown setting %q", filePath, k))
	}
	for _, o := range options {
		if why, bad := strings.CutPrefix(c.sources[o.Key], unreadable); bad {
			problems = append(problems, fmt.Errorf("%s: config.php sets $CFG->%s in a way the service cannot read (%s); give it with %s or --%s",
				o.Key, o.PHP, strings.TrimSuffix(why, ")"), o.Env, o.Flag))
		}
	}

	c.normalise()
	problems = append(problems, c.Validate()...)
	return c, joinProblems(problems)
}

// unreadable marks an option whose config.php value could not be evaluated.
const unreadable = "config.php (unreadable: "

// applyPHP reads Moodle's config.php and takes every option it provides.
func (c *Config) applyPHP(path string) []error {
	f, err := phpconfig.ParseFile(path)
	if err != nil {
		return []error{fmt.Errorf("moodle config %s: %w", path, err)}
	}
	for name, v := range f.Values {
		if _, isArray := v.(*phpconfig.Array); !isArray {
			c.forced[name] = phpconfig.ToString(v)
		}
	}
	var problems []error
	for _, o := range options {
		if o.PHP == "" {
			continue
		}
		root, _, _ := strings.Cut(o.PHP, ".")
		if why, bad := f.Unresolved[root]; bad {
			c.sources[o.Key] = unreadable + why + ")"
			continue
		}
		v, ok := phpLookup(f, o.PHP)
		if !ok || v == nil {
			continue
		}
		raw := phpconfig.ToString(v)
		if raw == "" && o.Default != "" {
			continue // Moodle treats an empty dbport, dbcollation… as "the default"
		}
		if err := o.set(c, raw); err != nil {
			problems = append(problems, fmt.Errorf("moodle config %s: $CFG->%s: %w", path, o.PHP, err))
			continue
		}
		c.sources[o.Key] = "config.php"
	}
	return problems
}

func phpLookup(f *phpconfig.File, path string) (phpconfig.Value, bool) {
	root, key, nested := strings.Cut(path, ".")
	v, ok := f.Values[root]
	if !ok || !nested {
		return v, ok
	}
	arr, isArray := v.(*phpconfig.Array)
	if !isArray {
		return nil, false
	}
	return arr.Get(key)
}

// strongest returns an option's value from the strongest source that has it,
// ignoring config.php.
func strongest(in Input, flags, file map[string]string, o Option) string {
	if v, ok := flags[o.Flag]; ok {
		return v
	}
	if v, ok := envValue(in, o); ok {
		return v
	}
	return file[o.Key]
}

// envValue reads an option from the environment, or for secrets from the
// file named by its _FILE variant (for Docker and systemd credentials).
func envValue(in Input, o Option) (string, bool) {
	if v, ok := in.LookupEnv(o.Env); ok {
		return v, true
	}
	if !o.Secret {
		return "", false
	}
	path, ok := in.LookupEnv(o.Env + "_FILE")
	if !ok {
		return "", false
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	return strings.TrimRight(string(b), "\r\n"), true
}

func optionByKey(key string) Option {
	for _, o := range options {
		if o.Key == key {
			return o
		}
	}
	panic("config: no option " + key)
}

// normalise applies Moodle's own clean-ups so the rest of the code can rely
// on one form.
func (c *Config) normalise() {
	c.Moodle.WWWRoot = strings.TrimRight(strings.TrimSpace(c.Moodle.WWWRoot), "/")
	c.DB.Type = strings.ToLower(strings.TrimSpace(c.DB.Type))
	if c.Moodle.Admin == "" {
		c.Moodle.Admin = "admin"
	}
}

func appendErr(list []error, err error) []error {
	if err != nil {
		return append(list, err)
	}
	return list
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Problems is every configuration error found by Load, one per line.
type Problems []error

func (p Problems) Error() string {
	lines := make([]string, len(p))
	for i, e := range p {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (p Problems) Unwrap() []error { return p }

func joinProblems(list []error) error {
	if len(list) == 0 {
		return nil
	}
	return Problems(list)
}
