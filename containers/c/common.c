/* common.c - the event loops shared by the servers.
 *
 * TCP: one thread, one poll() over: a self-pipe (signals), the listening
 * socket and every client. All sockets are non-blocking, so one slow or
 * silent client can never hold up the others.
 *
 * UDP: one socket, no connections: poll() over the self-pipe and that
 * socket, and each datagram is answered as soon as it is read. */
#include "common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TICK_MS 250          /* poll() wakes at least this often for timeouts */
#define ACCEPT_PAUSE_MS 100  /* out of fds: stop accepting for a moment */

struct conn **conns;
int nconns;

/* ---- byte buffer ---- */

char *buf_reserve(struct buf *b, size_t n)
{
    if (b->start + b->len + n <= b->cap)
        return b->data + b->start + b->len;
    if (b->start > 0 && b->start >= b->len) {  /* half or more is consumed: compact */
        memmove(b->data, b->data + b->start, b->len);
        b->start = 0;
        if (b->len + n <= b->cap)
            return b->data + b->len;
    }
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->start + b->len + n)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return NULL;
    b->data = p;
    b->cap = cap;
    return b->data + b->start + b->len;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
    char *dst = buf_reserve(b, n);
    if (!dst)
        return -1;
    memcpy(dst, p, n);
    b->len += n;
    return 0;
}

void buf_consume(struct buf *b, size_t n)
{
    b->start += n;
    b->len -= n;
    if (b->len == 0) {
        b->start = 0;
        if (b->cap > 64 * 1024) {  /* give a burst's memory back */
            buf_free(b);
        }
    }
}

void buf_free(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->start = b->len = b->cap = 0;
}

/* ---- socket I/O ---- */

ssize_t buf_send(int fd, struct buf *b)
{
    ssize_t total = 0;
    while (b->len > 0) {
        /* MSG_NOSIGNAL: a vanished peer gives EPIPE, not a fatal SIGPIPE. */
        ssize_t n = send(fd, buf_head(b), b->len, MSG_NOSIGNAL);
        if (n > 0) {
            buf_consume(b, (size_t)n);
            total += n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;  /* socket buffer full: poll for POLLOUT and come back */
        } else {
            return -1;
        }
    }
    return total;
}

ssize_t recv_some(int fd, void *p, size_t n)
{
    for (;;) {
        ssize_t r = recv(fd, p, n, 0);
        if (r >= 0)
            return r;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return RECV_AGAIN;
        return -1;
    }
}

int drain(int fd)
{
    char tmp[4096];
    for (int i = 0; i < 16; i++) {  /* bounded: a flood must not starve the others */
        ssize_t n = recv_some(fd, tmp, sizeof tmp);
        if (n == RECV_AGAIN)
            return 1;
        if (n <= 0)
            return 0;
    }
    return 1;
}

int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int set_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* ---- signals: the self-pipe trick ---- */

static int stop_pipe[2] = {-1, -1};
static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    int saved = errno;
    stop_requested = 1;
    /* Wake poll() even if the signal landed just before it was called. */
    ssize_t r = write(stop_pipe[1], "", 1);
    (void)r;
    errno = saved;
}

static int setup_signals(void)
{
    if (pipe(stop_pipe) < 0 || set_nonblocking(stop_pipe[0]) < 0 ||
        set_nonblocking(stop_pipe[1]) < 0)
        return -1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
        return -1;
    sa.sa_handler = SIG_IGN;  /* writes to a closed socket must not kill us */
    return sigaction(SIGPIPE, &sa, NULL);
}

/* ---- listening and accepting ---- */

/* Open a socket of the given type (SOCK_STREAM or SOCK_DGRAM) bound to
 * 0.0.0.0:PORT, non-blocking, listening if it is TCP, and announce it. */
static int listen_on(const char *arg, int type)
{
    char *end;
    errno = 0;
    long port = strtol(arg, &end, 10);
    if (errno || end == arg || *end || port < 0 || port > 65535) {
        fprintf(stderr, "bad port: %s\n", arg);
        return -1;
    }
    int fd = socket(AF_INET, type, 0);
    if (fd < 0) {
        perror("socket");
        return -1;
    }
    /* TCP: restart at once, even with old connections in TIME_WAIT. (Not
     * for UDP, where it would let two servers share the port.) */
    int one = 1;
    if (type == SOCK_STREAM)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    addr.sin_port = htons((uint16_t)port);
    socklen_t len = sizeof addr;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
        (type == SOCK_STREAM && listen(fd, 511) < 0) || set_nonblocking(fd) < 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
        perror("listen");
        close(fd);
        return -1;
    }
    /* The launcher waits for exactly this line, so flush it now. */
    printf("listening on 0.0.0.0:%d\n", ntohs(addr.sin_port));
    fflush(stdout);
    return fd;
}

/* How many clients we can hold: MAX_CONNS, or fewer if fds are scarce. */
static int conn_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 100;
    rlim_t want = MAX_CONNS + 16;
    if (rl.rlim_cur < want && rl.rlim_max > rl.rlim_cur) {
        rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    long n = rl.rlim_cur == RLIM_INFINITY ? MAX_CONNS : (long)rl.rlim_cur - 16;
    return n > MAX_CONNS ? MAX_CONNS : (n < 1 ? 1 : (int)n);
}

/* Accept one client. Returns its fd, or -1 when there is none right now;
 * *starved is set when we ran out of fds or memory. */
static int accept_client(int lfd, struct sockaddr_in *peer, int *starved)
{
    for (;;) {
        socklen_t len = sizeof *peer;
        int fd = accept(lfd, (struct sockaddr *)peer, &len);
        if (fd >= 0) {
            int one = 1;  /* we write whole messages: send them without delay */
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            if (set_nonblocking(fd) < 0) {
                close(fd);
                continue;
            }
            return fd;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;  /* that client gave up before we got to it */
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
            *starved = 1;
        return -1;
    }
}

static void close_conn(const struct server_ops *ops, int i)
{
    struct conn *c = conns[i];
    ops->on_close(c);
    close(c->fd);
    free(c);
    conns[i] = conns[--nconns];  /* order of conns[] does not matter */
}

/* ---- the loop ---- */

int serve(int argc, char **argv, const struct server_ops *ops)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    if (setup_signals() < 0) {
        perror("signals");
        return 1;
    }
    int limit = conn_limit();
    int lfd = listen_on(argv[1], SOCK_STREAM);
    conns = calloc((size_t)limit, sizeof *conns);
    struct pollfd *pfd = calloc((size_t)limit + 2, sizeof *pfd);
    int status = 0;
    if (lfd < 0 || !conns || !pfd)
        status = 1;
    int64_t accept_after = 0;

    while (status == 0 && !stop_requested) {
        int64_t now = now_ms();
        /* Slot 0: the signal pipe. Slot 1: the listener, left out (fd -1) when
         * full, so extra clients wait in the backlog instead of spinning us. */
        pfd[0] = (struct pollfd){.fd = stop_pipe[0], .events = POLLIN};
        pfd[1] = (struct pollfd){.fd = nconns < limit && now >= accept_after ? lfd : -1,
                                 .events = POLLIN};
        int n = nconns;
        for (int i = 0; i < n; i++)
            pfd[i + 2] = (struct pollfd){.fd = conns[i]->fd, .events = ops->want(conns[i])};

        if (poll(pfd, (nfds_t)n + 2, TICK_MS) < 0 && errno != EINTR) {
            perror("poll");
            status = 1;
            break;
        }
        if (stop_requested)
            break;

        for (int i = 0; i < n; i++) {
            short re = pfd[i + 2].revents;
            if (re && !conns[i]->dead)
                ops->on_ready(conns[i], re);
        }

        if (pfd[1].revents & POLLIN) {
            while (nconns < limit) {
                struct sockaddr_in peer;
                int starved = 0;
                int fd = accept_client(lfd, &peer, &starved);
                if (fd < 0) {
                    if (starved)
                        accept_after = now_ms() + ACCEPT_PAUSE_MS;
                    break;
                }
                struct conn *c = calloc(1, ops->conn_size);
                if (!c) {
                    close(fd);
                    break;
                }
                c->fd = fd;
                c->peer = peer;
                c->last = now_ms();
                conns[nconns++] = c;
                ops->on_open(c);
            }
        }

        /* Timeouts, then close whoever is done. Walk backwards because
         * close_conn() moves the last entry into the freed slot. */
        now = now_ms();
        for (int i = nconns - 1; i >= 0; i--) {
            if (!conns[i]->dead)
                ops->on_tick(conns[i], now);
            if (conns[i]->dead)
                close_conn(ops, i);
        }
    }

    while (nconns > 0)
        close_conn(ops, nconns - 1);
    free(conns);
    free(pfd);
    if (lfd >= 0)
        close(lfd);
    close(stop_pipe[0]);
    close(stop_pipe[1]);
    return status;
}

/* ---- the UDP loop ---- */

#define UDP_BATCH 64  /* datagrams per wake-up, so a flood cannot hide a signal */

int serve_udp(int argc, char **argv, udp_answer_fn answer)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    if (setup_signals() < 0) {
        perror("signals");
        return 1;
    }
    int fd = listen_on(argv[1], SOCK_DGRAM);
    /* in holds the largest payload an IPv4 datagram carries, whole. */
    char *in = malloc(UDP_MAX_PAYLOAD), *out = malloc(UDP_ANSWER_CAP);
    int status = fd < 0 || !in || !out;

    while (status == 0 && !stop_requested) {
        struct pollfd pfd[2] = {{.fd = stop_pipe[0], .events = POLLIN},
                                {.fd = fd, .events = POLLIN}};
        if (poll(pfd, 2, -1) < 0 && errno != EINTR) {
            perror("poll");
            status = 1;
            break;
        }
        for (int i = 0; i < UDP_BATCH && !stop_requested; i++) {
            struct sockaddr_in from;
            socklen_t fromlen = sizeof from;
            ssize_t n = recvfrom(fd, in, UDP_MAX_PAYLOAD, 0, (struct sockaddr *)&from, &fromlen);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;  /* all read: back to poll() */
            if (n < 0)
                continue;  /* e.g. ECONNREFUSED: an ICMP error for an earlier answer */
            size_t len = answer(in, (size_t)n, out);
            /* The answer goes back to whoever sent the datagram. If it
             * cannot be sent (socket buffer full, too big, an ICMP error),
             * it is lost, as UDP datagrams may be: the server goes on. */
            while (sendto(fd, out, len, 0, (struct sockaddr *)&from, fromlen) < 0 &&
                   errno == EINTR)
                ;
        }
    }

    free(in);
    free(out);
    if (fd >= 0)
        close(fd);
    close(stop_pipe[0]);
    close(stop_pipe[1]);
    return status;
}
