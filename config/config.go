// Package config loads a process's TOML configuration in one order
// everywhere: defaults, then the file, then command-line flags, then
// Validate. A config is a struct of sections; each leaf field carries a
// `toml` key and a `comment`, from which both the flags (--section-key) and
// the commented default file (Write) are made, so the three never drift.
//
// Library packages never read files or the environment: they take the typed
// sections this package fills.
package config

import (
	"encoding"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/BurntSushi/toml"
)

// Validator is a config that checks itself after loading.
type Validator interface {
	// Validate returns nil or an error naming the field at fault, such as a
	// *FieldError or errors.Join of several.
	Validate() error
}

// FieldError is a validation error about one field, named by its path in
// the file ("API.ListenAddress").
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// Errorf returns a *FieldError for field.
func Errorf(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// Duration is a time.Duration written as a string ("30s", "5m") in TOML and
// on the command line.
type Duration time.Duration

// Std returns the time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q (want e.g. 30s, 5m, 1h)", b)
	}
	*d = Duration(v)
	return nil
}

// Load applies the file at path (if path is not empty) and then the flags
// that were set on fs (registered with Flags) to cfg, which holds the
// defaults, and validates the result. Unknown keys in the file are errors,
// so that a typo never silently keeps a default.
func Load(cfg Validator, path string, flags *Flags) error {
	if path != "" {
		md, err := toml.DecodeFile(path, cfg)
		if err != nil {
			return fmt.Errorf("config file %s: %w", path, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			keys := make([]string, len(und))
			for i, k := range und {
				keys[i] = k.String()
			}
			return fmt.Errorf("config file %s: unknown keys: %s", path, strings.Join(keys, ", "))
		}
	}
	if flags != nil {
		if err := flags.apply(cfg); err != nil {
			return err
		}
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration: %w", err)
	}
	return nil
}

// LoadOptional is Load, where a missing file at path is not an error (the
// defaults and flags then make the whole config).
func LoadOptional(cfg Validator, path string, flags *Flags) error {
	if path != "" {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			path = ""
		}
	}
	return Load(cfg, path, flags)
}

// leaf is one settable field of a config.
type leaf struct {
	path    []int  // field index path from the root struct
	key     string // "API.ListenAddress"
	flag    string // "api-listen-address"
	comment string
	typ     reflect.Type
}

// leaves lists the settable fields of the struct type t, sections first
// level, keys second (deeper nesting works the same way).
func leaves(t reflect.Type) []leaf {
	var out []leaf
	var walk func(t reflect.Type, idx []int, keys []string)
	walk = func(t reflect.Type, idx []int, keys []string) {
		for i := range t.NumField() {
			f := t.Field(i)
			name := f.Tag.Get("toml")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			p := append(append([]int(nil), idx...), i)
			k := append(append([]string(nil), keys...), name)
			if f.Type.Kind() == reflect.Struct && !isScalar(f.Type) {
				walk(f.Type, p, k)
				continue
			}
			fl := make([]string, len(k))
			for j, s := range k {
				fl[j] = kebab(s)
			}
			out = append(out, leaf{path: p, key: strings.Join(k, "."), flag: strings.Join(fl, "-"), comment: f.Tag.Get("comment"), typ: f.Type})
		}
	}
	walk(t, nil, nil)
	return out
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// isScalar: structs that decode from text (none today but time-like types)
// are leaves, not sections.
func isScalar(t reflect.Type) bool { return reflect.PointerTo(t).Implements(textUnmarshaler) }

// kebab turns "ListenAddress" into "listen-address" and "API" into "api".
func kebab(s string) string {
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		if unicode.IsUpper(c) && i > 0 && (unicode.IsLower(r[i-1]) || (i+1 < len(r) && unicode.IsLower(r[i+1]))) {
			b.WriteByte('-')
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

// Flags are the command-line flags of a config: one per leaf field, named
// --section-key. Values are kept as given and applied by Load after the file.
type Flags struct {
	leaves []leaf
	set    map[string]string
	fs     *flag.FlagSet
}

// NewFlags registers a flag for every leaf of cfg on fs. The flag's default
// shown in help is cfg's value.
func NewFlags(fs *flag.FlagSet, cfg any) *Flags {
	f := &Flags{leaves: leaves(reflect.TypeOf(cfg).Elem()), set: map[string]string{}, fs: fs}
	root := reflect.ValueOf(cfg).Elem()
	for _, l := range f.leaves {
		usage := l.comment
		if usage == "" {
			usage = l.key
		}
		fs.Var(&flagValue{f: f, key: l.flag, def: formatValue(root.FieldByIndex(l.path)), isBool: l.typ.Kind() == reflect.Bool}, l.flag, usage+" ("+l.key+")")
	}
	return f
}

type flagValue struct {
	f      *Flags
	key    string
	def    string
	isBool bool
}

func (v *flagValue) String() string {
	if v == nil || v.f == nil {
		return ""
	}
	if s, ok := v.f.set[v.key]; ok {
		return s
	}
	return v.def
}
func (v *flagValue) Set(s string) error { v.f.set[v.key] = s; return nil }
func (v *flagValue) IsBoolFlag() bool   { return v.isBool }

func (f *Flags) apply(cfg any) error {
	root := reflect.ValueOf(cfg).Elem()
	var errs []error
	for _, l := range f.leaves {
		s, ok := f.set[l.flag]
		if !ok {
			continue
		}
		if err := setValue(root.FieldByIndex(l.path), s); err != nil {
			errs = append(errs, fmt.Errorf("flag --%s: %w", l.flag, err))
		}
	}
	return errors.Join(errs...)
}

func setValue(v reflect.Value, s string) error {
	if tu, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok {
		return tu.UnmarshalText([]byte(s))
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 0, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not an integer of %d bits", s, v.Type().Bits())
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(s, 0, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not an unsigned integer of %d bits", s, v.Type().Bits())
		}
		v.SetUint(n)
	case reflect.Float64, reflect.Float32:
		n, err := strconv.ParseFloat(s, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		v.SetFloat(n)
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("unsupported list type %s", v.Type())
		}
		var parts []string
		for p := range strings.SplitSeq(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		v.Set(reflect.ValueOf(parts).Convert(v.Type()))
	default:
		return fmt.Errorf("unsupported type %s", v.Type())
	}
	return nil
}

func formatValue(v reflect.Value) string {
	if tm, ok := v.Interface().(encoding.TextMarshaler); ok {
		b, _ := tm.MarshalText()
		return string(b)
	}
	if v.Kind() == reflect.Slice {
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = fmt.Sprint(v.Index(i).Interface())
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v.Interface())
}

// Write prints cfg as a TOML file in which every key is preceded by its
// comment; title opens the file as a comment.
func Write(w io.Writer, title string, cfg any) error {
	var b strings.Builder
	for line := range strings.SplitSeq(strings.TrimSpace(title), "\n") {
		b.WriteString("# " + line + "\n")
	}
	root := reflect.ValueOf(cfg)
	if root.Kind() == reflect.Pointer {
		root = root.Elem()
	}
	section := ""
	for _, l := range leaves(root.Type()) {
		sec, key := "", l.key
		if i := strings.LastIndexByte(l.key, '.'); i >= 0 {
			sec, key = l.key[:i], l.key[i+1:]
		}
		if sec != section {
			section = sec
			b.WriteString("\n[" + sec + "]\n")
			if c := sectionComment(root.Type(), l.path); c != "" {
				for line := range strings.SplitSeq(c, "\n") {
					b.WriteString("# " + line + "\n")
				}
			}
		}
		if l.comment != "" {
			for line := range strings.SplitSeq(l.comment, "\n") {
				b.WriteString("  # " + line + "\n")
			}
		}
		var kv strings.Builder
		if err := toml.NewEncoder(&kv).Encode(map[string]any{key: root.FieldByIndex(l.path).Interface()}); err != nil {
			return fmt.Errorf("encode %s: %w", l.key, err)
		}
		b.WriteString("  " + kv.String())
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// sectionComment is the comment tag of the section holding a leaf.
func sectionComment(t reflect.Type, path []int) string {
	if len(path) < 2 {
		return ""
	}
	return t.FieldByIndex(path[:len(path)-1]).Tag.Get("comment")
}
