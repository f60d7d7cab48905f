#!/usr/bin/env python3
"""Welcome client (specs/welcome-client.md): print a server's banner.

Usage: python3 welcome_client.py HOST PORT

It connects, sends nothing, and copies every byte the server sends to stdout
until the server closes the connection. The banner that arrives in one recv()
on your machine may arrive in several elsewhere (TCP is a byte stream, not
messages), so only the server's EOF says it is complete.
"""
import socket
import sys

TIMEOUT = 4.0  # seconds: to connect, and for each wait on the server


def fail(message):
    """One line on stderr, exit status 1: what a script running us can test."""
    print(f"welcome_client: {message}", file=sys.stderr)
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


def main():
    if len(sys.argv) != 3:
        print("usage: welcome_client.py HOST PORT", file=sys.stderr)
        sys.exit(2)
    host, port = sys.argv[1], sys.argv[2]
    try:
        # The timeout stays on the socket: every recv below waits at most
        # TIMEOUT, so a server that goes silent cannot hang us.
        sock = socket.create_connection((host, int(port)), timeout=TIMEOUT)
    except (OSError, ValueError) as err:
        fail(f"cannot connect to {host}:{port}: {why(err) if isinstance(err, OSError) else err}")

    stdout = sys.stdout.buffer
    with sock:
        while True:
            try:
                data = sock.recv(65536)
            except OSError as err:  # a reset, or the timeout
                fail(f"{host}:{port}: {why(err)}")
            if not data:  # EOF: the server has said all it will say
                break
            # The bytes as they came: not decoded (they need not be text),
            # and no newline that the server did not send.
            stdout.write(data)
            stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
