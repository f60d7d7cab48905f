#!/usr/bin/env python3
"""UDP echo server (RFC 862): each datagram comes straight back, unchanged.

Usage: python3 echo_udp.py PORT [HOST]

UDP has no connections: every datagram carries its sender's address and
port, and the echo goes back there, from the socket it arrived on (so from
our port). An empty datagram is echoed as an empty datagram.

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
        sys.exit("usage: echo_udp.py PORT [HOST]")
    # A container's PID 1 gets no default action for SIGTERM: exit explicitly.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))

    sock = bind(sys.argv[2] if len(sys.argv) == 3 else "0.0.0.0", int(sys.argv[1]))
    while True:
        try:
            data, sender = sock.recvfrom(MAX_DATAGRAM)
        except OSError:          # e.g. an ICMP error for an earlier echo
            continue
        try:
            sock.sendto(data, sender)
        except OSError:          # e.g. the sender's address is unreachable
            pass                 # UDP promises nothing: drop it and go on


if __name__ == "__main__":
    main()
