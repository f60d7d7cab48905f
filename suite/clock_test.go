package suite

import (
	"os/exec"
	"testing"
	"time"
)

func TestServerClock(t *testing.T) {
	if zone, ok := ServerClock(InProcess("go", nil)); !ok || zone != time.Local {
		t.Errorf("in process: %v %v, want Local true", zone, ok)
	}
	if _, ok := ServerClock(Address(TCP, "127.0.0.1:7000")); ok {
		t.Error("an address the suite did not start cannot know the server's clock")
	}
	if zone, ok := ServerClock(Command(TCP, "./server {port}")); !ok || zone != time.Local {
		t.Errorf("a command inheriting our environment: %v %v, want Local true", zone, ok)
	}
	if _, ok := ServerClock(Command(TCP, "TZ=Asia/Shanghai ./server {port}")); ok {
		t.Error("a command line that sets its own TZ runs in a zone the suite does not read")
	}
	withEnv := func(env ...string) Target {
		return &command{cmdline: "./server {port}", p: &Process{cmd: &exec.Cmd{Env: env}}}
	}
	if zone, ok := ServerClock(withEnv("PATH=/bin", "TZ=UTC")); !ok || zone != time.UTC {
		t.Errorf("a command run with TZ=UTC: %v %v, want UTC true", zone, ok)
	}
	if zone, ok := ServerClock(withEnv("TZ=:UTC", "TZ=")); !ok || zone != time.UTC {
		t.Errorf("a command run with an empty TZ: %v %v, want UTC true", zone, ok)
	}
	if _, ok := ServerClock(withEnv("TZ=CST6CDT,M3.2.0,M11.1.0")); ok {
		t.Error("a POSIX TZ rule is a zone the suite does not read")
	}
}
