#!/usr/bin/env python3
"""UDP greeting client (specs/greeter-udp-client.md): a datagram per name, an answer per line.

Usage: python3 greeter_udp_client.py HOST PORT

Each line of stdin, without its line end, is a name: one datagram to the
server. Its answer is one datagram back, printed with a b"\\n" after it.
The next name goes out once the answer has come, so the answers come out
in the order of the names.

Over UDP two things TCP did are the client's own job: knowing who answered
(anyone can send a datagram to our port) and knowing when to stop waiting
(a lost datagram is never reported). A connected socket does the first:
the kernel then delivers only datagrams from the server's address and
port. A receive timeout does the second.
"""
import socket
import sys

TIMEOUT = 4.0  # seconds to wait for each answer


def fail(message):
    """One line on stderr, exit status 1: what a script running us can test."""
    print(f"greeter_udp_client: {message}", file=sys.stderr)
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
        print("usage: greeter_udp_client.py HOST PORT", file=sys.stderr)
        sys.exit(2)
    host, port = sys.argv[1], sys.argv[2]
    try:
        addr = socket.getaddrinfo(host, int(port), type=socket.SOCK_DGRAM)[0]
    except (OSError, ValueError) as err:
        fail(f"{host}:{port}: {err}")
    family, type_, proto, _, sockaddr = addr

    stdout = sys.stdout.buffer
    with socket.socket(family, type_, proto) as sock:
        sock.settimeout(TIMEOUT)
        try:
            sock.connect(sockaddr)  # no packet sent: it fixes our one peer
        except OSError as err:
            fail(f"{host}:{port}: {why(err)}")
        # Bytes, line by line: a name that is not ASCII goes out as the
        # bytes it was, and a last line without b"\n" is a name too.
        for line in iter(sys.stdin.buffer.readline, b""):
            # The line end is not part of the name: over UDP the datagram
            # is the message, and the server would greet "Ada\n".
            name = line.removesuffix(b"\n").removesuffix(b"\r")
            try:
                sock.send(name)
                answer = sock.recv(65535)  # room for any datagram: a smaller buffer cuts it
            except OSError as err:  # the timeout, or "port unreachable"
                fail(f"no answer to {name!r} from {host}:{port}: {why(err)}")
            # The answer's bytes as they came (not decoded), then the line
            # end that UDP did not need and stdout does.
            stdout.write(answer + b"\n")
            stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
