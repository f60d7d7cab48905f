#!/usr/bin/env python3
"""Timestamp echo server: every line comes back stamped with the time.

Usage: python3 timestamp_echo.py PORT [HOST]

A client sends lines; each line is answered with "[", the server's local
time as time.ctime() writes it, "] ", the line's bytes unchanged and "\\n":
"hello\\n" gets "[Thu Dec  3 09:05:01 2026] hello\\n". A "\\r" before the
"\\n" is part of the line and stays. When the client closes its side, what
it sent after its last "\\n" is answered as a last line, and we close.

One thread per client, so a client that stays silent cannot make the others
wait. TCP is a byte stream: one recv() may return two lines, or half of one,
so we stamp lines, not reads, and keep the unfinished end of a line until
its "\\n" arrives.
"""
import signal
import socket
import sys
import threading
import time

MAX_LINE = 65536    # longest line we answer, "\n" included; a longer one ends the connection
IDLE_TIMEOUT = 60   # seconds a client may stay silent (or not read) before we hang up
LINGER = 2.0        # seconds we wait for the client to close after refusing its line
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


def stamped(line):
    """The answer to one line (its bytes without the "\\n"), stamped now.

    time.ctime() is the local time, "Thu Dec  3 09:05:01 2026": the day of
    the month padded with a space, and no newline (C's ctime() has one).
    The line stays bytes: decoding it would break on bytes that are not
    UTF-8, and formatting bytes with '%s' would send b'hello' instead.
    """
    return b"[" + time.ctime().encode("ascii") + b"] " + line + b"\n"


def converse(conn):
    """Answer lines until the client's EOF. Return True to refuse a line."""
    conn.settimeout(IDLE_TIMEOUT)   # bounds every recv() and sendall() below
    buf = bytearray()               # the start of a line whose "\n" has not come yet
    while True:
        data = conn.recv(65536)
        if not data:                # EOF: the client has closed its side
            if buf:                 # what follows the last "\n" is a last line
                conn.sendall(stamped(bytes(buf)))
            return False
        buf += data
        *lines, rest = buf.split(b"\n")
        buf = bytearray(rest)
        if lines:                   # a stamp per line, all the answers in one send
            conn.sendall(b"".join(stamped(bytes(line)) for line in lines))
        if len(buf) >= MAX_LINE:    # no "\n" within MAX_LINE bytes: too long
            return True


def serve(conn, slots):
    try:
        if converse(conn):
            # We end the conversation: send FIN, then read and discard what
            # the client still sends. Closing a socket with unread data makes
            # the kernel send RST instead of FIN, and an RST can destroy our
            # last answers before the client has read them.
            conn.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + LINGER
            while (left := deadline - time.monotonic()) > 0:
                conn.settimeout(left)
                if not conn.recv(65536):    # b"" is the client's FIN
                    break
    except OSError:                 # reset, broken pipe, timeout
        pass
    finally:
        conn.close()                # after the client's EOF: a clean FIN
        slots.release()


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: timestamp_echo.py PORT [HOST]")
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
