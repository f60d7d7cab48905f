#!/usr/bin/env python3
"""Greeting client (specs/greeter-client.md): send names, print the greetings.

Usage: python3 greeter_client.py HOST PORT

The names come from stdin, one per line; everything the server sends (its
welcome, then a greeting per name) comes out on stdout, byte for byte. At
the end of stdin it says `exit`, and the program ends when the server
closes the connection. Two things make that work:

- Sending and printing are independent, in two threads. The tutorial
  client takes turns (one recv() for the welcome, one per name), as if each
  message came in one piece; TCP is a byte stream, so the welcome may come
  in three reads and two greetings in one. Here the main thread copies
  whatever arrives to stdout until the server's EOF, however it is split,
  and does not care which name it answers.
- Every wait on the server is bounded: a server that says nothing for 4 s
  is an error, not a hang.
"""
import os
import socket
import sys
import threading

TIMEOUT = 4.0  # seconds: to connect, and for each wait on the server


def fail(message):
    """One line on stderr, exit status 1: what a script running us can test."""
    print(f"greeter_client: {message}", file=sys.stderr)
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
    """Sends each line of stdin as a name, then `exit`."""

    def __init__(self, sock):
        super().__init__(daemon=True)  # a blocked stdin read must not keep us alive
        self.sock = sock
        self.lock = threading.Lock()  # held while sending (see the EOF in main)
        self.error = None             # why sending failed, if it did

    def send(self, data):
        """sendall(), its error kept for the main thread to report."""
        with self.lock:
            try:
                self.sock.sendall(data)
            except OSError as err:
                self.error = err
                raise

    def run(self):
        try:
            # Bytes as they come: os.read() on stdin's file descriptor
            # returns what is there (a terminal gives a line at a time), and
            # it goes out unchanged, each line with its b"\n" (input() would
            # drop it, and the server would wait for the end of the line),
            # a name that is not ASCII as the bytes it was. Not
            # sys.stdin.buffer: it holds a lock while a read blocks, and
            # when we fail while the user is still typing, the interpreter's
            # exit would wait for that lock and abort with a fatal error.
            last = b"\n"  # the last byte sent: does the last line need an end?
            while data := os.read(sys.stdin.fileno(), 65536):
                self.send(data)
                last = data[-1:]
            if last != b"\n":
                self.send(b"\n")  # a last name without its line end is a name too
            # The end of stdin: tell the server we are done. It answers by
            # closing the connection, which ends the main thread's loop.
            self.send(b"exit\n")
        except OSError:
            # A reset, or a server that stopped reading: the main thread
            # reports it (self.error), or its recv() times out.
            pass


def main():
    if len(sys.argv) != 3:
        print("usage: greeter_client.py HOST PORT", file=sys.stderr)
        sys.exit(2)
    host, port = sys.argv[1], sys.argv[2]
    try:
        # The timeout stays on the socket: every recv below waits at most
        # TIMEOUT, so a server that goes silent cannot hang us.
        sock = socket.create_connection((host, int(port)), timeout=TIMEOUT)
    except (OSError, ValueError) as err:
        fail(f"cannot connect to {host}:{port}: {why(err) if isinstance(err, OSError) else err}")

    sender = Sender(sock)
    sender.start()
    stdout = sys.stdout.buffer
    with sock:
        while True:
            try:
                data = sock.recv(65536)
            except OSError as err:  # a reset, or the timeout
                fail(f"{host}:{port}: {why(err)}")
            if not data:  # EOF: the server has answered our exit, or ...
                # ... a reset that the sender's send() took: the kernel
                # reports a connection's error once, to whichever call
                # comes first, and then recv() sees only an end of data.
                # Let a send in progress end, and take its error as ours.
                with sender.lock:
                    if sender.error is not None:
                        fail(f"{host}:{port}: sending: {why(sender.error)}")
                break
            # The bytes as they came: not decoded (a name need not be
            # ASCII), no newline that the server did not send, and flushed
            # so that someone typing names sees each greeting at once.
            stdout.write(data)
            stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
