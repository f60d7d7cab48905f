#!/usr/bin/env python3
"""Chat room: every line a client sends goes to all the other clients.

Usage: python3 chat.py PORT [HOST]

A line L from the client at 127.0.0.1:5000 reaches the others as
"[127.0.0.1:5000]L\\n"; the sender does not get it back.

One thread serves every client: sockets are non-blocking and a selector
says which can be read or written without waiting. Each client has its own
output buffer, so one slow client never blocks a send to another.

Flow control: when a client falls MAX_QUEUE bytes behind, the room stops
reading anyone's lines until it catches up, so a fast sender cannot drown a
reader that is merely slower. A client that makes no progress at all for
STALL_TIMEOUT (it never reads) is dropped, and the room carries on.
"""
import selectors
import signal
import socket
import sys
import time

MAX_LINE = 4096          # longest line we relay; a longer one ends its sender
MAX_QUEUE = 256 * 1024   # unsent bytes for one client before the room waits for it
STALL_TIMEOUT = 1.0      # seconds we wait for such a client before dropping it
IDLE_TIMEOUT = 600       # seconds with no traffic at all before we drop a client
MAX_CLIENTS = 1000
READ, WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE

sel = selectors.DefaultSelector()
clients = {}             # socket -> Client
paused = False           # True while some client is MAX_QUEUE behind


class Client:
    def __init__(self, sock, addr):
        self.sock = sock
        host, port = addr[0], addr[1]
        name = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"  # IPv6 in brackets
        self.prefix = b"[" + name.encode() + b"]"
        self.inbuf = bytearray()    # start of a line whose "\n" has not come yet
        self.outbuf = bytearray()   # relayed lines not yet sent to this client
        self.events = 0             # what we currently ask the selector for
        self.behind_since = None    # when it last made progress while too far behind
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


def watch(client):
    """Tell the selector what we wait for: lines (unless the room is paused)
    and, while we owe this client bytes, room to send them."""
    events = (0 if paused else READ) | (WRITE if client.outbuf else 0)
    if events == client.events:
        return
    if not client.events:
        sel.register(client.sock, events, client)
    elif not events:
        sel.unregister(client.sock)
    else:
        sel.modify(client.sock, events, client)
    client.events = events


def update_pause():
    global paused
    behind = any(c.behind_since is not None for c in clients.values())
    if behind != paused:
        paused = behind
        for client in clients.values():
            watch(client)


def accept(srv):
    try:
        sock, addr = srv.accept()
    except OSError:          # e.g. the client already gave up, or out of fds
        return
    if len(clients) >= MAX_CLIENTS:
        sock.close()
        return
    sock.setblocking(False)
    client = Client(sock, addr)
    clients[sock] = client
    watch(client)            # joining announces nothing


def drop(client):
    if client.sock in clients:
        del clients[client.sock]
        if client.events:
            sel.unregister(client.sock)
        client.sock.close()
        if client.behind_since is not None:
            update_pause()


def relay(sender, message):
    for other in list(clients.values()):
        if other is not sender:
            other.outbuf += message     # whole lines only: they never interleave
            if len(other.outbuf) > MAX_QUEUE and other.behind_since is None:
                other.behind_since = time.monotonic()
                update_pause()
            watch(other)


def receive(client):
    try:
        data = client.sock.recv(16384)
    except BlockingIOError:
        return
    except OSError:                     # reset by the client
        drop(client)
        return
    if not data:                        # the client left; an unfinished line is dropped
        drop(client)
        return
    client.last = time.monotonic()
    # TCP delivers bytes, not lines: split out every complete line, and keep
    # the unfinished rest until more bytes arrive.
    client.inbuf += data
    *lines, client.inbuf = client.inbuf.split(b"\n")
    for line in lines:
        line = line.removesuffix(b"\r")
        if len(line) > MAX_LINE:
            drop(client)
            return
        relay(client, client.prefix + line + b"\n")
    if len(client.inbuf) > MAX_LINE + 1:  # a line too long to ever relay
        drop(client)


def send(client):
    try:
        sent = client.sock.send(client.outbuf)
    except BlockingIOError:
        return
    except OSError:                     # reset or gone
        drop(client)
        return
    del client.outbuf[:sent]
    client.last = time.monotonic()
    if client.behind_since is not None:
        if len(client.outbuf) <= MAX_QUEUE:
            client.behind_since = None  # caught up: the room may go on
            update_pause()
        else:
            client.behind_since = client.last   # still behind, but reading
    watch(client)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: chat.py PORT [HOST]")
    # A container's PID 1 gets no default action for SIGTERM: exit explicitly.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))

    srv = listen(sys.argv[2] if len(sys.argv) == 3 else "0.0.0.0", int(sys.argv[1]))
    srv.setblocking(False)
    sel.register(srv, READ, None)

    while True:
        for key, mask in sel.select(timeout=0.1 if paused else 1.0):
            client = key.data
            if client is None:
                accept(srv)
                continue
            # A relay earlier in this loop may have dropped this client, or
            # paused the room.
            if mask & READ and client.sock in clients and not paused:
                receive(client)
            if mask & WRITE and client.sock in clients:
                send(client)
        now = time.monotonic()
        for client in list(clients.values()):
            if client.behind_since is not None and now - client.behind_since > STALL_TIMEOUT:
                drop(client)            # it stopped reading: do not wait for it
            elif now - client.last > IDLE_TIMEOUT:
                drop(client)


if __name__ == "__main__":
    main()
