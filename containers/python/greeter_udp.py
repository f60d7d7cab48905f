#!/usr/bin/env python3
"""Greeting server over UDP: each datagram is a name, answered "Hello, NAME!".

Usage: python3 greeter_udp.py PORT [HOST]

UDP has no connections and no lines: one datagram in, one datagram out, sent
back to the address and port it came from. The name is bytes and goes back
unchanged; no newline is added. An empty datagram gets "Hello, !".

One thread and one socket serve everyone. There is no per-client state to
bound: each datagram is answered and forgotten.
"""
import signal
import socket
import sys

MAX_DATAGRAM = 65535   # receive buffer: no UDP payload is larger, so none is cut short


def bind(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((host, port))
    shown = f"[{host}]" if ":" in host else host
    print(f"listening on {shown}:{sock.getsockname()[1]}", flush=True)
    return sock


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: greeter_udp.py PORT [HOST]")
    # A container's PID 1 gets no default action for SIGTERM: exit explicitly.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))

    sock = bind(sys.argv[2] if len(sys.argv) == 3 else "0.0.0.0", int(sys.argv[1]))
    while True:
        try:
            name, sender = sock.recvfrom(MAX_DATAGRAM)
        except OSError:          # e.g. an ICMP error for an earlier answer
            continue
        # Answer from the same socket, so the reply comes from our port, and
        # to the sender's own address and port (the client may have several).
        try:
            sock.sendto(b"Hello, " + name + b"!", sender)
        except OSError:          # e.g. the greeting for a 65500-byte name
            pass                 # does not fit in one datagram: no answer


if __name__ == "__main__":
    main()
