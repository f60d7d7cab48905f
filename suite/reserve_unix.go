//go:build unix

package suite

import (
	"fmt"
	"syscall"
)

// ReservePort binds a TCP socket to a free port of 127.0.0.1 and does not
// listen on it: a connection to the address is refused, as where nothing
// listens, and no other program can take the port until closeIt is
// called.
func ReservePort() (addr string, closeIt func(), err error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return "", nil, err
	}
	syscall.CloseOnExec(fd) // the clients the suite runs must not hold it
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		syscall.Close(fd)
		return "", nil, err
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		syscall.Close(fd)
		return "", nil, err
	}
	port := sa.(*syscall.SockaddrInet4).Port
	return fmt.Sprintf("127.0.0.1:%d", port), func() { syscall.Close(fd) }, nil
}
