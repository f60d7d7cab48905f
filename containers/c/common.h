/* common.h - what the servers share: a byte buffer, safe send/recv
 * helpers, one poll() event loop that calls back into each TCP server, and
 * a datagram loop for the UDP servers. */
#ifndef COMMON_H
#define COMMON_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <netinet/in.h>

#define MAX_CONNS 1000   /* never more clients than this (or than fds allow) */
#define RECV_AGAIN (-2)  /* recv_some(): nothing to read right now */

/* A growable byte queue: the pending bytes are data[start .. start+len). */
struct buf {
    char *data;
    size_t start, len, cap;
};

char *buf_reserve(struct buf *b, size_t n);  /* room for n more bytes at the end */
int buf_append(struct buf *b, const void *p, size_t n);
void buf_consume(struct buf *b, size_t n);    /* drop n bytes from the front */
void buf_free(struct buf *b);
static inline char *buf_head(struct buf *b) { return b->data + b->start; }

/* Send as much of b as the socket takes now (retrying on EINTR, stopping on
 * EAGAIN). Returns the number of bytes sent, or -1 if the peer is gone. */
ssize_t buf_send(int fd, struct buf *b);

/* One recv() that retries on EINTR. Returns >0 bytes, 0 at EOF,
 * RECV_AGAIN if nothing is available, -1 on error (e.g. reset). */
ssize_t recv_some(int fd, void *p, size_t n);

/* Read and throw away whatever is available. Returns 0 at EOF or on error
 * (the peer is gone), 1 otherwise. */
int drain(int fd);

int64_t now_ms(void);  /* monotonic clock, milliseconds */

/* Every server's per-client struct begins with this. */
struct conn {
    int fd;
    int dead;                 /* set it to have the loop close this client */
    int64_t last;             /* time of last progress, for idle timeouts */
    struct sockaddr_in peer;  /* the client's address as we see it */
};

/* What a server plugs into the loop. */
struct server_ops {
    size_t conn_size;                               /* sizeof its client struct */
    void (*on_open)(struct conn *c);                /* just accepted */
    short (*want)(struct conn *c);                  /* POLLIN/POLLOUT it needs now */
    void (*on_ready)(struct conn *c, short revents);
    void (*on_tick)(struct conn *c, int64_t now);   /* timeouts: set c->dead */
    void (*on_close)(struct conn *c);               /* free its buffers (not the fd) */
};

/* All open clients, for servers that talk to everyone (chat). */
extern struct conn **conns;
extern int nconns;

/* Parse PORT from argv, listen, print "listening on 0.0.0.0:PORT", then run
 * the loop until SIGTERM or SIGINT. Returns the process exit code. */
int serve(int argc, char **argv, const struct server_ops *ops);

/* ---- UDP ---- */

#define UDP_MAX_PAYLOAD 65507        /* the largest UDP payload over IPv4 */
#define UDP_ANSWER_CAP (65536 + 64)  /* room an answer may use */

/* Write the answer to the n-byte datagram p into out (at most
 * UDP_ANSWER_CAP bytes) and return its length. */
typedef size_t (*udp_answer_fn)(const char *p, size_t n, char *out);

/* Like serve(), on a UDP socket: every datagram is answered with one
 * datagram, answer(payload), sent back to its sender. */
int serve_udp(int argc, char **argv, udp_answer_fn answer);

#endif
