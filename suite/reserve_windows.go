package suite

import "net"

// ReservePort on Windows lets the port go: a connection to it is refused,
// and another program may take it meanwhile (client checks run on Unix).
func ReservePort() (addr string, closeIt func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr = ln.Addr().String()
	ln.Close()
	return addr, func() {}, nil
}
