#!/usr/bin/env python3
"""Greeting server: "Welcome!", then "Hello, NAME!" for every name, until "exit".

Usage: python3 greeter.py PORT [HOST]

A client sends one name per line ("\\n", or "\\r\\n"); each is answered with
"Hello, NAME!\\n", in order. The line "exit" ends the conversation: we close
without a reply. Names are bytes and go back unchanged.

One thread per client, so a client that stays silent cannot make the others
wait. TCP is a byte stream: one recv() may return two names, or half of one,
so we keep the unfinished end of a line until its "\\n" arrives.
"""
import signal
import socket
import sys
import threading
import time

WELCOME = b"Welcome!\n"
MAX_LINE = 4096     # longest name we answer; a longer line ends the connection
IDLE_TIMEOUT = 60   # seconds a client may stay silent (or not read) before we hang up
LINGER = 2.0        # seconds we wait for the client to close after "exit"
MAX_CLIENTS = 128   # at most this many threads; later clients wait in the backlog


def listen(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, port))
    srv.listen(512)
    shown = f"[{host}]" if ":" in host else host
    print(f"listening on {shown}:{srv.getsockname()[1]}", flush=True)
    return srv


def converse(conn):
    """Answer names until "exit" or the client's EOF. Return True on "exit"."""
    conn.settimeout(IDLE_TIMEOUT)   # bounds every recv() and sendall() below
    conn.sendall(WELCOME)           # before the client says anything
    buf = bytearray()               # the start of a line whose "\n" has not come yet
    while True:
        data = conn.recv(16384)
        if not data:                # EOF: an unfinished line gets no answer
            return False
        buf += data
        *lines, rest = buf.split(b"\n")
        buf = bytearray(rest)
        replies = []
        for line in lines:
            line = line.removesuffix(b"\r")
            if line == b"exit" or len(line) > MAX_LINE:
                # Greetings for the names before "exit" still go out first.
                conn.sendall(b"".join(replies))
                return True
            replies.append(b"Hello, " + line + b"!\n")
        if replies:                 # all the answers to one read in one send
            conn.sendall(b"".join(replies))
        if len(buf) > MAX_LINE + 1:  # room for "\r": a line too long to ever answer
            return True


def serve(conn, slots):
    try:
        if converse(conn):
            # We end the conversation: send FIN, then read and discard what
            # the client still sends. Closing a socket with unread data makes
            # the kernel send RST instead of FIN, and an RST can destroy our
            # last greetings before the client has read them.
            conn.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + LINGER
            while (left := deadline - time.monotonic()) > 0:
                conn.settimeout(left)
                if not conn.recv(4096):     # b"" is the client's FIN
                    break
    except OSError:                 # reset, broken pipe, timeout
        pass
    finally:
        conn.close()
        slots.release()


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: greeter.py PORT [HOST]")
    # A container's PID 1 gets no default action for SIGTERM: exit explicitly.
    # The client threads are daemons, so they do not keep the process alive.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))

    srv = listen(sys.argv[2] if len(sys.argv) == 3 else "0.0.0.0", int(sys.argv[1]))
    slots = threading.BoundedSemaphore(MAX_CLIENTS)
    while True:
        slots.acquire()
        try:
            conn, _ = srv.accept()
        except OSError:             # e.g. out of file descriptors
            slots.release()
            time.sleep(0.05)
            continue
        try:
            threading.Thread(target=serve, args=(conn, slots), daemon=True).start()
        except RuntimeError:        # cannot start a thread: refuse politely
            conn.close()
            slots.release()


if __name__ == "__main__":
    main()
