/* chat - a line-based chat room.
 *
 * Every complete line L a client sends goes to every OTHER client as
 * "[HOST:PORT]L\n", HOST:PORT being the sender's address as we see it.
 * Nothing is sent on join. Each receiver has its own output queue, and a
 * line is appended to it whole, so lines never interleave; a receiver that
 * stops reading is dropped once its queue is too long, so it cannot stall
 * the room.
 *
 * Usage: ./chat PORT */
#include "common.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#define LINE_MAX_BYTES 8192         /* a longer line gets its sender dropped */
#define CHUNK 4096
#define OUT_LIMIT (1024 * 1024)     /* queued for one receiver before we drop it */
#define STALL_MS (60 * 1000)        /* output waiting this long without progress: drop */
#define IDLE_MS (10 * 60 * 1000)    /* silent clients may lurk, but not forever */

struct client {
    struct conn c;
    struct buf in;       /* an incomplete line, until its "\n" arrives */
    struct buf out;      /* lines waiting to be sent to this client */
    int64_t out_since;   /* last output progress (or when output started waiting) */
    char prefix[32];     /* "[HOST:PORT]" */
    size_t prefix_len;
};

/* Queue one relayed line for a receiver, whole, or drop the receiver. */
static void enqueue(struct client *to, const struct client *from, const char *line, size_t n)
{
    if (to->out.len + from->prefix_len + n + 1 > OUT_LIMIT) {
        to->c.dead = 1;  /* it is not reading: let it go, the room goes on */
        return;
    }
    if (to->out.len == 0)
        to->out_since = now_ms();
    if (buf_append(&to->out, from->prefix, from->prefix_len) < 0 ||
        buf_append(&to->out, line, n) < 0 || buf_append(&to->out, "\n", 1) < 0)
        to->c.dead = 1;
}

/* Relay every complete line in the sender's input, in order. */
static void relay_lines(struct client *from)
{
    struct buf *in = &from->in;
    char *nl;
    while (in->len > 0 && (nl = memchr(buf_head(in), '\n', in->len)) != NULL) {
        size_t total = (size_t)(nl - buf_head(in)) + 1, n = total - 1;
        if (n > 0 && buf_head(in)[n - 1] == '\r')
            n--;  /* "\r\n" ends a line too */
        for (int i = 0; i < nconns; i++) {
            struct client *to = (struct client *)conns[i];
            if (to != from && !to->c.dead)
                enqueue(to, from, buf_head(in), n);
        }
        buf_consume(in, total);
    }
}

static void on_open(struct conn *c)
{
    struct client *cl = (struct client *)c;
    char host[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &c->peer.sin_addr, host, sizeof host);
    cl->prefix_len = (size_t)snprintf(cl->prefix, sizeof cl->prefix, "[%s:%u]", host,
                                      (unsigned)ntohs(c->peer.sin_port));
}

static short want(struct conn *c)
{
    struct client *cl = (struct client *)c;
    return POLLIN | (cl->out.len > 0 ? POLLOUT : 0);
}

static void on_ready(struct conn *c, short re)
{
    struct client *cl = (struct client *)c;
    if (re & (POLLIN | POLLHUP | POLLERR)) {
        char *p = buf_reserve(&cl->in, CHUNK);
        ssize_t n = p ? recv_some(c->fd, p, CHUNK) : -1;
        if (n > 0) {
            cl->in.len += (size_t)n;
            c->last = now_ms();
            relay_lines(cl);
            if (cl->in.len > LINE_MAX_BYTES)
                c->dead = 1;
        } else if (n == 0 || n == -1) {
            c->dead = 1;  /* left (FIN) or reset; a partial last line is dropped */
        }
    }
    if (!c->dead && cl->out.len > 0) {
        ssize_t n = buf_send(c->fd, &cl->out);
        if (n < 0)
            c->dead = 1;
        else if (n > 0)
            cl->out_since = c->last = now_ms();
    }
}

static void on_tick(struct conn *c, int64_t now)
{
    struct client *cl = (struct client *)c;
    if (now - c->last > IDLE_MS || (cl->out.len > 0 && now - cl->out_since > STALL_MS))
        c->dead = 1;
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
