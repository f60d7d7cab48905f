#!/usr/bin/env python3
"""Welcome server: greet each client with one line, then say goodbye.

Usage: python3 welcome.py PORT [HOST]

One thread per client, so a client that never reads or never closes
cannot make the next one wait.
"""
import signal
import socket
import sys
import threading
import time

BANNER = b"Hello, welcome to the server!\n"
LINGER = 2.0        # seconds we wait for the client to close after our goodbye
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


def greet(conn, slots):
    try:
        conn.settimeout(LINGER)
        conn.sendall(BANNER)
        conn.shutdown(socket.SHUT_WR)   # send FIN: "that is all from me"
        # Read and discard whatever the client sent. Closing a socket with
        # unread data makes the kernel send RST instead of FIN, and an RST can
        # destroy the banner before the client has read it.
        deadline = time.monotonic() + LINGER
        while (left := deadline - time.monotonic()) > 0:
            conn.settimeout(left)
            if not conn.recv(4096):     # b"" is the client's FIN
                break
    except OSError:                     # reset, broken pipe, timeout
        pass
    finally:
        conn.close()
        slots.release()


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: welcome.py PORT [HOST]")
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
        except OSError:                 # e.g. out of file descriptors
            slots.release()
            time.sleep(0.05)
            continue
        try:
            threading.Thread(target=greet, args=(conn, slots), daemon=True).start()
        except RuntimeError:            # cannot start a thread: refuse politely
            conn.close()
            slots.release()


if __name__ == "__main__":
    main()
