package config_test

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/strata-sp/strata/config"
)

type testConfig struct {
	API   config.API   `toml:"API" comment:"The listener."`
	Log   config.Log   `toml:"Log"`
	Store config.Store `toml:"Store"`
	Extra struct {
		Names   []string `toml:"Names" comment:"a list"`
		Enabled bool     `toml:"Enabled" comment:"a switch\nover two lines"`
		Ratio   float64  `toml:"Ratio"`
		Count   uint16   `toml:"Count"`
	} `toml:"Extra"`
}

func defaults() *testConfig {
	c := &testConfig{API: config.DefaultAPI(2345), Log: config.DefaultLog(), Store: config.DefaultStore()}
	c.Extra.Names = []string{"a", "b"}
	c.Extra.Ratio = 0.5
	c.Extra.Count = 7
	return c
}

func (c *testConfig) Validate() error {
	return errors.Join(c.API.Validate("API"), c.Log.Validate("Log"), c.Store.Validate("Store"))
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWrite_RoundTrips(t *testing.T) {
	var buf bytes.Buffer
	if err := config.Write(&buf, "Test config.\nSecond line.", defaults()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"# Test config.\n# Second line.\n", "[API]\n# The listener.\n", "  # host:port to listen on", `ListenAddress = "127.0.0.1:2345"`, `RequestTimeout = "1m0s"`, "  # over two lines\n", `Names = ["a", "b"]`} {
		if !strings.Contains(out, want) {
			t.Errorf("default config lacks %q:\n%s", want, out)
		}
	}
	got := &testConfig{}
	if err := config.Load(got, writeFile(t, out), nil); err != nil {
		t.Fatalf("loading the printed defaults: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(got, defaults()) {
		t.Errorf("round trip changed the config:\n got %+v\nwant %+v", got, defaults())
	}
}

func TestLoad_Order(t *testing.T) {
	path := writeFile(t, `
[API]
ListenAddress = "0.0.0.0:9000"
RequestTimeout = "5s"
[Log]
Level = "debug"
`)
	cfg := defaults()
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fl := config.NewFlags(fs, cfg)
	if err := fs.Parse([]string{"--api-listen-address", "127.0.0.1:9001", "--extra-enabled", "--extra-names", "x, y", "--extra-count=9"}); err != nil {
		t.Fatal(err)
	}
	if err := config.Load(cfg, path, fl); err != nil {
		t.Fatal(err)
	}
	if cfg.API.ListenAddress != "127.0.0.1:9001" {
		t.Errorf("flag did not win over the file: %s", cfg.API.ListenAddress)
	}
	if cfg.API.RequestTimeout.Std() != 5*time.Second || cfg.Log.Level != "debug" {
		t.Errorf("file did not win over defaults: %+v %+v", cfg.API, cfg.Log)
	}
	if cfg.API.MaxBatch != 100 || cfg.Store.Driver != "sqlite" {
		t.Errorf("defaults lost: %+v %+v", cfg.API, cfg.Store)
	}
	if !cfg.Extra.Enabled || strings.Join(cfg.Extra.Names, "|") != "x|y" || cfg.Extra.Count != 9 {
		t.Errorf("flags not applied: %+v", cfg.Extra)
	}
}

func TestLoad_Errors(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		flags []string
		want  string
	}{
		{"unknown key", "[API]\nListenAdress = \"x\"\n", nil, "unknown keys: API.ListenAdress"},
		{"bad toml", "[API\n", nil, "config file"},
		{"bad duration", "[API]\nRequestTimeout = \"soon\"\n", nil, `invalid duration "soon"`},
		{"bad address", "[API]\nListenAddress = \"nowhere\"\n", nil, "API.ListenAddress:"},
		{"bad port", "", []string{"--api-listen-address", "h:99999"}, "API.ListenAddress: port"},
		{"bad level", "[Log]\nLevel = \"loud\"\n", nil, `Log.Level: "loud"`},
		{"postgres without url", "[Store]\nDriver = \"postgres\"\n", nil, "Store.URL: required"},
		{"unknown driver", "", []string{"--store-driver", "mysql"}, `Store.Driver: "mysql"`},
		{"bad flag int", "", []string{"--api-max-batch", "many"}, `flag --api-max-batch: "many" is not an integer`},
		{"negative uint", "", []string{"--extra-count", "-1"}, "flag --extra-count"},
		{"two errors", "[API]\nMaxBatch = 0\n[Log]\nFormat = \"xml\"\n", nil, "API.MaxBatch: must be at least 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := defaults()
			fs := flag.NewFlagSet("x", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			fl := config.NewFlags(fs, cfg)
			if err := fs.Parse(tc.flags); err != nil {
				t.Fatal(err)
			}
			path := ""
			if tc.file != "" {
				path = writeFile(t, tc.file)
			}
			err := config.Load(cfg, path, fl)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	var fe *config.FieldError
	cfg := defaults()
	cfg.Log.Format = "xml"
	if err := config.Load(cfg, "", nil); !errors.As(err, &fe) || fe.Field != "Log.Format" {
		t.Errorf("FieldError not reachable: %v", err)
	}
}

func TestLoadOptional_MissingFile(t *testing.T) {
	cfg := defaults()
	if err := config.LoadOptional(cfg, filepath.Join(t.TempDir(), "none.toml"), nil); err != nil {
		t.Fatal(err)
	}
	if err := config.Load(defaults(), filepath.Join(t.TempDir(), "none.toml"), nil); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}

func TestFlags_Names(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	config.NewFlags(fs, defaults())
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	want := "api-drain-timeout api-listen-address api-max-batch api-max-body-bytes api-request-timeout extra-count extra-enabled extra-names extra-ratio log-format log-level store-driver store-path store-url"
	if strings.Join(names, " ") != want {
		t.Errorf("flags = %v\nwant %s", names, want)
	}
}
