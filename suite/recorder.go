package suite

import (
	"bytes"
	"errors"
	"io"
	"net"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// A Recorder is a TCP proxy that records, in the session's transcript,
// everything a real client (a browser) and the server say to each other,
// so that a check can see which requests the client made and what the
// server answered to each.
type Recorder struct {
	ln     net.Listener
	target string
	tr     *Transcript
	wg     sync.WaitGroup

	mu      sync.Mutex
	streams []*recorded
	open    map[net.Conn]bool
}

type recorded struct {
	name             string
	toServer, toUser bytes.Buffer // each cut at 1 MiB
}

// Record starts a recording proxy in front of the client's server and
// returns it; point the program at its Addr. Close stops it.
func (cl *Client) Record(name string) (*Recorder, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Recorder{ln: ln, target: cl.addr, tr: cl.tr, open: map[net.Conn]bool{}}
	r.wg.Go(func() { r.accept(name) })
	cl.track(r)
	return r, nil
}

// Addr is where the client should connect.
func (r *Recorder) Addr() string { return r.ln.Addr().String() }

func (r *Recorder) accept(name string) {
	for n := 1; ; n++ {
		client, err := r.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.DialTimeout("tcp", r.target, DialTimeout)
		if err != nil {
			r.tr.mark(name, NoteEvent, ClientSide, "proxy could not reach the server: %v", err)
			client.Close()
			continue
		}
		rec := &recorded{name: name + "#" + strconv.Itoa(n)}
		r.mu.Lock()
		r.streams = append(r.streams, rec)
		r.open[client], r.open[server] = true, true
		r.mu.Unlock()
		r.tr.mark(rec.name, ConnectEvent, ClientSide, "connected through the recording proxy")
		r.wg.Go(func() { r.pipe(rec, client, server, true) })
		r.wg.Go(func() { r.pipe(rec, server, client, false) })
	}
}

// pipe copies from one side to the other, recording as it goes.
func (r *Recorder) pipe(rec *recorded, from, to net.Conn, toServer bool) {
	buf := make([]byte, 32<<10)
	for {
		from.SetReadDeadline(time.Now().Add(30 * time.Second))
		n, err := from.Read(buf)
		if n > 0 {
			r.mu.Lock()
			dst := &rec.toUser
			if toServer {
				dst = &rec.toServer
			}
			if dst.Len() < maxProgramOutput {
				dst.Write(buf[:n])
			}
			r.mu.Unlock()
			if toServer {
				r.tr.sent(rec.name, buf[:n])
			} else {
				r.tr.received(rec.name, buf[:n])
			}
			to.Write(buf[:n])
		}
		if err != nil {
			if tc, ok := to.(*net.TCPConn); ok && errors.Is(err, io.EOF) {
				tc.CloseWrite()
			} else {
				to.Close()
			}
			return
		}
	}
}

// Close stops the proxy and every connection through it.
func (r *Recorder) Close() error {
	r.ln.Close()
	r.mu.Lock()
	for c := range r.open {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
	return nil
}

var requestLine = regexp.MustCompile(`(?m)^([A-Z]+) (\S+) HTTP/1\.\d\r?$`)

// statuses parses the responses in a recorded server-to-client stream,
// as answers to the given requests in order (HTTP/1.1 pairs them so), and
// returns their status codes. It stops at the first response that is
// incomplete or not HTTP.
func statuses(stream []byte, methods []string) []int {
	var codes []int
	for _, method := range methods {
		r, n, err := ParseResponse(stream, method, true, "the response to "+method)
		if err != nil {
			break
		}
		codes = append(codes, r.StatusCode)
		stream = stream[n:]
	}
	return codes
}

// StatusOf returns the status the server gave to the client's request for
// target (e.g. "GET /favicon.ico"), pairing requests and responses in order
// on each connection, as HTTP/1.1 does. ok is false when no such request
// was made; status is 0 when it got no response.
func (r *Recorder) StatusOf(method, target string) (status int, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range r.streams {
		requests := requestLine.FindAllStringSubmatch(rec.toServer.String(), -1)
		var methods []string
		for _, req := range requests {
			methods = append(methods, req[1])
		}
		codes := statuses(rec.toUser.Bytes(), methods)
		for i, req := range requests {
			if req[1] == method && req[2] == target {
				if i < len(codes) {
					status = codes[i]
				}
				return status, true
			}
		}
	}
	return 0, false
}
