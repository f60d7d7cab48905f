#!/usr/bin/env python3
"""Chat client (specs/chat-client.md): say the lines of stdin, show the room.

Usage: python3 chat_client.py HOST PORT

A chat client does two things at once: it sends what its user types, and
it shows what the others say, whenever they say it. The tutorial client
takes turns (input(), send, recv, print), so a message from the room shows
up only when its user types the next line. Here they are two threads:

- The sender reads stdin and sends each line at once. Reading stdin blocks
  for as long as the user is idle; that blocks only this thread.
- The main thread copies whatever the room sends to stdout, as bytes, as
  soon as it comes, however it is split.

The conversation ends either way: at the end of stdin (the user leaves) the
sender shuts the connection down, which also wakes the main thread's
recv(); when the room closes the connection the main thread sees EOF and
the program ends, whatever the sender is waiting for. Both are exit
status 0. The room may stay silent for as long as it likes: no timeout
once connected.
"""
import os
import socket
import sys
import threading

TIMEOUT = 4.0  # seconds to connect


def fail(message):
    """One line on stderr, exit status 1: what a script running us can test."""
    print(f"chat_client: {message}", file=sys.stderr)
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
    """Sends each line of stdin as soon as it is read; at the end of stdin, leaves."""

    def __init__(self, sock):
        super().__init__(daemon=True)  # a blocked stdin read must not keep us alive
        self.sock = sock
        self.left = False             # set once the user has left: the main thread's EOF is ours
        self.lock = threading.Lock()  # held while sending (see the EOF in main)
        self.error = None             # why sending failed, if it did

    def run(self):
        try:
            # os.read() on stdin's file descriptor returns what is there as
            # soon as there is something (a terminal gives a line at a
            # time), and it goes to the room at once, bytes unchanged, each
            # line with its b"\n". Not sys.stdin.buffer: it holds a lock
            # while a read blocks, and when the room closes while the user
            # is idle, the interpreter's exit would wait for that lock and
            # abort with a fatal error.
            while data := os.read(sys.stdin.fileno(), 65536):
                with self.lock:
                    try:
                        self.sock.sendall(data)
                    except OSError as err:
                        self.error = err  # for the main thread to report
                        return
        except OSError:
            return  # stdin failed: the room's side goes on
        # The end of stdin: the user leaves. SHUT_RDWR sends our FIN (the
        # room learns we are gone) and ends the main thread's blocked
        # recv() with EOF; close() alone would not wake it.
        self.left = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # the room closed first: the main thread has its EOF already


def main():
    if len(sys.argv) != 3:
        print("usage: chat_client.py HOST PORT", file=sys.stderr)
        sys.exit(2)
    host, port = sys.argv[1], sys.argv[2]
    try:
        sock = socket.create_connection((host, int(port)), timeout=TIMEOUT)
    except (OSError, ValueError) as err:
        fail(f"cannot connect to {host}:{port}: {why(err) if isinstance(err, OSError) else err}")
    # Connected: from now on wait as long as it takes. An idle room is not
    # an error in a chat, and the user may be idle too.
    sock.settimeout(None)

    sender = Sender(sock)
    sender.start()
    stdout = sys.stdout.buffer
    with sock:
        while True:
            try:
                data = sock.recv(65536)
            except OSError as err:
                if sender.left:
                    break  # an error after we left is no longer our business
                fail(f"{host}:{port}: {why(err)}")  # a reset
            if not data:  # EOF: the room closed, or we left, or ...
                # ... a reset that the sender's sendall() took: the kernel
                # reports a connection's error once, to whichever call
                # comes first, and then recv() sees only an end of data.
                # Let a send in progress end (a reset ends it at once; one
                # still blocked after TIMEOUT is no reset), and take its
                # error as ours.
                if sender.lock.acquire(timeout=TIMEOUT):
                    sender.lock.release()
                if sender.error is not None:
                    fail(f"{host}:{port}: sending: {why(sender.error)}")
                break
            # The bytes as they came: not decoded (the room relays whatever
            # its users send), no newline that the room did not send, and
            # flushed so that the line shows now, not when a buffer fills.
            stdout.write(data)
            stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
