package containers

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

// Off a terminal, a build says one line, when it ends; the log file has
// everything docker build printed.
func TestBuildProgressSaysOneLine(t *testing.T) {
	var user bytes.Buffer
	dir := t.TempDir()
	p, err := newBuildProgress(&user, dir, "python", "socketspec/python:abc")
	if err != nil {
		t.Fatal(err)
	}
	output := "Step 1/3 : FROM base\n ---> 123\nStep 2/3 : COPY x /app/\n ---> 456\nStep 3/3 : CMD [\"py\"]\nSuccessfully built 789\n"
	for _, piece := range []string{output[:10], output[10:50], output[50:]} { // a line may come in pieces
		p.Write([]byte(piece))
	}
	if user.Len() != 0 {
		t.Errorf("while building, off a terminal, it said %q; want nothing", user.String())
	}
	p.end(nil)
	line := user.String()
	if strings.Count(line, "\n") != 1 || !strings.HasPrefix(line, "built socketspec/python:abc in ") || !strings.Contains(line, "step 3/3") || !strings.Contains(line, p.logPath) {
		t.Errorf("it said %q; want one line: built, the image, the step and the log's path", line)
	}
	logged, err := os.ReadFile(p.logPath)
	if err != nil || string(logged) != output {
		t.Errorf("the log holds %q (%v); want all of docker build's output", logged, err)
	}

	user.Reset()
	p, _ = newBuildProgress(&user, dir, "c", "socketspec/c:def")
	p.end(errors.New("no base image"))
	if !strings.HasPrefix(user.String(), "FAILED to build socketspec/c:def") {
		t.Errorf("a failed build said %q", user.String())
	}
}
