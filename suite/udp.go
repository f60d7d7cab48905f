package suite

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/onsi/gomega/types"
)

// maxDatagram is the largest UDP payload over IPv4 (RFC 768, RFC 791).
const maxDatagram = 65507

// A UDPConn is one UDP client: its own socket on 127.0.0.1 (or ::1),
// sending to the server and receiving from anyone, so that an answer from
// the wrong address is seen and reported rather than silently dropped (a
// connected UDP socket would filter it out). Reading is done by the
// matchers ReceiveDatagram and ReceiveNoDatagram.
type UDPConn struct {
	name   string
	pc     net.PacketConn
	server *net.UDPAddr
	tr     *Transcript
	buf    []byte
	recv   int64 // bytes received in all, datagram after datagram
}

// DialUDP opens a UDP client socket for sending to the client's server.
func (cl *Client) DialUDP(name string) (*UDPConn, error) {
	server, err := net.ResolveUDPAddr("udp", cl.addr)
	if err != nil {
		return nil, Errorf(NothingListening, "%s: cannot resolve %s: %v", name, cl.addr, err)
	}
	local := "127.0.0.1:0"
	if server.IP.To4() == nil {
		local = "[::1]:0"
	}
	pc, err := net.ListenPacket("udp", local)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot open a UDP socket: %v", name, err)
	}
	u := &UDPConn{name: name, pc: pc, server: server, tr: cl.tr}
	cl.tr.mark(name, ConnectEvent, ClientSide, "UDP socket %s, sending to %s", pc.LocalAddr(), server)
	cl.track(pc)
	return u, nil
}

// Name is the client's label in the transcript.
func (u *UDPConn) Name() string { return u.name }

// GoString keeps Gomega from dumping the socket's buffer (see Conn.GoString).
func (u *UDPConn) GoString() string { return "suite.UDPConn(" + u.name + ")" }

// Send sends one datagram to the server.
func (u *UDPConn) Send(p []byte) error {
	u.pc.SetWriteDeadline(time.Now().Add(WriteTimeout))
	if _, err := u.pc.WriteTo(p, u.server); err != nil {
		u.tr.mark(u.name, NoteEvent, ClientSide, "send failed: %v", err)
		return Errorf(ClosedEarly, "%s: sending a %d-byte datagram failed: %v", u.name, len(p), err)
	}
	u.tr.sent(u.name, p)
	return nil
}

// receive waits at most pollSlice for one datagram from anyone. It returns
// nil, nil, nil when none came in that time.
func (u *UDPConn) receive() ([]byte, net.Addr, error) {
	if u.buf == nil {
		u.buf = make([]byte, maxDatagram+1)
	}
	u.pc.SetReadDeadline(time.Now().Add(pollSlice))
	n, from, err := u.pc.ReadFrom(u.buf)
	switch {
	case err == nil:
		u.tr.received(u.name, u.buf[:n])
		u.recv += int64(n)
		return append([]byte{}, u.buf[:n]...), from, nil
	case os.IsTimeout(err):
		return nil, nil, nil
	default:
		// ICMP port unreachable shows up here as "connection refused".
		u.tr.mark(u.name, NoteEvent, ServerSide, "receive failed: %v", err)
		return nil, nil, err
	}
}

func notAUDPConn(actual any) error {
	return fmt.Errorf("suite: this matcher reads from a *suite.UDPConn, not a %T", actual)
}

// ReceiveDatagram succeeds when the next datagram is want and came from
// the server's address and port. On loopback nothing is lost, so no
// datagram in time is the server's fault; the failure says what was
// awaited and for how long.
func ReceiveDatagram[T string | []byte](want T, what string) types.GomegaMatcher {
	return &datagramMatcher{wire: newWire(what), want: []byte(want)}
}

type datagramMatcher struct {
	wire
	want []byte
}

func (m *datagramMatcher) Match(actual any) (bool, error) {
	u, ok := actual.(*UDPConn)
	if !ok {
		return false, notAUDPConn(actual)
	}
	if matched, done := m.poll(); done {
		return matched, nil
	}
	got, from, err := u.receive()
	switch {
	case err != nil && errors.Is(err, net.ErrClosed):
		m.set(true, ClosedEarly, "%s: socket closed while waiting for %s", u.name, m.what)
	case err != nil:
		m.set(true, NothingListening, "%s: waiting for %s: %v (is anything listening on UDP %s?)", u.name, m.what, err, u.server)
	case from == nil:
		m.set(false, TimedOut, "%s: no datagram within "+waitedMark+" while waiting for %s (on loopback nothing is lost)", u.name, m.what)
	case !sameUDPAddr(from, u.server):
		m.set(true, Violation, "%s: %s came from %s, not from the server's address %s", u.name, m.what, from, u.server)
	default:
		if d := DiffBytes(m.want, got); d != "" || len(got) != len(m.want) {
			u.tr.mismatched(u.name, newMismatch(m.what, m.want, got, commonPrefix(m.want, got), u.recv-int64(len(got))))
			m.set(true, WrongBytes, "%s: wrong datagram for %s (%d bytes expected, %d received): %s", u.name, m.what, len(m.want), len(got), d)
			return false, nil
		}
		m.ok()
		return true, nil
	}
	return false, nil
}

func sameUDPAddr(a net.Addr, b *net.UDPAddr) bool {
	f, ok := a.(*net.UDPAddr)
	return ok && f.IP.Equal(b.IP) && f.Port == b.Port
}

// ReceiveNoDatagram is for Consistently: it matches as long as no datagram
// arrives. why says when none is due ("after the one echo").
func ReceiveNoDatagram(why string) types.GomegaMatcher {
	return &noDatagramMatcher{wire: newWire(why)}
}

type noDatagramMatcher struct{ wire }

func (m *noDatagramMatcher) Match(actual any) (bool, error) {
	u, ok := actual.(*UDPConn)
	if !ok {
		return false, notAUDPConn(actual)
	}
	if matched, done := m.poll(); done {
		return matched, nil
	}
	got, from, err := u.receive()
	switch {
	case err != nil:
		m.set(true, NothingListening, "%s: waiting to see that nothing comes %s: %v (is anything listening on UDP %s?)", u.name, m.what, err, u.server)
	case from != nil:
		m.set(true, UnexpectedBytes, "%s: expected no datagram %s, but %s sent %s", u.name, m.what, from, Quote(got[:min(len(got), 64)]))
	default:
		return true, nil
	}
	return false, nil
}
