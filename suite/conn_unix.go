//go:build unix

package suite

import "golang.org/x/sys/unix"

// pollReset waits at most pollSlice for an error or hang-up on the socket
// (poll with no events asked: only POLLERR and POLLHUP), without reading,
// and reports whether the server reset the connection. It sees an RST that
// arrives after the server's FIN, which a read that already returned EOF
// cannot.
func (c *Conn) pollReset() bool {
	raw, err := c.nc.SyscallConn()
	if err != nil {
		return false
	}
	var revents int16
	raw.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd)}}
		if n, err := unix.Poll(fds, int(pollSlice.Milliseconds())); err == nil && n > 0 {
			revents = fds[0].Revents
		}
	})
	if revents&(unix.POLLERR|unix.POLLHUP) != 0 {
		c.tr.mark(c.name, ResetEvent, ServerSide, "connection reset by server (RST)")
		return true
	}
	return false
}
