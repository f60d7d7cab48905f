package specs

import (
	"fmt"
	"regexp"
	"strings"
)

// An Overview is what a protocol's document says before its first
// section: its title and the paragraphs that introduce the protocol.
type Overview struct {
	Title string // e.g. "echo: the TCP echo protocol"
	// Paragraphs are the introduction, Markdown reduced to text, each on
	// one line; a code block is one paragraph of lines indented by four
	// spaces.
	Paragraphs []string
}

// ProtocolOverview returns the overview of the protocol's document.
func ProtocolOverview(protocol string) (Overview, error) {
	md, err := documents.ReadFile(protocol + ".md")
	if err != nil {
		return Overview{}, fmt.Errorf("no spec document for protocol %q", protocol)
	}
	return parseOverview(string(md)), nil
}

// emphasis matches Markdown's *emphasis*, which reads as text without its stars.
var emphasis = regexp.MustCompile(`\*([^*\s]([^*]*[^*\s])?)\*`)

// parseOverview reads the title ("# ...") and the paragraphs up to the
// first section ("## ...") of a document.
func parseOverview(md string) Overview {
	var o Overview
	var para []string // the lines of the paragraph being read
	inCode := false
	end := func() {
		if len(para) == 0 {
			return
		}
		if inCode {
			o.Paragraphs = append(o.Paragraphs, strings.Join(para, "\n"))
		} else {
			text := plainText(strings.Join(para, " "))
			o.Paragraphs = append(o.Paragraphs, emphasis.ReplaceAllString(text, "$1"))
		}
		para = nil
	}
	for _, line := range strings.Split(md, "\n") {
		switch {
		case strings.HasPrefix(line, "```"):
			end()
			inCode = !inCode
		case inCode:
			para = append(para, "    "+line)
		case strings.HasPrefix(line, "## "):
			end()
			return o
		case strings.HasPrefix(line, "# ") && o.Title == "":
			o.Title = plainText(strings.TrimPrefix(line, "# "))
		case strings.TrimSpace(line) == "":
			end()
		default:
			para = append(para, strings.TrimSpace(line))
		}
	}
	end()
	return o
}
