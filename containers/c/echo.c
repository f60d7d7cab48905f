/* echo - TCP echo server (RFC 862).
 *
 * Every byte a client sends comes straight back, unchanged, as soon as it
 * arrives (no waiting for a newline). When the client shuts down its
 * sending side, we finish sending what is pending, then close.
 *
 * Usage: ./echo PORT */
#include "common.h"

#define PENDING_MAX (64 * 1024)  /* bytes we hold for a client that reads slowly */
#define CHUNK (16 * 1024)
#define IDLE_MS (60 * 1000)

struct client {
    struct conn c;    /* first, so the loop's struct conn * is also ours */
    struct buf out;   /* received, not yet echoed */
    int eof;          /* the client half-closed: flush, then close */
};

static void on_open(struct conn *c) { (void)c; }

static short want(struct conn *c)
{
    struct client *cl = (struct client *)c;
    short ev = 0;
    /* Back-pressure: with PENDING_MAX unsent bytes we stop reading until the
     * client reads; TCP then slows the sender down. */
    if (!cl->eof && cl->out.len < PENDING_MAX)
        ev |= POLLIN;
    if (cl->out.len > 0)
        ev |= POLLOUT;
    return ev;
}

static void on_ready(struct conn *c, short re)
{
    struct client *cl = (struct client *)c;
    size_t room = PENDING_MAX - cl->out.len;
    if (room > CHUNK)
        room = CHUNK;
    if ((re & (POLLIN | POLLHUP | POLLERR)) && !cl->eof && cl->out.len < PENDING_MAX) {
        char *p = buf_reserve(&cl->out, room);
        ssize_t n = p ? recv_some(c->fd, p, room) : -1;
        if (n > 0) {
            cl->out.len += (size_t)n;
            c->last = now_ms();
        } else if (n == 0) {
            cl->eof = 1;
        } else if (n == -1) {  /* reset, or out of memory */
            c->dead = 1;
            return;
        }
    }
    /* Echo right away rather than waiting for the next POLLOUT. */
    if (cl->out.len > 0) {
        ssize_t n = buf_send(c->fd, &cl->out);
        if (n < 0) {
            c->dead = 1;
            return;
        }
        if (n > 0)
            c->last = now_ms();
    }
    if (cl->eof && cl->out.len == 0)
        c->dead = 1;  /* all echoed: close() sends our FIN */
}

static void on_tick(struct conn *c, int64_t now)
{
    if (now - c->last > IDLE_MS)
        c->dead = 1;
}

static void on_close(struct conn *c)
{
    buf_free(&((struct client *)c)->out);
}

int main(int argc, char **argv)
{
    static const struct server_ops ops = {
        sizeof(struct client), on_open, want, on_ready, on_tick, on_close,
    };
    return serve(argc, argv, &ops);
}
