package specs

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A Profile holds the few parameters in which real servers and other
// tutorials vary from the canonical protocols: a different banner, another
// chat prefix, join and leave notices. The zero Profile is the canonical
// protocol. With a profile, a run checks a dialect; its verdict says so.
type Profile struct {
	Welcome struct {
		// Banner replaces "Hello, welcome to the server!" (without its
		// line end: "\n" or "\r\n" may follow, as in welcome.md).
		Banner string `yaml:"banner"`
	} `yaml:"welcome"`
	Chat struct {
		// Prefix is a regular expression for what comes before a relayed
		// line instead of "[HOST:PORT]", e.g. `<user\d+> `. One sender
		// must keep one prefix, and two senders must differ.
		Prefix string `yaml:"prefix"`
		// Notices is a regular expression for lines the server sends of
		// its own (joins, leaves) that the checks ignore, e.g. `^<announce> `.
		Notices string `yaml:"notices"`
	} `yaml:"chat"`

	Name    string         `yaml:"-"` // the file it came from
	prefix  *regexp.Regexp // Chat.Prefix, anchored at the start
	notices *regexp.Regexp
}

var unknownField = regexp.MustCompile(`field (\S+) not found in type .*`)

// LoadProfile reads a profile from a YAML (or JSON) file.
func LoadProfile(path string) (Profile, error) {
	var p Profile
	data, err := os.ReadFile(path)
	if err != nil {
		return p, err
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true) // a misspelt parameter is an error, not a silent default
	if err := dec.Decode(&p); err != nil && err != io.EOF {
		// yaml names Go types in its errors; say it in the file's terms.
		msg := unknownField.ReplaceAllString(err.Error(), "unknown parameter $1")
		return p, fmt.Errorf("%s: %s (the parameters are welcome.banner, chat.prefix and chat.notices)", path, strings.TrimPrefix(msg, "yaml: unmarshal errors:\n  "))
	}
	p.Name = path
	if p.Chat.Prefix != "" {
		if p.prefix, err = regexp.Compile(`^(?:` + p.Chat.Prefix + `)`); err != nil {
			return p, fmt.Errorf("%s: chat.prefix: %v", path, err)
		}
	}
	if p.Chat.Notices != "" {
		if p.notices, err = regexp.Compile(p.Chat.Notices); err != nil {
			return p, fmt.Errorf("%s: chat.notices: %v", path, err)
		}
	}
	return p, nil
}

// banner is the welcome banner the checks expect.
func (p Profile) banner() string {
	if p.Welcome.Banner != "" {
		return strings.TrimRight(p.Welcome.Banner, "\r\n")
	}
	return "Hello, welcome to the server!"
}

// notice reports whether a chat line is one of the server's own notices.
func (p Profile) notice(line []byte) bool {
	return p.notices != nil && p.notices.Match(line)
}
