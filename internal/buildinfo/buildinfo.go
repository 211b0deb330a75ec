// Package buildinfo reports what this binary is.
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// Version is Strata's version; releases set it with
// -ldflags "-X github.com/strata-sp/strata/internal/buildinfo.version=..."
var version = "0.1.0-dev"

// Info describes the running binary.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	Modified  bool   `json:"modified,omitempty"`
	GoVersion string `json:"go"`
	Platform  string `json:"platform"`
}

// Get returns the binary's build information.
func Get() Info {
	i := Info{Version: version, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				i.Commit = s.Value
			case "vcs.modified":
				i.Modified = s.Value == "true"
			}
		}
	}
	return i
}

// String is the one-line form: "0.1.0-dev+git.abc1234".
func (i Info) String() string {
	s := i.Version
	if i.Commit != "" {
		c := i.Commit
		if len(c) > 7 {
			c = c[:7]
		}
		s += "+git." + c
		if i.Modified {
			s += ".dirty"
		}
	}
	return s
}
