#!/usr/bin/env python3
"""TCP echo server (RFC 862): every byte a client sends comes straight back.

Usage: python3 echo.py PORT [HOST]

One thread serves every client: the sockets are non-blocking and a selector
tells us which of them can be read or written without waiting. So a client
that stalls, never reads, or vanishes can never hold up the others.
"""
import selectors
import signal
import socket
import sys
import time

MAX_PENDING = 64 * 1024  # stop reading from a client while this much is unsent
IDLE_TIMEOUT = 60        # seconds without any progress before we hang up
MAX_CLIENTS = 1000

sel = selectors.DefaultSelector()
conns = {}               # socket -> Conn


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.out = bytearray()   # bytes received but not yet echoed back
        self.eof = False         # the client has shut down its sending side
        self.events = selectors.EVENT_READ
        self.last = time.monotonic()


def listen(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, port))
    srv.listen(512)
    shown = f"[{host}]" if ":" in host else host
    print(f"listening on {shown}:{srv.getsockname()[1]}", flush=True)
    return srv


def accept(srv):
    try:
        sock, _ = srv.accept()
    except OSError:          # e.g. the client already gave up, or out of fds
        return
    if len(conns) >= MAX_CLIENTS:
        sock.close()
        return
    sock.setblocking(False)
    conn = Conn(sock)
    conns[sock] = conn
    sel.register(sock, conn.events, conn)


def close(conn):
    sel.unregister(conn.sock)
    del conns[conn.sock]
    conn.sock.close()


def service(conn, mask):
    """Move bytes: read what arrived, send back what we can, never block."""
    if mask & selectors.EVENT_READ:
        try:
            data = conn.sock.recv(65536)
        except BlockingIOError:
            data = None
        except OSError:          # connection reset: just forget the client
            close(conn)
            return
        if data == b"":
            conn.eof = True      # half-close: flush what is left, then close
        elif data:
            conn.out += data
            conn.last = time.monotonic()

    if conn.out:                 # send now rather than waiting for a round trip
        try:
            sent = conn.sock.send(conn.out)
            del conn.out[:sent]
            conn.last = time.monotonic()
        except BlockingIOError:
            pass                 # the kernel's send buffer is full: wait
        except OSError:
            close(conn)
            return

    if conn.eof and not conn.out:
        close(conn)              # all echoed: our FIN tells the client we are done
        return

    # Read only while the backlog is small: a client that sends but never
    # reads is slowed down by TCP flow control instead of eating our memory.
    events = 0
    if not conn.eof and len(conn.out) < MAX_PENDING:
        events |= selectors.EVENT_READ
    if conn.out:
        events |= selectors.EVENT_WRITE
    if events != conn.events:
        conn.events = events
        sel.modify(conn.sock, events, conn)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: echo.py PORT [HOST]")
    # A container's PID 1 gets no default action for SIGTERM: exit explicitly.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))

    srv = listen(sys.argv[2] if len(sys.argv) == 3 else "0.0.0.0", int(sys.argv[1]))
    srv.setblocking(False)
    sel.register(srv, selectors.EVENT_READ, None)

    while True:
        for key, mask in sel.select(timeout=1.0):
            if key.data is None:
                accept(srv)
            else:
                service(key.data, mask)
        now = time.monotonic()
        for conn in [c for c in conns.values() if now - c.last > IDLE_TIMEOUT]:
            close(conn)


if __name__ == "__main__":
    main()
