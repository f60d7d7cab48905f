package containers

import "time"

// ServerClock makes the containers of this project's implementations
// suite.ClockKnowers: a container reads the host's clock (there is one
// kernel), and our Dockerfiles set TZ=UTC, so the server's local time is
// UTC. Only ImplTarget makes hardened targets; anyone's own --image runs in
// a zone we cannot know (its TZ, its /etc/localtime), so its clock is
// unknown and the timestamp-echo specs check only what holds in any zone.
func (t *containerTarget) ServerClock() (*time.Location, bool) {
	if !t.hardened {
		return nil, false
	}
	return time.UTC, true
}
