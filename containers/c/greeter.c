/* greeter - the greeting server.
 *
 * "Welcome!\n" on connect, then every line NAME the client sends (a "\r"
 * before the "\n" is stripped) is answered with "Hello, NAME!\n", in order.
 * TCP delivers bytes, not lines: a read may hold several names or half of
 * one, so the unfinished rest waits in the client's input buffer.
 *
 * The line "exit", the client's EOF, or a line that is too long ends the
 * conversation: we stop reading names, send what is still pending, then
 * close. After "exit" the client may still have bytes on the way, and
 * closing a socket with unread data sends a reset that can destroy our last
 * answers, so we shut down our side first and read until the client closes
 * too (at most LINGER_MS), like welcome.c.
 *
 * Usage: ./greeter PORT */
#include "common.h"

#include <string.h>
#include <sys/socket.h>

#define WELCOME "Welcome!\n"
#define LINE_MAX_BYTES 4096      /* a longer name ends the connection */
#define PENDING_MAX (64 * 1024)  /* unsent answers before we stop reading names */
#define CHUNK 4096
#define LINGER_MS 2000
#define IDLE_MS (5 * 60 * 1000)

struct client {
    struct conn c;
    struct buf in;      /* the start of a name whose "\n" has not come yet */
    struct buf out;     /* answers not yet sent */
    int done;           /* exit, EOF or an overlong line: no more names */
    int eof;            /* the client closed its side */
    int shut;           /* all sent and our side shut down: draining */
    int64_t deadline;   /* while draining: close by then, whatever happens */
};

/* Answer every complete line in the input, in order. */
static void answer_lines(struct client *cl)
{
    struct buf *in = &cl->in;
    char *nl;
    while (!cl->done && in->len > 0 && (nl = memchr(buf_head(in), '\n', in->len)) != NULL) {
        size_t total = (size_t)(nl - buf_head(in)) + 1, n = total - 1;
        if (n > 0 && buf_head(in)[n - 1] == '\r')
            n--;  /* "\r\n" ends a line too */
        if (n > LINE_MAX_BYTES || (n == 4 && memcmp(buf_head(in), "exit", 4) == 0)) {
            cl->done = 1;  /* no reply; whatever follows is ignored */
        } else if (buf_append(&cl->out, "Hello, ", 7) < 0 ||
                   buf_append(&cl->out, buf_head(in), n) < 0 ||
                   buf_append(&cl->out, "!\n", 2) < 0) {
            cl->c.dead = 1;
            return;
        }
        buf_consume(in, total);
    }
    if (in->len > LINE_MAX_BYTES + 1)  /* no "\n" in sight, room for a "\r" */
        cl->done = 1;
    if (cl->done)
        buf_free(in);
}

/* Send what the socket takes. Once done and all is sent: close at once if
 * the client has closed its side, else shut ours down and drain. */
static void flush(struct client *cl)
{
    ssize_t n = buf_send(cl->c.fd, &cl->out);
    if (n < 0) {
        cl->c.dead = 1;
        return;
    }
    if (n > 0)
        cl->c.last = now_ms();
    if (cl->done && cl->out.len == 0 && !cl->shut) {
        if (cl->eof) {
            cl->c.dead = 1;  /* nothing unread is left: close() sends a FIN */
        } else {
            shutdown(cl->c.fd, SHUT_WR);  /* the client reads EOF now */
            cl->shut = 1;
            cl->deadline = now_ms() + LINGER_MS;
        }
    }
}

static void on_open(struct conn *c)
{
    struct client *cl = (struct client *)c;
    if (buf_append(&cl->out, WELCOME, sizeof WELCOME - 1) < 0)
        c->dead = 1;
    else
        flush(cl);  /* before the client says anything */
}

static short want(struct conn *c)
{
    struct client *cl = (struct client *)c;
    if (cl->shut)
        return POLLIN;  /* only to drain until the client's EOF */
    short ev = cl->out.len > 0 ? POLLOUT : 0;
    /* Back-pressure: a client that sends names but does not read its
     * answers is not read either, until it catches up. */
    if (!cl->done && cl->out.len < PENDING_MAX)
        ev |= POLLIN;
    return ev;
}

static void on_ready(struct conn *c, short re)
{
    struct client *cl = (struct client *)c;
    if (cl->shut) {
        if ((re & (POLLIN | POLLHUP | POLLERR)) && !drain(c->fd))
            c->dead = 1;  /* the client closed (or reset): we are done */
        return;
    }
    if ((re & (POLLIN | POLLHUP | POLLERR)) && !cl->done && cl->out.len < PENDING_MAX) {
        char *p = buf_reserve(&cl->in, CHUNK);
        ssize_t n = p ? recv_some(c->fd, p, CHUNK) : -1;
        if (n > 0) {
            cl->in.len += (size_t)n;
            c->last = now_ms();
            answer_lines(cl);
        } else if (n == 0) {
            cl->eof = cl->done = 1;  /* an unfinished last line is not a name */
            buf_free(&cl->in);
        } else if (n == -1) {
            c->dead = 1;  /* reset, or out of memory */
            return;
        }
    }
    if (!c->dead)
        flush(cl);  /* answer right away rather than at the next POLLOUT */
}

static void on_tick(struct conn *c, int64_t now)
{
    struct client *cl = (struct client *)c;
    if (cl->shut && now >= cl->deadline) {
        drain(c->fd);  /* last chance to avoid a reset */
        c->dead = 1;
    } else if (now - c->last > IDLE_MS) {
        c->dead = 1;
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
