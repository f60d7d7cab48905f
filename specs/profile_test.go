package specs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeProfile(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestProfileLoad(t *testing.T) {
	path := writeProfile(t, "ncat.yaml", `# ncat --chat
welcome:
  banner: "Hi there!\r\n"
chat:
  prefix: '<user\d+> '
  notices: '^<announce> '
`)
	p, err := LoadProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != path || p.Welcome.Banner != "Hi there!\r\n" || p.Chat.Prefix != `<user\d+> ` || p.Chat.Notices != `^<announce> ` {
		t.Errorf("loaded %+v", p)
	}
	if got := p.banner(); got != "Hi there!" {
		t.Errorf("banner() = %q, want it without its line end", got)
	}
	// The prefix is anchored at the start of the line.
	if p.prefix == nil || !p.prefix.MatchString("<user12> hi") || p.prefix.MatchString("x<user12> hi") {
		t.Errorf("prefix %v", p.prefix)
	}
	if !p.notice([]byte("<announce> user1 joined")) || p.notice([]byte("<user1> <announce> ")) {
		t.Error("notice() does not follow chat.notices")
	}

	// JSON is YAML too.
	p, err = LoadProfile(writeProfile(t, "p.json", `{"welcome": {"banner": "Howdy"}}`))
	if err != nil || p.banner() != "Howdy" || p.prefix != nil || p.notices != nil {
		t.Errorf("JSON: %+v, %v", p, err)
	}
}

// The zero profile, and an empty file, are the canonical protocols.
func TestProfileCanonical(t *testing.T) {
	for name, data := range map[string]string{"empty": "", "comment only": "# nothing to change\n", "empty sections": "welcome:\nchat:\n"} {
		p, err := LoadProfile(writeProfile(t, "p.yaml", data))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if p.Name == "" || p.banner() != "Hello, welcome to the server!" || p.prefix != nil || p.notice([]byte("anything")) {
			t.Errorf("%s: %+v is not the canonical protocol", name, p)
		}
	}
	var zero Profile
	if zero.banner() != "Hello, welcome to the server!" || zero.notice([]byte("<announce> x")) {
		t.Error("the zero profile is not canonical")
	}
}

func TestProfileErrors(t *testing.T) {
	const parameters = "(the parameters are welcome.banner, chat.prefix and chat.notices)"
	for _, c := range []struct {
		name, data string
		want       []string // in the message, after the file's path
	}{
		{"unknown field", "chat:\n  prefx: '<u> '\n", []string{"line 2: unknown parameter prefx", parameters}},
		{"unknown section", "banner: hi\n", []string{"line 1: unknown parameter banner", parameters}},
		{"not YAML", "welcome: [\n", []string{parameters}},
		{"bad chat.prefix", "chat:\n  prefix: '<user(\\d+> '\n", []string{"chat.prefix: error parsing regexp: missing closing )"}},
		{"bad chat.notices", "chat:\n  notices: '*announce'\n", []string{"chat.notices: error parsing regexp: missing argument to repetition operator: `*`"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeProfile(t, "p.yaml", c.data)
			_, err := LoadProfile(path)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, path+": ") || strings.Contains(msg, "\n") || strings.Contains(msg, "specs.Profile") || strings.Contains(msg, "struct") {
				t.Errorf("%q: want one line that starts with the path and names no Go type", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("%q does not say %q", msg, w)
				}
			}
		})
	}

	missing := filepath.Join(t.TempDir(), "missing.yaml")
	if _, err := LoadProfile(missing); err == nil || !strings.Contains(err.Error(), missing) || !os.IsNotExist(err) {
		t.Errorf("a missing file: %v", err)
	}
}
