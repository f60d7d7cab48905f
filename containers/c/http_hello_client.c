/* http_hello_client - fetches a URL and prints the body
 * (specs/http-hello-client.md).
 *
 * It sends one GET and reads the response by hand, to show where an HTTP
 * message ends (RFC 9112 section 6.3). Reading "until recv() returns 0"
 * works only against a server that closes the connection; an HTTP/1.1
 * server may keep it open, and then only the response says where the body
 * ends:
 *   - Transfer-Encoding: chunked: chunks, each with its size, until size 0;
 *   - otherwise Content-Length: exactly that many bytes;
 *   - otherwise the body ends where the server closes the connection.
 * A status outside 2xx is an error: the body of a 404 is not the page asked
 * for. It prints the body only; errors go to stderr with exit status 1.
 *
 * Usage: ./http_hello_client http://HOST:PORT/PATH */
#include "client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_LINE 8192  /* a longer status, header or chunk-size line is an error */

/* The parts of an http:// URL we need. */
struct url {
    char host[256];     /* for getaddrinfo: without the [] of an IPv6 address */
    char port[8];
    char authority[300]; /* HOST:PORT as the URL writes it, for the Host field */
    const char *path;   /* from the first '/', or "/" */
};

static void parse_url(const char *s, struct url *u)
{
    const char *prefix = "http://";
    if (strncasecmp(s, prefix, strlen(prefix)) != 0)
        client_fail("\"%s\" is not an http:// URL", s);
    const char *auth = s + strlen(prefix);
    const char *slash = strchr(auth, '/');
    size_t alen = slash ? (size_t)(slash - auth) : strlen(auth);
    u->path = slash ? slash : "/";
    if (alen == 0 || alen >= sizeof u->authority)
        client_fail("\"%s\": no host, or one too long", s);
    memcpy(u->authority, auth, alen);
    u->authority[alen] = '\0';

    /* host[:port], or [v6-address][:port] */
    const char *host = u->authority, *colon;
    size_t hlen;
    if (host[0] == '[') {
        const char *end = strchr(host, ']');
        if (!end)
            client_fail("\"%s\": no ] after the IPv6 address", s);
        host++;
        hlen = (size_t)(end - host);
        colon = end[1] == ':' ? end + 1 : NULL;
    } else {
        colon = strchr(host, ':');
        hlen = colon ? (size_t)(colon - host) : strlen(host);
    }
    if (hlen == 0 || hlen >= sizeof u->host)
        client_fail("\"%s\": no host", s);
    memcpy(u->host, host, hlen);
    u->host[hlen] = '\0';
    const char *port = colon && colon[1] ? colon + 1 : "80";
    if (strlen(port) >= sizeof u->port || strspn(port, "0123456789") != strlen(port))
        client_fail("\"%s\": the port is not a number", s);
    strcpy(u->port, port);
}

/* A buffered reader over the socket: each wait for more bytes is bounded
 * by CLIENT_TIMEOUT_MS, so a silent server is an error, not a hang. */
struct reader {
    int fd;
    const char *addr;  /* for error messages */
    char buf[65536];
    size_t start, end; /* the unread bytes are buf[start .. end) */
};

/* Read more into r. Returns the number of bytes added, 0 at EOF; fails on
 * an error or a timeout. */
static size_t fill(struct reader *r)
{
    if (r->start == r->end)
        r->start = r->end = 0;
    if (r->end == sizeof r->buf) {  /* full: move what is unread to the front */
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    ssize_t n = recv_before(r->fd, r->buf + r->end, sizeof r->buf - r->end,
                            client_now_ms() + CLIENT_TIMEOUT_MS);
    if (n < 0)
        client_fail("%s: %s", r->addr, client_why(errno));
    r->end += (size_t)n;
    return (size_t)n;
}

/* Read one line into line (NUL-terminated, without its CRLF; a bare LF is
 * tolerated). Fails at EOF or on a line longer than MAX_LINE. */
static void read_line(struct reader *r, char line[MAX_LINE + 1])
{
    for (;;) {
        char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
        if (nl) {
            size_t n = (size_t)(nl - (r->buf + r->start));
            if (n > MAX_LINE)
                break;
            memcpy(line, r->buf + r->start, n);
            if (n > 0 && line[n - 1] == '\r')
                n--;
            line[n] = '\0';
            r->start += (size_t)(nl - (r->buf + r->start)) + 1;
            return;
        }
        if (r->end - r->start > MAX_LINE)
            break;
        if (fill(r) == 0)
            client_fail("%s: the connection closed in the middle of the response", r->addr);
    }
    client_fail("%s: a line of the response is longer than %d bytes", r->addr, MAX_LINE);
}

/* Write up to n buffered bytes to stdout; returns how many. */
static size_t pass_on(struct reader *r, size_t n)
{
    if (n > r->end - r->start)
        n = r->end - r->start;
    if (write_all(STDOUT_FILENO, r->buf + r->start, n) < 0)
        client_fail("writing stdout: %s", client_why(errno));
    r->start += n;
    return n;
}

/* Copy exactly n bytes of body to stdout. */
static void copy_exactly(struct reader *r, unsigned long long n)
{
    while (n > 0) {
        if (r->start == r->end && fill(r) == 0)
            client_fail("%s: the connection closed %llu bytes before the end of the body", r->addr, n);
        n -= pass_on(r, n > sizeof r->buf ? sizeof r->buf : (size_t)n);
    }
}

/* Decode a chunked body (RFC 9112 section 7.1): a hex size line (maybe
 * with ;extensions), that many bytes, CRLF; size 0 ends it, then trailer
 * fields up to an empty line. */
static void copy_chunked(struct reader *r)
{
    char line[MAX_LINE + 1];
    for (;;) {
        read_line(r, line);
        char *end;
        errno = 0;
        unsigned long long size = strtoull(line, &end, 16);
        if (end == line || errno != 0 || (*end != '\0' && *end != ';' && *end != ' ' && *end != '\t'))
            client_fail("%s: not a chunk size: \"%.40s\"", r->addr, line);
        if (size == 0)
            break;
        copy_exactly(r, size);
        read_line(r, line);
        if (line[0] != '\0')
            client_fail("%s: chunk data longer than its size", r->addr);
    }
    do  /* the trailer: not ours to show */
        read_line(r, line);
    while (line[0] != '\0');
}

/* A body framed by the close: everything up to the server's EOF. */
static void copy_until_close(struct reader *r)
{
    do
        pass_on(r, r->end - r->start);
    while (fill(r) > 0);
}

/* The value of a header line "Name: value" if its name is name, else NULL. */
static const char *field(const char *line, const char *name)
{
    size_t n = strlen(name);
    if (strncasecmp(line, name, n) != 0 || line[n] != ':')
        return NULL;
    const char *v = line + n + 1;
    return v + strspn(v, " \t");
}

int main(int argc, char **argv)
{
    client_init("http_hello_client");
    if (argc != 2) {
        fprintf(stderr, "usage: %s http://HOST:PORT/PATH\n", argv[0]);
        return 2;
    }
    struct url u;
    parse_url(argv[1], &u);
    static struct reader r;
    r.fd = client_connect(u.host, u.port, SOCK_STREAM);
    r.addr = u.authority;

    /* The request by hand, to show its bytes: CRLF line ends, Host as the
     * URL gives it (with its port: RFC 9110 section 7.2), an empty line at
     * the end. Connection: close asks the server to close after the
     * response, but we do not count on it: the framing below works anyway. */
    char request[MAX_LINE * 2];
    int len = snprintf(request, sizeof request,
                       "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: socketspec-c-client\r\n"
                       "Connection: close\r\n\r\n", u.path, u.authority);
    if (len < 0 || (size_t)len >= sizeof request)
        client_fail("the URL is too long");
    if (send_all_before(r.fd, request, (size_t)len, client_now_ms() + CLIENT_TIMEOUT_MS) < 0)
        client_fail("sending the request to %s: %s", u.authority, client_why(errno));

    /* The status line: HTTP/1.1 200 OK. Interim responses (1xx) are
     * skipped: the real one follows. */
    char line[MAX_LINE + 1];
    int status;
    do {
        read_line(&r, line);
        char digits[4] = {0};
        if (strncmp(line, "HTTP/", 5) != 0 || sscanf(line, "HTTP/%*d.%*d %3[0-9]", digits) != 1 ||
            strlen(digits) != 3)
            client_fail("%s: not an HTTP status line: \"%.40s\"", u.authority, line);
        status = atoi(digits);
        if (status < 200 || status > 299) {
            if (status >= 100 && status <= 199) {
                do  /* skip the interim response's fields */
                    read_line(&r, line);
                while (line[0] != '\0');
                continue;
            }
            client_fail("GET %s: the server answered %s", argv[1], strchr(line, ' ') + 1);
        }
    } while (status < 200);

    /* The header fields, up to the empty line: only the framing matters here. */
    int chunked = 0, coded = 0;
    long long length = -1;
    for (;;) {
        read_line(&r, line);
        if (line[0] == '\0')
            break;
        const char *v;
        if ((v = field(line, "Transfer-Encoding"))) {
            /* The last coding decides: only chunked frames the body. */
            size_t n = strlen(v);
            while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
                n--;
            coded = 1;
            chunked = n >= 7 && strncasecmp(v + n - 7, "chunked", 7) == 0;
        } else if ((v = field(line, "Content-Length"))) {
            char *end;
            errno = 0;
            length = strtoll(v, &end, 10);
            if (end == v || errno != 0 || length < 0)
                client_fail("%s: Content-Length is not a number: \"%.40s\"", u.authority, v);
        }
    }

    if (status == 204)
        ;  /* no body, whatever the fields say */
    else if (coded && !chunked)
        client_fail("%s: a body in a coding this client does not decode", u.authority);
    else if (chunked)
        copy_chunked(&r);
    else if (length >= 0)
        copy_exactly(&r, (unsigned long long)length);
    else
        copy_until_close(&r);
    close(r.fd);
    return 0;
}
