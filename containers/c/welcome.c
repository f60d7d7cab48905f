/* welcome - greets each client with one line, then closes.
 *
 * The close is done politely: after the banner we shut down our sending
 * side (the client sees EOF at once), then read and discard whatever the
 * client sent until it closes too, or for at most LINGER_MS. Closing a
 * socket with unread data makes the kernel send a reset (RST) instead of a
 * normal FIN, and a reset can even destroy the banner before it is read.
 *
 * Usage: ./welcome PORT */
#include "common.h"

#include <sys/socket.h>

#define BANNER "Hello, welcome to the server!\n"
#define LINGER_MS 2000

struct client {
    struct conn c;
    struct buf out;     /* the banner, until it is sent */
    int shut;           /* banner sent and our side shut down */
    int64_t deadline;   /* close by then, whatever the client does */
};

/* Send what the socket takes; once the whole banner is out, shut down. */
static void send_banner(struct client *cl)
{
    if (buf_send(cl->c.fd, &cl->out) < 0) {
        cl->c.dead = 1;
    } else if (cl->out.len == 0) {
        shutdown(cl->c.fd, SHUT_WR);
        cl->shut = 1;
    }
}

static void on_open(struct conn *c)
{
    struct client *cl = (struct client *)c;
    cl->deadline = c->last + LINGER_MS;
    if (buf_append(&cl->out, BANNER, sizeof BANNER - 1) < 0)
        c->dead = 1;
    else
        send_banner(cl);  /* do not wait for the client to say anything */
}

static short want(struct conn *c)
{
    return ((struct client *)c)->shut ? POLLIN : POLLOUT;
}

static void on_ready(struct conn *c, short re)
{
    struct client *cl = (struct client *)c;
    if (!cl->shut)
        send_banner(cl);
    else if ((re & (POLLIN | POLLHUP | POLLERR)) && !drain(c->fd))
        c->dead = 1;  /* the client closed (or reset): we are done */
}

static void on_tick(struct conn *c, int64_t now)
{
    if (now >= ((struct client *)c)->deadline) {
        drain(c->fd);  /* last chance to avoid a reset */
        c->dead = 1;
    }
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
