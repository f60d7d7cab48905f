#!/usr/bin/env python3
"""HTTP client (specs/http-hello-client.md): fetch a URL, print the body.

Usage: python3 http_hello_client.py http://HOST:PORT/PATH

It sends one GET and reads the response by hand, to show where an HTTP
message ends (RFC 9112 section 6.3). Reading "until recv() returns nothing"
works only against a server that closes the connection; an HTTP/1.1 server
may keep it open, and then only the response itself says where the body
ends:

- Transfer-Encoding: chunked: chunks, each with its size, until a size 0;
- otherwise Content-Length: exactly that many bytes;
- otherwise the body ends where the server closes the connection.

A status outside 2xx is an error: the body of a 404 is not the page asked
for. It prints the body only, as bytes; errors go to stderr with status 1.
"""
import socket
import sys
from urllib.parse import urlsplit

TIMEOUT = 4.0             # seconds: to connect, and for each wait on the server
MAX_LINE = 64 * 1024      # a longer status, header or chunk-size line is an error
MAX_HEADERS = 100


class ProtocolError(Exception):
    """The server's bytes are not an HTTP response we can read."""


def fail(message):
    """One line on stderr, exit status 1: what a script running us can test."""
    print(f"http_hello_client: {message}", file=sys.stderr)
    sys.exit(1)


def why(err):
    """A network or protocol error in a few words."""
    if isinstance(err, ConnectionRefusedError):
        return "connection refused (nothing listens there)"
    if isinstance(err, ConnectionResetError):
        return "connection reset by the server"
    if isinstance(err, socket.timeout):
        return f"no answer within {TIMEOUT:g} s"
    if isinstance(err, OSError):
        return err.strerror or str(err)
    return str(err)


def read_line(f):
    """One line ending in CRLF (a bare LF is tolerated), without its end."""
    line = f.readline(MAX_LINE + 1)
    if not line.endswith(b"\n"):
        if len(line) > MAX_LINE:
            raise ProtocolError("a line longer than 64 KiB")
        raise ProtocolError("the connection closed in the middle of the response head")
    return line.rstrip(b"\r\n")


def read_head(f):
    """The status line and header fields: (code, reason, {lowercase name: value})."""
    while True:
        status = read_line(f)
        parts = status.split(b" ", 2)  # HTTP/1.1 200 OK
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit() or len(parts[1]) != 3:
            raise ProtocolError(f"not an HTTP status line: {status[:80]!r}")
        code = int(parts[1])
        reason = parts[2].decode("latin-1") if len(parts) == 3 else ""
        fields = {}
        for _ in range(MAX_HEADERS + 1):
            line = read_line(f)
            if not line:  # the empty line ends the head
                break
            name, colon, value = line.partition(b":")
            if not colon:
                raise ProtocolError(f"not a header field: {line[:80]!r}")
            name = name.strip().lower().decode("latin-1")
            value = value.strip().decode("latin-1")
            # A field sent twice is one list (RFC 9110 section 5.3).
            fields[name] = f"{fields[name]}, {value}" if name in fields else value
        else:
            raise ProtocolError(f"more than {MAX_HEADERS} header fields")
        if 100 <= code < 200:
            continue  # an interim response (100 Continue): the real one follows
        return code, reason, fields


def copy_exactly(f, n, out):
    """Copy n bytes of body from f to out."""
    while n > 0:
        data = f.read1(min(n, 65536))  # what has arrived, at most n bytes
        if not data:
            raise ProtocolError(f"the connection closed {n} bytes before the end of the body")
        out.write(data)
        out.flush()
        n -= len(data)


def copy_chunked(f, out):
    """Decode a chunked body (RFC 9112 section 7.1): size line, data, CRLF; size 0 ends it."""
    while True:
        size_line = read_line(f)
        size_text = size_line.split(b";", 1)[0].strip()  # drop chunk extensions
        try:
            size = int(size_text, 16)
        except ValueError:
            raise ProtocolError(f"not a chunk size: {size_line[:80]!r}") from None
        if size < 0:
            raise ProtocolError(f"not a chunk size: {size_line[:80]!r}")
        if size == 0:
            break
        copy_exactly(f, size, out)
        if read_line(f):
            raise ProtocolError("chunk data longer than its size")
    while read_line(f):  # trailer fields, up to an empty line: not ours to show
        pass


def copy_until_close(f, out):
    """A body framed by the close: everything up to the server's EOF."""
    while data := f.read1(65536):
        out.write(data)
        out.flush()


def main():
    if len(sys.argv) != 2:
        print("usage: http_hello_client.py http://HOST:PORT/PATH", file=sys.stderr)
        sys.exit(2)
    url = sys.argv[1]
    try:
        u = urlsplit(url)
        port = u.port or 80
    except ValueError as err:
        fail(f"{url!r}: {err}")
    if u.scheme != "http" or not u.hostname:
        fail(f"{url!r} is not an http:// URL")
    target = (u.path or "/") + (f"?{u.query}" if u.query else "")
    addr = f"{u.hostname}:{port}"

    try:
        sock = socket.create_connection((u.hostname, port), timeout=TIMEOUT)
    except OSError as err:
        fail(f"cannot connect to {addr}: {why(err)}")

    # The request by hand, to show its bytes: CRLF line ends, Host as the URL
    # gives it (with its port: RFC 9110 section 7.2), an empty line at the end.
    # Connection: close asks the server to close after the response, but we do
    # not count on it: the framing below works either way.
    request = (f"GET {target} HTTP/1.1\r\n"
               f"Host: {u.netloc.rpartition('@')[2]}\r\n"
               "User-Agent: socketspec-python-client\r\n"
               "Connection: close\r\n"
               "\r\n")
    with sock, sock.makefile("rb") as f:
        try:
            sock.sendall(request.encode("ascii"))
            code, reason, fields = read_head(f)
            if not 200 <= code <= 299:
                fail(f"GET {url}: the server answered {code} {reason}".rstrip())
            out = sys.stdout.buffer
            codings = [c.strip().lower() for c in fields.get("transfer-encoding", "").split(",") if c.strip()]
            if code in (204, 304):
                pass  # no body, whatever the fields say
            elif codings:
                if codings[-1] != "chunked":
                    raise ProtocolError(f"a body in {fields['transfer-encoding']} coding, which this client does not decode")
                copy_chunked(f, out)
            elif "content-length" in fields:
                length = fields["content-length"].split(",")[0].strip()
                if not length.isdigit():
                    raise ProtocolError(f"Content-Length is not a number: {fields['content-length']!r}")
                copy_exactly(f, int(length), out)
            else:
                copy_until_close(f, out)
        except (OSError, ProtocolError) as err:
            fail(f"{addr}: {why(err)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
