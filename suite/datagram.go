package suite

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// maxDatagram is the largest UDP payload over IPv4 (RFC 768, RFC 791).
const maxDatagram = 65507

// A Datagrams is one UDP client: its own socket on 127.0.0.1 (or ::1),
// sending to the server and receiving from anyone, so that an answer from
// the wrong address is seen and reported rather than silently dropped (a
// connected UDP socket would filter it out).
type Datagrams struct {
	name   string
	pc     net.PacketConn
	server *net.UDPAddr
	tr     *Transcript
}

// DialUDP opens a UDP client socket for sending to the session's server.
func (s *Session) DialUDP(name string) (*Datagrams, error) {
	server, err := net.ResolveUDPAddr("udp", s.addr)
	if err != nil {
		return nil, Errorf(NothingListening, "%s: cannot resolve %s: %v", name, s.addr, err)
	}
	local := "127.0.0.1:0"
	if server.IP.To4() == nil {
		local = "[::1]:0"
	}
	pc, err := net.ListenPacket("udp", local)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot open a UDP socket: %v", name, err)
	}
	d := &Datagrams{name: name, pc: pc, server: server, tr: s.tr}
	s.tr.Note(name, "UDP socket %s, sending to %s", pc.LocalAddr(), server)
	s.mu.Lock()
	s.closers = append(s.closers, pc)
	s.mu.Unlock()
	return d, nil
}

// Name is the client's label in the transcript.
func (d *Datagrams) Name() string { return d.name }

// LocalAddr is the client's address, as "host:port".
func (d *Datagrams) LocalAddr() string { return d.pc.LocalAddr().String() }

// Send sends one datagram to the server.
func (d *Datagrams) Send(p []byte) error {
	d.pc.SetWriteDeadline(time.Now().Add(WriteTimeout))
	if _, err := d.pc.WriteTo(p, d.server); err != nil {
		d.tr.Note(d.name, "send failed: %v", err)
		return Errorf(ClosedEarly, "%s: sending a %d-byte datagram failed: %v", d.name, len(p), err)
	}
	d.tr.sent(d.name, p)
	return nil
}

// Receive waits for the next datagram from anyone and returns it with its
// sender. On loopback nothing is lost, so a timeout is the server's fault;
// the error says how long the client waited for what.
func (d *Datagrams) Receive(what string, within time.Duration) ([]byte, net.Addr, error) {
	d.pc.SetReadDeadline(time.Now().Add(within))
	buf := make([]byte, maxDatagram+1)
	n, from, err := d.pc.ReadFrom(buf)
	switch {
	case err == nil:
		d.tr.received(d.name, buf[:n])
		return buf[:n], from, nil
	case os.IsTimeout(err):
		return nil, nil, Errorf(TimedOut, "%s: no datagram within %v while waiting for %s (on loopback nothing is lost)", d.name, within, what)
	case errors.Is(err, net.ErrClosed):
		return nil, nil, Errorf(ClosedEarly, "%s: socket closed while waiting for %s", d.name, what)
	default:
		// ICMP port unreachable shows up here as "connection refused".
		d.tr.Note(d.name, "receive failed: %v", err)
		return nil, nil, Errorf(NothingListening, "%s: waiting for %s: %v (is anything listening on UDP %s?)", d.name, what, err, d.server)
	}
}

// Expect receives one datagram and checks that it is want and that it came
// from the server's address and port.
func (d *Datagrams) Expect(want []byte, what string, within time.Duration) error {
	got, from, err := d.Receive(what, within)
	if err != nil {
		return err
	}
	if f, ok := from.(*net.UDPAddr); !ok || !f.IP.Equal(d.server.IP) || f.Port != d.server.Port {
		return Errorf(Violation, "%s: %s came from %s, not from the server's address %s", d.name, what, from, d.server)
	}
	if d := DiffBytes(want, got); d != "" || len(got) != len(want) {
		return Errorf(WrongBytes, "wrong datagram for %s (%d bytes expected, %d received): %s", what, len(want), len(got), d)
	}
	return nil
}

// ExpectQuiet checks that no datagram arrives during a bounded quiet window.
func (d *Datagrams) ExpectQuiet(window time.Duration, why string) error {
	got, from, err := d.Receive("nothing", window)
	if err == nil {
		return Errorf(UnexpectedBytes, "%s: expected no datagram %s, but %s sent %s", d.name, why, from, Quote(got[:min(len(got), 64)]))
	}
	if IsKind(err, TimedOut) {
		return nil
	}
	return err
}
