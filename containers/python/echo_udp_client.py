#!/usr/bin/env python3
"""UDP echo client (specs/echo-udp-client.md): send stdin as one datagram, print the answer.

Usage: python3 echo_udp_client.py HOST PORT

Over UDP two things TCP did are the client's own job: knowing who answered
(anyone can send a datagram to our port) and knowing when to stop waiting (a
lost datagram is never reported). A connected socket does the first: the
kernel then delivers only datagrams from the server's address and port. A
receive timeout does the second.
"""
import socket
import sys

TIMEOUT = 4.0          # seconds to wait for the answer
MAX_DATAGRAM = 65507   # the largest UDP payload over IPv4


def fail(message):
    """One line on stderr, exit status 1: what a script running us can test."""
    print(f"echo_udp_client: {message}", file=sys.stderr)
    sys.exit(1)


def why(err):
    """A network error in a few words."""
    if isinstance(err, ConnectionRefusedError):
        # On a connected UDP socket, the ICMP "port unreachable" that a
        # host sends back when nothing listens comes back as this error.
        return "connection refused (nothing listens there)"
    if isinstance(err, socket.timeout):
        return f"no answer within {TIMEOUT:g} s"
    return err.strerror or str(err)


def main():
    if len(sys.argv) != 3:
        print("usage: echo_udp_client.py HOST PORT", file=sys.stderr)
        sys.exit(2)
    host, port = sys.argv[1], sys.argv[2]

    # The whole of stdin, as bytes, is the message: one datagram.
    message = sys.stdin.buffer.read(MAX_DATAGRAM + 1)
    if len(message) > MAX_DATAGRAM:
        fail(f"stdin holds more than {MAX_DATAGRAM} bytes, more than one datagram")

    try:
        addr = socket.getaddrinfo(host, int(port), type=socket.SOCK_DGRAM)[0]
    except (OSError, ValueError) as err:
        fail(f"{host}:{port}: {err}")
    family, type_, proto, _, sockaddr = addr
    with socket.socket(family, type_, proto) as sock:
        sock.settimeout(TIMEOUT)
        try:
            sock.connect(sockaddr)  # no packet sent: it fixes our one peer
            sock.send(message)
            answer = sock.recv(65535)  # room for any datagram: a smaller buffer cuts it
        except OSError as err:
            fail(f"{host}:{port}: {why(err)}")
    sys.stdout.buffer.write(answer)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
