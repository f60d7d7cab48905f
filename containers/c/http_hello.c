/* http_hello - a tiny HTTP/1.1 server (RFC 9110, RFC 9112) for one page.
 *
 * GET or HEAD of "/" (any query) gets the Hello page, other paths 404,
 * other methods 405. Connections persist (HTTP/1.1 default, or HTTP/1.0
 * with "Connection: keep-alive"), and pipelined requests are answered in
 * order. Nothing is answered before its header block is complete.
 *
 * Usage: ./http_hello PORT */
#include "common.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#define HEAD_MAX (16 * 1024)      /* a longer header block gets 431 */
#define CHUNK 4096
#define OUT_MAX (64 * 1024)       /* stop reading while this much output waits */
#define REQUEST_MS (10 * 1000)    /* a request must arrive within this */
#define IDLE_MS (60 * 1000)       /* an idle keep-alive connection is closed */
#define LINGER_MS 2000

static const char PAGE[] = "<!DOCTYPE html><html><head><title>Hello, World!</title></head>"
                           "<body><h1>Hello, World!</h1></body></html>";

struct client {
    struct conn c;
    struct buf in, out;
    size_t scanned;          /* bytes of in already searched for the blank line */
    unsigned long long body_left;  /* request body bytes still to skip */
    int64_t started;         /* when the request being read began (0: none) */
    int closing;             /* last response queued: send it, then close */
    int peer_eof;            /* the client shut down its side */
    int shut;                /* all sent, our side shut down: draining */
    int64_t linger_until;
};

/* What we need to know about a request. */
struct request {
    const char *method, *target;
    size_t method_len, target_len;
    int minor;               /* HTTP/1.minor */
    int hosts;               /* how many Host fields */
    int conn_close, conn_keep_alive;
    int transfer_encoding;
    int has_length;
    unsigned long long length;
};

/* ---- responses ---- */

static void begin_close(struct client *cl)
{
    cl->closing = 1;
    cl->started = now_ms();  /* the goodbye must be done within REQUEST_MS too */
}

/* Queue one response. keep = 0 closes the connection after it. */
static void respond(struct client *cl, int code, int head_only, int keep, int minor)
{
    const char *reason, *body;
    switch (code) {
    case 200: reason = "OK"; body = PAGE; break;
    case 400: reason = "Bad Request"; body = "Bad Request\n"; break;
    case 404: reason = "Not Found"; body = "Not Found\n"; break;
    case 405: reason = "Method Not Allowed"; body = "Method Not Allowed\n"; break;
    case 408: reason = "Request Timeout"; body = "Request Timeout\n"; break;
    case 431: reason = "Request Header Fields Too Large"; body = "Request Header Fields Too Large\n"; break;
    case 501: reason = "Not Implemented"; body = "Not Implemented\n"; break;
    default: code = 505; reason = "HTTP Version Not Supported"; body = "HTTP Version Not Supported\n"; break;
    }
    /* Date is required of origin servers (RFC 9110 section 6.6.1), in IMF-fixdate. */
    char date[40];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);

    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\n"
                     "Date: %s\r\n"
                     "Content-Type: %s; charset=utf-8\r\n"
                     "Content-Length: %zu\r\n"
                     "%s%s\r\n",
                     code, reason, date, code == 200 ? "text/html" : "text/plain",
                     strlen(body), code == 405 ? "Allow: GET, HEAD\r\n" : "",
                     !keep ? "Connection: close\r\n"
                           : minor == 0 ? "Connection: keep-alive\r\n" : "");
    if (buf_append(&cl->out, head, (size_t)n) < 0 ||
        (!head_only && buf_append(&cl->out, body, strlen(body)) < 0))
        cl->c.dead = 1;
    if (!keep)
        begin_close(cl);
}

/* ---- parsing ---- */

static int is_tchar(unsigned char ch)  /* RFC 9110 section 5.6.2 token characters */
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static int is_token(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_tchar((unsigned char)s[i]))
            return 0;
    return 1;
}

static int name_is(const char *s, size_t n, const char *name)
{
    return n == strlen(name) && strncasecmp(s, name, n) == 0;
}

/* Next line in [*p, end), without its "\r\n" or "\n". */
static const char *next_line(const char **p, const char *end, size_t *len)
{
    const char *s = *p, *nl = memchr(s, '\n', (size_t)(end - s));
    *p = nl + 1;
    *len = (size_t)(nl - s);
    if (*len > 0 && s[*len - 1] == '\r')
        (*len)--;
    return s;
}

/* "METHOD SP TARGET SP HTTP/1.x": 0 if fine, else the status to send. */
static int parse_request_line(const char *s, size_t n, struct request *rq)
{
    const char *end = s + n, *sp1 = memchr(s, ' ', n);
    if (!sp1)
        return 400;
    const char *sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1));
    if (!sp2)
        return 400;
    rq->method = s;
    rq->method_len = (size_t)(sp1 - s);
    rq->target = sp1 + 1;
    rq->target_len = (size_t)(sp2 - sp1 - 1);
    const char *v = sp2 + 1;
    if (!is_token(rq->method, rq->method_len) || rq->target_len == 0)
        return 400;
    for (size_t i = 0; i < rq->target_len; i++)
        if ((unsigned char)rq->target[i] <= ' ' || rq->target[i] == 0x7f)
            return 400;
    if (end - v != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' ||
        v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9')
        return 400;
    rq->minor = v[7] - '0';
    return v[5] == '1' ? 0 : 505;
}

static void parse_connection(const char *v, size_t n, struct request *rq)
{
    size_t i = 0;
    while (i < n) {  /* a comma-separated list of tokens */
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t j = i;
        while (j < n && v[j] != ',' && v[j] != ' ' && v[j] != '\t')
            j++;
        if (name_is(v + i, j - i, "close"))
            rq->conn_close = 1;
        if (name_is(v + i, j - i, "keep-alive"))
            rq->conn_keep_alive = 1;
        i = j;
    }
}

/* One "name: value" line: 0 if fine, else 400. */
static int parse_field(const char *s, size_t n, struct request *rq)
{
    const char *colon = memchr(s, ':', n);
    /* No colon, an empty name, or whitespace before the colon (which
     * RFC 9112 section 5.1 says MUST be rejected) are all 400. A line that
     * starts with whitespace (obsolete folding) fails the same test. */
    if (!colon || !is_token(s, (size_t)(colon - s)))
        return 400;
    size_t name_len = (size_t)(colon - s);
    const char *v = colon + 1, *end = s + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t vlen = (size_t)(end - v);
    for (size_t i = 0; i < vlen; i++) {
        unsigned char ch = (unsigned char)v[i];
        if ((ch < ' ' && ch != '\t') || ch == 0x7f)  /* no NUL, bare CR, ... */
            return 400;
    }
    if (name_is(s, name_len, "host")) {
        rq->hosts++;
    } else if (name_is(s, name_len, "connection")) {
        parse_connection(v, vlen, rq);
    } else if (name_is(s, name_len, "transfer-encoding")) {
        rq->transfer_encoding = 1;
    } else if (name_is(s, name_len, "content-length")) {
        unsigned long long len = 0;
        if (vlen == 0 || vlen > 15)
            return 400;
        for (size_t i = 0; i < vlen; i++) {
            if (v[i] < '0' || v[i] > '9')
                return 400;
            len = len * 10 + (unsigned)(v[i] - '0');
        }
        if (rq->has_length && rq->length != len)
            return 400;  /* two different lengths: which one is the truth? */
        rq->has_length = 1;
        rq->length = len;
    }
    return 0;
}

/* Is the target our page: "/", "/?query", or the same in absolute form? */
static int is_root(const char *t, size_t n)
{
    if (n > 8 && strncasecmp(t, "https://", 8) == 0) {
        t += 8, n -= 8;
    } else if (n > 7 && strncasecmp(t, "http://", 7) == 0) {
        t += 7, n -= 7;
    } else {
        return t[0] == '/' && (n == 1 || t[1] == '?');
    }
    const char *path = memchr(t, '/', n);  /* skip the authority */
    const char *query = memchr(t, '?', n);
    if (!path || (query && query < path))
        return 1;  /* "http://host" or "http://host?q" */
    n -= (size_t)(path - t);
    return n == 1 || path[1] == '?';
}

static int contains(const char *s, size_t n, const char *pat)
{
    size_t k = strlen(pat);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(s + i, pat, k) == 0)
            return 1;
    return 0;
}

/* Answer one complete header block h[0..n). */
static void handle_request(struct client *cl, const char *h, size_t n)
{
    struct request rq;
    memset(&rq, 0, sizeof rq);
    const char *p = h, *end = h + n;
    size_t len;
    const char *line = next_line(&p, end, &len);
    int code = parse_request_line(line, len, &rq);
    while (code == 0 && (line = next_line(&p, end, &len), len > 0))
        code = parse_field(line, len, &rq);

    if (code) {
        respond(cl, code, 0, 0, 1);
    } else if (rq.transfer_encoding) {
        /* We cannot frame a chunked body, so we cannot find the next request. */
        respond(cl, 501, 0, 0, rq.minor);
    } else if (rq.hosts > 1 || (rq.minor >= 1 && rq.hosts == 0)) {
        respond(cl, 400, 0, 0, rq.minor);  /* RFC 9112 section 3.2 */
    } else {
        /* Methods are case-sensitive (RFC 9110 section 9.1). */
        int get = rq.method_len == 3 && memcmp(rq.method, "GET", 3) == 0;
        int head = rq.method_len == 4 && memcmp(rq.method, "HEAD", 4) == 0;
        int keep = rq.minor >= 1 ? !rq.conn_close : rq.conn_keep_alive && !rq.conn_close;
        cl->body_left = rq.length;  /* skipped before the next request */
        if (!get && !head)
            code = 405;
        else if (is_root(rq.target, rq.target_len))
            code = 200;
        else if (rq.target[0] == '/' || contains(rq.target, rq.target_len, "://"))
            code = 404;
        else
            code = 400, keep = 0;  /* not a path at all, e.g. "GET foo" */
        respond(cl, code, head, keep, rq.minor);
    }
}

/* End of the header block: just past the first empty line, or 0. Lines end
 * in "\n" or "\r\n". Resumes at `from` so a slow client costs no rescans. */
static size_t find_head_end(const char *s, size_t n, size_t from)
{
    for (size_t i = from; i < n; i++) {
        if (s[i] != '\n')
            continue;
        if (i + 1 < n && s[i + 1] == '\n')
            return i + 2;
        if (i + 2 < n && s[i + 1] == '\r' && s[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* Answer every complete request in the input, in order. */
static void process(struct client *cl)
{
    struct buf *in = &cl->in;
    while (!cl->closing && !cl->c.dead) {
        if (cl->body_left > 0) {  /* skip the previous request's body */
            size_t k = in->len < cl->body_left ? in->len : (size_t)cl->body_left;
            buf_consume(in, k);
            cl->body_left -= k;
            if (cl->body_left > 0)
                return;
            cl->started = 0;
        }
        /* RFC 9112 section 2.2: ignore empty lines before a request line. */
        while (in->len > 0 && (buf_head(in)[0] == '\n' ||
                               (in->len > 1 && buf_head(in)[0] == '\r' && buf_head(in)[1] == '\n'))) {
            buf_consume(in, buf_head(in)[0] == '\n' ? 1 : 2);
            cl->scanned = 0;
        }
        if (in->len == 0) {
            cl->started = 0;
            return;
        }
        if (!cl->started)
            cl->started = now_ms();
        size_t end = find_head_end(buf_head(in), in->len, cl->scanned);
        if (end == 0) {
            if (in->len >= HEAD_MAX)
                respond(cl, 431, 0, 0, 1);
            else
                cl->scanned = in->len > 2 ? in->len - 2 : 0;
            return;
        }
        handle_request(cl, buf_head(in), end);
        buf_consume(in, end);
        cl->scanned = 0;
        if (cl->body_left == 0)
            cl->started = 0;
    }
}

/* ---- the server_ops callbacks ---- */

static void on_open(struct conn *c) { (void)c; }

static short want(struct conn *c)
{
    struct client *cl = (struct client *)c;
    short ev = 0;
    /* While closing we still read, only to throw it away (see welcome.c). */
    if (!cl->peer_eof && (cl->shut || cl->closing || (cl->in.len < HEAD_MAX && cl->out.len < OUT_MAX)))
        ev |= POLLIN;
    if (cl->out.len > 0)
        ev |= POLLOUT;
    return ev;
}

static void on_ready(struct conn *c, short re)
{
    struct client *cl = (struct client *)c;
    if ((re & (POLLIN | POLLHUP | POLLERR)) && !cl->peer_eof) {
        ssize_t n = RECV_AGAIN;
        char tmp[CHUNK];
        if (cl->closing) {
            n = recv_some(c->fd, tmp, sizeof tmp);  /* discard */
        } else if (cl->in.len < HEAD_MAX) {
            size_t room = HEAD_MAX - cl->in.len < CHUNK ? HEAD_MAX - cl->in.len : CHUNK;
            char *p = buf_reserve(&cl->in, room);
            n = p ? recv_some(c->fd, p, room) : -1;
            if (n > 0)
                cl->in.len += (size_t)n;
        }
        if (n > 0) {
            c->last = now_ms();
        } else if (n == 0) {
            cl->peer_eof = 1;
        } else if (n == -1) {
            c->dead = 1;  /* reset */
            return;
        }
    }
    if (!cl->closing) {
        process(cl);
        if (cl->peer_eof && !cl->closing)
            begin_close(cl);  /* the client is done asking: finish and close */
    }
    if (cl->out.len > 0) {
        ssize_t n = buf_send(c->fd, &cl->out);
        if (n < 0) {
            c->dead = 1;
            return;
        }
        if (n > 0)
            c->last = now_ms();
    }
    if (cl->closing && cl->out.len == 0 && !cl->shut) {
        shutdown(c->fd, SHUT_WR);  /* our FIN: the response is complete */
        cl->shut = 1;
        cl->linger_until = now_ms() + LINGER_MS;
    }
    if (cl->shut && cl->peer_eof)
        c->dead = 1;
}

static void on_tick(struct conn *c, int64_t now)
{
    struct client *cl = (struct client *)c;
    if (cl->shut) {
        if (now >= cl->linger_until)
            c->dead = 1;
    } else if (now - c->last > IDLE_MS) {
        c->dead = 1;  /* no progress either way for a long time */
    } else if (cl->started && now - cl->started > REQUEST_MS) {
        if (cl->closing || cl->body_left > 0)
            c->dead = 1;  /* it will not take our last response, or send its body */
        else
            respond(cl, 408, 0, 0, 1);  /* half a request, then silence */
    }
}

static void on_close(struct conn *c)
{
    struct client *cl = (struct client *)c;
    buf_free(&cl->in);
    buf_free(&cl->out);
}

int main(int argc, char **argv)
{
    static const struct server_ops ops = {
        sizeof(struct client), on_open, want, on_ready, on_tick, on_close,
    };
    return serve(argc, argv, &ops);
}
