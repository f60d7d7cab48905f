/* client.c - the helpers the clients share (see client.h). */
#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *client_name = "client";

void client_init(const char *name)
{
    client_name = name;
    signal(SIGPIPE, SIG_IGN);
}

void client_fail(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", client_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

const char *client_why(int err)
{
    switch (err) {
    case ECONNREFUSED:
        return "connection refused (nothing listens there)";
    case ECONNRESET:
        return "connection reset by the server";
    case ETIMEDOUT:
        return "no answer within 4 s";
    }
    return strerror(err);
}

int64_t client_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ms_left(int64_t deadline)
{
    if (deadline < 0)
        return -1;
    int64_t left = deadline - client_now_ms();
    return left > 0 ? (int)left : 0;
}

/* Wait for fd to be ready for events before deadline. Returns the revents,
 * or 0 with errno = ETIMEDOUT. */
static short wait_for(int fd, short events, int64_t deadline)
{
    struct pollfd p = {.fd = fd, .events = events};
    for (;;) {
        int n = poll(&p, 1, ms_left(deadline));
        if (n > 0)
            return p.revents;
        if (n == 0) {
            errno = ETIMEDOUT;
            return 0;
        }
        if (errno != EINTR)
            return 0;
    }
}

/* One attempt: a non-blocking connect() finished by poll(), so that an
 * address that never answers costs at most the time left. Returns the
 * socket, or -1 with errno set. */
static int try_connect(const struct addrinfo *ai, int64_t deadline)
{
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0)
        return -1;
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
        goto fail;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return fd;  /* UDP, or a TCP connection on loopback that was quick */
    if (errno != EINPROGRESS)
        goto fail;
    if (!wait_for(fd, POLLOUT, deadline))
        goto fail;
    /* Writable means the attempt is over; SO_ERROR says how it ended. */
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        goto fail;
    if (err == 0)
        return fd;
    errno = err;
fail:;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

int client_connect(const char *host, const char *port, int socktype)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = socktype};
    struct addrinfo *list;
    int rc = getaddrinfo(host, port, &hints, &list);
    if (rc != 0)
        client_fail("cannot connect to %s:%s: %s", host, port, gai_strerror(rc));
    /* Every address the name has (IPv6 and IPv4, say), in order, until
     * one answers; all within one time limit. */
    int64_t deadline = client_now_ms() + CLIENT_TIMEOUT_MS;
    int fd = -1, err = 0;
    for (struct addrinfo *ai = list; ai && fd < 0; ai = ai->ai_next) {
        fd = try_connect(ai, deadline);
        if (fd < 0)
            err = errno;
    }
    freeaddrinfo(list);
    if (fd < 0)
        client_fail("cannot connect to %s:%s: %s", host, port, client_why(err));
    return fd;
}

ssize_t recv_before(int fd, void *p, size_t n, int64_t deadline)
{
    for (;;) {
        if (!wait_for(fd, POLLIN, deadline))
            return -1;
        ssize_t got = recv(fd, p, n, 0);
        if (got >= 0 || (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK))
            return got;
    }
}

int send_all_before(int fd, const void *p, size_t n, int64_t deadline)
{
    const char *c = p;
    while (n > 0) {
        /* MSG_NOSIGNAL: a peer that is gone is an EPIPE error, not a signal. */
        ssize_t s = send(fd, c, n, MSG_NOSIGNAL);
        if (s < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (!wait_for(fd, POLLOUT, deadline))
                    return -1;
                continue;
            }
            if (errno == EINTR)
                continue;
            return -1;
        }
        c += s;
        n -= (size_t)s;
    }
    return 0;
}

int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}
