#!/usr/bin/env python3
"""HTTP/1.1 "Hello, World!" server (RFC 9110, RFC 9112), written on raw sockets.

Usage: python3 http_hello.py PORT [HOST]

GET or HEAD of / gets the page, any other path 404, any other method 405.
One thread per connection; each connection may carry many requests
(persistent connections, pipelining).

TCP is a byte stream, not a message stream: one recv() may return half a
request, or two requests. So we collect bytes in a buffer until the header
block is complete (an empty line), and keep whatever follows for the next
request.
"""
import re
import signal
import socket
import sys
import threading
import time
from email.utils import formatdate

PAGE = (b"<!DOCTYPE html><html><head><title>Hello, World!</title></head>"
        b"<body><h1>Hello, World!</h1></body></html>")
MAX_HEAD = 16 * 1024   # larger header blocks get 431
TIMEOUT = 10.0         # seconds a client has to send one whole request
LINGER = 2.0           # seconds we wait for the client to close after us
MAX_CLIENTS = 128      # at most this many threads; later clients wait

REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found",
           405: "Method Not Allowed", 431: "Request Header Fields Too Large",
           501: "Not Implemented", 505: "HTTP Version Not Supported"}
# Characters allowed in a method or a field name (RFC 9110 §5.6.2 "token").
TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
HEAD_END = re.compile(rb"\r?\n\r?\n")   # the empty line after the headers


class HTTPError(Exception):
    """A request we answer with an error status, then close the connection."""
    def __init__(self, status, method=b""):
        super().__init__(status)
        self.status = status
        self.method = method


def recv(conn, deadline):
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    conn.settimeout(left)
    return conn.recv(65536)


def read_head(conn, buf, deadline):
    """Return the next header block (without the empty line), taking it out
    of buf, or None if the client closed the connection between requests."""
    while True:
        # RFC 9112 §2.2: ignore empty lines before a request line.
        while buf.startswith(b"\r\n") or buf.startswith(b"\n"):
            del buf[:buf.index(b"\n") + 1]
        end = HEAD_END.search(buf)
        if end and end.start() <= MAX_HEAD:
            head = bytes(buf[:end.start()])
            del buf[:end.end()]
            return head
        if end or len(buf) > MAX_HEAD:
            raise HTTPError(431)
        data = recv(conn, deadline)
        if not data:
            return None          # closed (maybe mid-request): nothing to answer
        buf += data


def parse(head):
    """Check a header block; return (method, target, version, headers) with
    header names lower-cased, or raise HTTPError."""
    lines = [line.removesuffix(b"\r") for line in head.split(b"\n")]
    parts = lines[0].split(b" ")
    if len(parts) != 3:
        raise HTTPError(400)     # exactly METHOD SP TARGET SP VERSION
    method, target, version = parts
    if (not TOKEN.fullmatch(method) or not target
            or any(c <= 0x20 or c == 0x7F for c in target)
            or not re.fullmatch(rb"HTTP/[0-9]\.[0-9]", version)):
        raise HTTPError(400)
    if version[5:6] != b"1":
        raise HTTPError(505)

    headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        # No colon, "Name : value" (RFC 9112 §5.1), or a continuation line
        # starting with a space (obsolete line folding, §5.2): all rejected.
        if not colon or not TOKEN.fullmatch(name):
            raise HTTPError(400)
        value = value.strip(b" \t")
        if b"\r" in value or b"\0" in value:
            raise HTTPError(400)  # a bare CR or a NUL (RFC 9110 §5.5)
        headers.append((name.lower(), value))
    return method, target, version, headers


def values(headers, name):
    return [v for n, v in headers if n == name]


def response(status, *, body=True, close=False, keep_alive=False):
    """Build the bytes of a response. body=False for HEAD: same headers."""
    content = PAGE if status == 200 else f"{status} {REASONS[status]}\n".encode()
    lines = [f"HTTP/1.1 {status} {REASONS[status]}",
             f"Date: {formatdate(usegmt=True)}",
             "Content-Type: " + ("text/html" if status == 200 else "text/plain")
             + "; charset=utf-8",
             f"Content-Length: {len(content)}"]
    if status == 405:
        lines.append("Allow: GET, HEAD")
    if close:
        lines.append("Connection: close")
    elif keep_alive:
        lines.append("Connection: keep-alive")   # HTTP/1.0 asked for it
    out = ("\r\n".join(lines) + "\r\n\r\n").encode()
    return out + content if body else out


def skip_body(conn, buf, length, deadline):
    """Discard a request body of `length` bytes; keep what follows it."""
    taken = min(length, len(buf))
    del buf[:taken]
    length -= taken
    while length > 0:
        data = recv(conn, deadline)
        if not data:
            raise ConnectionError("closed in the middle of a body")
        taken = min(length, len(data))
        length -= taken
        buf += data[taken:]      # the start of a pipelined next request


def handle(conn, buf):
    """Answer one request. Return False when the connection must close."""
    deadline = time.monotonic() + TIMEOUT
    head = read_head(conn, buf, deadline)
    if head is None:
        return False
    method, target, version, headers = parse(head)

    # RFC 9112 §3.2: HTTP/1.1 needs exactly one Host; nobody may send two.
    http11 = version != b"HTTP/1.0"
    hosts = values(headers, b"host")
    if len(hosts) > 1 or (http11 and not hosts):
        raise HTTPError(400, method)

    # Where does this request end? We do not implement chunked bodies.
    if values(headers, b"transfer-encoding"):
        raise HTTPError(501, method)
    lengths = set(values(headers, b"content-length"))
    if len(lengths) > 1 or not all(v.isdigit() for v in lengths):
        raise HTTPError(400, method)
    length = int(lengths.pop()) if lengths else 0
    # A client that sent "Expect: 100-continue" waits for our go-ahead
    # before it sends the body (RFC 9110 §10.1.1).
    if (http11 and length > len(buf)
            and b"100-continue" in (v.lower() for v in values(headers, b"expect"))):
        conn.settimeout(TIMEOUT)
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
    skip_body(conn, buf, length, deadline)

    # HTTP/1.1 connections persist unless "close"; HTTP/1.0 ones close
    # unless "keep-alive" (RFC 9112 §9.3).
    tokens = {t.strip().lower() for v in values(headers, b"connection")
              for t in v.split(b",")}
    if http11:
        keep = b"close" not in tokens
    else:
        keep = b"keep-alive" in tokens and b"close" not in tokens

    # Absolute form "http://host/path" names the same resource as "/path".
    path = target
    if re.match(rb"(?i)https?://", target):
        path = b"/" + (target.split(b"/", 3)[3:] or [b""])[0]
    if method not in (b"GET", b"HEAD"):
        status = 405
    elif not path.startswith(b"/"):
        raise HTTPError(400, method)
    else:
        status = 200 if path.split(b"?")[0] == b"/" else 404

    conn.settimeout(TIMEOUT)     # a client that never reads cannot hold us forever
    conn.sendall(response(status, body=method != b"HEAD", close=not keep,
                          keep_alive=keep and not http11))
    return keep


def serve(conn, slots):
    buf = bytearray()   # bytes received but not used yet
    try:
        while handle(conn, buf):
            pass
    except HTTPError as e:
        try:
            conn.settimeout(TIMEOUT)
            conn.sendall(response(e.status, body=e.method != b"HEAD", close=True))
        except OSError:
            pass
    except OSError:                 # timeout, reset, broken pipe
        pass
    try:
        # Close gently: send FIN, then discard what the client still sends.
        # Closing with unread data would send RST, which can destroy our
        # last response before the client has read it.
        conn.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + LINGER
        while recv(conn, deadline):
            pass
    except OSError:
        pass
    finally:
        conn.close()
        slots.release()


def listen(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, port))
    srv.listen(512)
    shown = f"[{host}]" if ":" in host else host
    print(f"listening on {shown}:{srv.getsockname()[1]}", flush=True)
    return srv


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: http_hello.py PORT [HOST]")
    # A container's PID 1 gets no default action for SIGTERM: exit explicitly.
    # The connection threads are daemons, so they do not keep the process alive.
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
        except RuntimeError:        # cannot start a thread: refuse
            conn.close()
            slots.release()


if __name__ == "__main__":
    main()
