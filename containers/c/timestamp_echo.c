/* timestamp_echo - every line comes back stamped with the time.
 *
 * Each line the client sends (the bytes up to "\n") is answered with "[",
 * the server's local time in the layout of ctime(), "] ", the line's bytes
 * unchanged and "\n": "hello\n" gets "[Thu Dec  3 09:05:01 2026] hello\n".
 * A "\r" before the "\n" is part of the line and stays.
 *
 * TCP delivers bytes, not lines: a read may hold several lines or half of
 * one, so we stamp lines, not reads, and the unfinished rest waits in the
 * client's input buffer. When the client closes its side (EOF), that rest
 * is answered as a last line, everything pending is sent, and we close.
 *
 * A line longer than LINE_MAX_BYTES ends the conversation: we send what is
 * pending, shut down our side and read until the client closes too (at most
 * LINGER_MS), so that our close is a FIN and not a reset, like greeter.c.
 *
 * Usage: ./timestamp_echo PORT */
#include "common.h"

#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define LINE_MAX_BYTES (64 * 1024)  /* the longest line answered, "\n" included */
#define PENDING_MAX (256 * 1024)    /* unsent answers before we stop reading lines */
#define CHUNK 16384
#define LINGER_MS 2000
#define IDLE_MS (5 * 60 * 1000)
#define STAMP_LEN 24                /* "Thu Dec  3 09:05:01 2026" */

struct client {
    struct conn c;
    struct buf in;      /* the start of a line whose "\n" has not come yet */
    struct buf out;     /* answers not yet sent */
    int done;           /* EOF or an overlong line: no more lines */
    int eof;            /* the client closed its side */
    int shut;           /* all sent and our side shut down: draining */
    int64_t deadline;   /* while draining: close by then, whatever happens */
};

/* The local time now, as ctime() writes it but without its "\n": ctime()
 * and asctime() end their string with "\n", which would split every answer
 * in two. strftime's %e pads the day of the month with a space, as ctime()
 * does ("Dec  3"); %d would write "Dec 03". Without setlocale() the names
 * are the C locale's English ones. */
static void stamp_now(char out[STAMP_LEN + 1])
{
    time_t now = time(NULL);
    struct tm tm;
    if (localtime_r(&now, &tm) == NULL ||
        strftime(out, STAMP_LEN + 1, "%a %b %e %H:%M:%S %Y", &tm) != STAMP_LEN)
        memcpy(out, "Thu Jan  1 00:00:00 1970", STAMP_LEN + 1);  /* cannot happen before 10000 */
}

/* Queue the answer to one line: its n bytes without the "\n". */
static int answer(struct client *cl, const char *line, size_t n)
{
    char stamp[STAMP_LEN + 1];
    stamp_now(stamp);  /* the clock is read for each line */
    if (buf_append(&cl->out, "[", 1) < 0 || buf_append(&cl->out, stamp, STAMP_LEN) < 0 ||
        buf_append(&cl->out, "] ", 2) < 0 || buf_append(&cl->out, line, n) < 0 ||
        buf_append(&cl->out, "\n", 1) < 0) {
        cl->c.dead = 1;
        return -1;
    }
    return 0;
}

/* Answer every complete line in the input, in order. */
static void answer_lines(struct client *cl)
{
    struct buf *in = &cl->in;
    char *nl;
    while (in->len > 0 && (nl = memchr(buf_head(in), '\n', in->len)) != NULL) {
        size_t total = (size_t)(nl - buf_head(in)) + 1;
        if (answer(cl, buf_head(in), total - 1) < 0)
            return;
        buf_consume(in, total);
    }
    if (in->len >= LINE_MAX_BYTES) {  /* no "\n" within LINE_MAX_BYTES: too long */
        cl->done = 1;
        buf_free(in);
    }
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
    (void)c;  /* nothing to send before the client speaks */
}

static short want(struct conn *c)
{
    struct client *cl = (struct client *)c;
    if (cl->shut)
        return POLLIN;  /* only to drain until the client's EOF */
    short ev = cl->out.len > 0 ? POLLOUT : 0;
    /* Back-pressure: a client that sends lines but does not read its
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
            /* EOF: what follows the last "\n" is a last line. */
            cl->eof = cl->done = 1;
            if (cl->in.len > 0)
                answer(cl, buf_head(&cl->in), cl->in.len);
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
