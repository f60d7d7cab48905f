#!/usr/bin/env python3
"""Echo client (specs/echo-client.md): send stdin to an echo server, print what comes back.

Usage: python3 echo_client.py HOST PORT

It behaves like a Unix filter: the bytes of stdin go to the server unchanged,
the bytes the server sends come out on stdout unchanged, and the program ends
when the server closes the connection. Two things make that work:

- Sending and receiving happen at the same time, in two threads. A client
  that sent all its input before reading would deadlock with the server as
  soon as the socket buffers in both directions are full.
- At the end of stdin it shuts down its sending side (a FIN): that is how the
  server learns we are done. From then on, a server that says nothing for
  4 s is an error, not a hang.
"""
import os
import socket
import sys
import threading
import time

TIMEOUT = 4.0  # seconds: to connect, and of silence from the server after our FIN


def fail(message):
    """One line on stderr, exit status 1: what a script running us can test."""
    print(f"echo_client: {message}", file=sys.stderr)
    sys.exit(1)


def why(err):
    """A network error in a few words."""
    if isinstance(err, ConnectionRefusedError):
        return "connection refused (nothing listens there)"
    if isinstance(err, ConnectionResetError):
        return "connection reset by the server"
    if isinstance(err, socket.timeout):
        return f"no answer within {TIMEOUT:g} s"
    return err.strerror or str(err)


class Sender(threading.Thread):
    """Copies stdin to the socket, then half-closes it."""

    def __init__(self, sock):
        super().__init__(daemon=True)  # a blocked stdin read must not keep us alive
        self.sock = sock
        self.finished_at = None  # monotonic time of our FIN, once sent
        self.error = None        # why sending failed, if it did

    def run(self):
        try:
            # os.read() on stdin's file descriptor returns what is there (at
            # least one byte) without waiting for a buffer to fill: a typed
            # line is sent at once. Not sys.stdin.buffer: it holds a lock
            # while a read blocks, and when the server closes before our
            # stdin ends, the interpreter's exit would wait for that lock
            # and abort with a fatal error.
            while data := os.read(sys.stdin.fileno(), 65536):
                self.sock.sendall(data)
            self.sock.shutdown(socket.SHUT_WR)
            self.finished_at = time.monotonic()
        except OSError as err:
            # A reset shows up on the receiving side too; a server that
            # stopped reading (sendall timed out) only here.
            self.error = err


def main():
    if len(sys.argv) != 3:
        print("usage: echo_client.py HOST PORT", file=sys.stderr)
        sys.exit(2)
    host, port = sys.argv[1], sys.argv[2]
    try:
        sock = socket.create_connection((host, int(port)), timeout=TIMEOUT)
    except (OSError, ValueError) as err:
        fail(f"cannot connect to {host}:{port}: {why(err) if isinstance(err, OSError) else err}")

    sender = Sender(sock)
    sender.start()
    stdout = sys.stdout.buffer
    last_heard = time.monotonic()  # when the server last sent something
    with sock:
        while True:
            # While we are still sending, the server owes us nothing: a user
            # may pause as long as they like. After our FIN, the server may
            # be silent for TIMEOUT, counted from the FIN or from its last
            # piece, whichever is later. (Only this thread sets the timeout;
            # the sender's sendall keeps the one it started with.)
            if sender.error is not None:
                fail(f"{host}:{port}: sending: {why(sender.error)}")
            if sender.finished_at is None:
                wait = TIMEOUT
            else:
                wait = max(sender.finished_at, last_heard) + TIMEOUT - time.monotonic()
                if wait <= 0:
                    fail(f"{host}:{port}: the server said nothing for {TIMEOUT:g} s after the end of our input")
            sock.settimeout(wait)
            try:
                data = sock.recv(65536)
            except socket.timeout:
                continue  # the check above decides whether that was too long
            except OSError as err:
                fail(f"{host}:{port}: {why(err)}")
            if not data:  # the server's EOF: the echo is complete
                break
            last_heard = time.monotonic()
            # Bytes as they came: no decoding, no newline added, and flushed
            # so that someone typing sees the echo at once.
            stdout.write(data)
            stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
