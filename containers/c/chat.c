/* chat - a line-based chat room.
 *
 * Every complete line L a client sends goes to every OTHER client as
 * "[HOST:PORT]L\n", HOST:PORT being the sender's address as we see it.
 * Nothing is sent on join. Each receiver has its own output queue, and a
 * line is appended to it whole, so lines never interleave.
 *
 * Flow control: while any receiver has more than OUT_LIMIT bytes queued
 * ("behind"), the room stops reading from every client (no POLLIN), so
 * TCP slows the senders down to the pace of the slowest reader. A reader
 * that is merely slower catches up and the room goes on. A behind receiver
 * to which nothing could be written for BEHIND_STALL_MS does not read at
 * all: it is dropped, which frees its queue and the room.
 *
 * Usage: ./chat PORT */
#include "common.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#define LINE_MAX_BYTES 8192         /* a longer line gets its sender dropped */
#define CHUNK 4096
#define OUT_LIMIT (256 * 1024)      /* queued for one receiver before the room waits */
#define BEHIND_STALL_MS 1000        /* a behind receiver stuck this long is dropped */
#define STALL_MS (60 * 1000)        /* any output waiting this long without progress: drop */
#define IDLE_MS (10 * 60 * 1000)    /* silent clients may lurk, but not forever */

struct client {
    struct conn c;
    struct buf in;       /* an incomplete line, until its "\n" arrives */
    struct buf out;      /* lines waiting to be sent to this client */
    int64_t out_since;   /* last output progress (or when output started waiting) */
    int behind;          /* out.len > OUT_LIMIT: counted in nbehind */
    char prefix[32];     /* "[HOST:PORT]" */
    size_t prefix_len;
};

static int nbehind;  /* receivers that are behind; while > 0 nobody is read */

/* Track whether cl is behind, keeping nbehind up to date. */
static void set_behind(struct client *cl, int behind)
{
    if (behind != cl->behind) {
        cl->behind = behind;
        nbehind += behind ? 1 : -1;
    }
}

/* Queue one relayed line for a receiver, whole. The queue may pass
 * OUT_LIMIT by the lines of the one recv() that is being relayed: then the
 * room pauses (no more reads) until this receiver catches up or is dropped. */
static void enqueue(struct client *to, const struct client *from, const char *line, size_t n)
{
    if (to->out.len == 0)
        to->out_since = now_ms();
    if (buf_append(&to->out, from->prefix, from->prefix_len) < 0 ||
        buf_append(&to->out, line, n) < 0 || buf_append(&to->out, "\n", 1) < 0)
        to->c.dead = 1;
    else if (to->out.len > OUT_LIMIT)
        set_behind(to, 1);
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
    /* Paused (someone is behind): leave the lines in the kernel's buffers. */
    return (nbehind > 0 ? 0 : POLLIN) | (cl->out.len > 0 ? POLLOUT : 0);
}

static void on_ready(struct conn *c, short re)
{
    struct client *cl = (struct client *)c;
    if (nbehind > 0 && (re & (POLLHUP | POLLERR))) {
        /* Paused, and poll() reports a reset (it would, again and again):
         * the client is gone; its unread lines go with it. */
        c->dead = 1;
        return;
    }
    /* nbehind may have become > 0 earlier in this round: then do not read. */
    if ((re & (POLLIN | POLLHUP | POLLERR)) && nbehind == 0) {
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
        if (cl->out.len <= OUT_LIMIT)
            set_behind(cl, 0);  /* caught up: the room reads again */
    }
}

static void on_tick(struct conn *c, int64_t now)
{
    struct client *cl = (struct client *)c;
    int64_t stuck = now - cl->out_since;  /* time since output last moved */
    if (now - c->last > IDLE_MS || (cl->out.len > 0 && stuck > STALL_MS) ||
        (cl->behind && stuck > BEHIND_STALL_MS))
        c->dead = 1;  /* a behind one is not reading: drop it, the room goes on */
}

static void on_close(struct conn *c)
{
    struct client *cl = (struct client *)c;
    set_behind(cl, 0);  /* a dropped receiver no longer holds up the room */
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
