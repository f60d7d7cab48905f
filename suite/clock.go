package suite

import (
	"os"
	"strings"
	"time"
)

// A ClockKnower is a Target that knows its server's clock: the server reads
// the same clock as the suite (it runs on this machine), and its local time
// is in a time zone the target knows. The interface is optional: the specs
// look for it with a type assertion (see ServerClock), and a target without
// it is taken to serve from an unknown clock in an unknown zone, as a
// server at an --addr does. The timestamp-echo specs use it to compare the
// server's timestamps with their own clock.
type ClockKnower interface {
	// ServerClock reports whether the server reads the suite's own clock
	// and, if so, the zone its local time is in.
	ServerClock() (zone *time.Location, known bool)
}

// ServerClock returns the zone of the server's local time when t knows
// that the server reads the suite's clock (see ClockKnower).
func ServerClock(t Target) (zone *time.Location, known bool) {
	if k, ok := t.(ClockKnower); ok {
		return k.ServerClock()
	}
	return nil, false
}

// ServerClock: a server in this process reads our clock, in our zone.
func (t *inProcess) ServerClock() (*time.Location, bool) { return time.Local, true }

// ServerClock: a local process reads our clock. Its zone is what the TZ of
// its environment names: the command's own environment when the target
// gives it one (TZ=UTC there makes it UTC), else ours, which it inherits
// and which then gives the process and the suite the same zone. A command
// line that sets TZ itself ("TZ=Asia/Shanghai ./server {port}") runs in a
// zone we do not read: unknown.
func (t *command) ServerClock() (*time.Location, bool) {
	if strings.Contains(t.cmdline, "TZ=") {
		return nil, false
	}
	if t.p == nil || t.p.cmd == nil || t.p.cmd.Env == nil {
		return time.Local, true // it inherits our environment
	}
	tz, set := "", false
	for _, kv := range t.p.cmd.Env { // the last one wins, as in exec
		if v, ok := strings.CutPrefix(kv, "TZ="); ok {
			tz, set = v, true
		}
	}
	if ours, oursSet := os.LookupEnv("TZ"); set == oursSet && tz == ours {
		return time.Local, true
	}
	if !set {
		return localtimeFile()
	}
	return zoneNamed(tz)
}

// zoneNamed is the zone a TZ value names, as the C library reads it: an
// empty value is UTC, a leading ':' is dropped, and the rest is a zone
// name. A value that names no zone we can load (a POSIX rule such as
// "CST6CDT,M3.2.0,M11.1.0") is unknown.
func zoneNamed(tz string) (*time.Location, bool) {
	tz = strings.TrimPrefix(tz, ":")
	switch tz {
	case "", "UTC", "UTC0", "GMT", "GMT0":
		return time.UTC, true
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, false
	}
	return loc, true
}

// localtimeFile is the zone of a process without TZ: /etc/localtime, or
// UTC when there is none.
func localtimeFile() (*time.Location, bool) {
	data, err := os.ReadFile("/etc/localtime")
	if os.IsNotExist(err) {
		return time.UTC, true
	}
	if err != nil {
		return nil, false
	}
	loc, err := time.LoadLocationFromTZData("Local", data)
	if err != nil {
		return nil, false
	}
	return loc, true
}
