/* client.h - what the clients share: connecting with a time limit,
 * waiting for data with a deadline, writing everything, and failing with
 * one line on stderr. (The servers share common.h; a client needs none of
 * its event loop.) */
#ifndef CLIENT_H
#define CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* How long a client waits: to connect, and for the server to say
 * something (the client documents allow 5 s). */
#define CLIENT_TIMEOUT_MS 4000

/* Call first: name is how error lines start ("echo_client: ..."). It also
 * ignores SIGPIPE, so that writing to a closed socket or stdout is an error
 * we report (EPIPE), not a silent death. */
void client_init(const char *name);

/* Print "NAME: MESSAGE" on stderr and exit with status 1. */
_Noreturn void client_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A network error in a few words: "connection refused (nothing listens
 * there)" rather than "Connection refused". */
const char *client_why(int err);

/* Connect to HOST PORT with socktype SOCK_STREAM or SOCK_DGRAM, within
 * CLIENT_TIMEOUT_MS. Returns a non-blocking socket; on failure it says why
 * and exits. */
int client_connect(const char *host, const char *port, int socktype);

/* Wait until fd is readable, at most until deadline (a now_ms() time, or
 * -1 for no limit), then recv() once. Returns the byte count, 0 at EOF, or
 * -1 with errno set (ETIMEDOUT when the deadline passed). */
ssize_t recv_before(int fd, void *p, size_t n, int64_t deadline);

/* Send all n bytes on a non-blocking socket, waiting for room at most until
 * deadline. Returns 0, or -1 with errno set. */
int send_all_before(int fd, const void *p, size_t n, int64_t deadline);

/* Write all n bytes to a blocking fd (stdout). Returns 0, or -1 with errno. */
int write_all(int fd, const void *p, size_t n);

/* Monotonic clock in milliseconds. */
int64_t client_now_ms(void);

/* Milliseconds left until deadline, as poll() takes them: -1 (no limit)
 * when deadline is -1, 0 once it has passed. */
int ms_left(int64_t deadline);

#endif
