/* greeter_client - sends names to a greeting server and prints its
 * welcome and greetings (specs/greeter-client.md).
 *
 * The names come from stdin, one per line; everything the server sends
 * (its welcome, then a greeting per name) comes out on stdout, byte for
 * byte. At the end of stdin it sends "exit", and the program ends when
 * the server closes the connection.
 *
 * The tutorial client takes turns: one recv() for the welcome, then a
 * send() and a recv() per name, as if each message came in one piece. TCP
 * is a byte stream: the welcome may come in three reads, and two
 * greetings in one. So sending and printing are independent here, in one
 * poll() loop over stdin and the (non-blocking) socket: whatever the
 * server sends is copied to stdout as it comes, until its EOF, whichever
 * name it answers.
 *
 * The bytes of stdin go out unchanged, as they are read: each line with
 * its '\n', which is how the server knows a name is complete (a last line
 * without one gets one). A server silent for 4 s is an error, not a hang.
 *
 * Usage: ./greeter_client HOST PORT */
#include "client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    client_init("greeter_client");
    if (argc != 3) {
        fprintf(stderr, "usage: %s HOST PORT\n", argv[0]);
        return 2;
    }
    const char *host = argv[1], *port = argv[2];
    int fd = client_connect(host, port, SOCK_STREAM);

    static char pending[65536], received[65536];
    size_t sent = 0, len = 0;    /* pending[sent .. len): to send, not yet sent */
    int stdin_open = 1;
    char last = '\n';            /* the last byte read from stdin: does the last line need an end? */
    /* Every wait on the server is bounded: 4 s from the connection, then
     * 4 s from each piece it sends. */
    int64_t deadline = client_now_ms() + CLIENT_TIMEOUT_MS;

    for (;;) {
        /* Read stdin only once what we read before is sent: the socket's
         * pace sets ours, and memory stays bounded. */
        struct pollfd p[2] = {
            {.fd = fd, .events = POLLIN | (sent < len ? POLLOUT : 0)},
            {.fd = STDIN_FILENO, .events = POLLIN},
        };
        int nfds = stdin_open && sent == len ? 2 : 1;
        int n = poll(p, (nfds_t)nfds, ms_left(deadline));
        if (n == 0)
            client_fail("%s:%s: %s", host, port, client_why(ETIMEDOUT));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            client_fail("poll: %s", client_why(errno));
        }

        if (nfds == 2 && p[1].revents) {
            ssize_t r = read(STDIN_FILENO, pending, sizeof pending);
            if (r > 0) {
                sent = 0;
                len = (size_t)r;
                last = pending[len - 1];
            } else if (r == 0) {
                /* End of input: end the last name if it has no '\n', and
                 * say "exit". The server answers with its close. */
                stdin_open = 0;
                sent = len = 0;
                if (last != '\n')
                    pending[len++] = '\n';
                memcpy(pending + len, "exit\n", 5);
                len += 5;
            } else if (errno != EINTR && errno != EAGAIN) {
                client_fail("reading stdin: %s", client_why(errno));
            }
        }

        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t r = recv(fd, received, sizeof received, 0);
            if (r == 0)
                break;  /* the server's EOF: it has answered our exit */
            if (r < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                    continue;
                client_fail("%s:%s: %s", host, port, client_why(errno));  /* a reset */
            }
            deadline = client_now_ms() + CLIENT_TIMEOUT_MS;
            /* The bytes as they came: nothing decoded, nothing added. */
            if (write_all(STDOUT_FILENO, received, (size_t)r) < 0)
                client_fail("writing stdout: %s", client_why(errno));
        }

        if (sent < len && (p[0].revents & POLLOUT)) {
            ssize_t s = send(fd, pending + sent, len - sent, MSG_NOSIGNAL);
            if (s > 0)
                sent += (size_t)s;
            else if (s < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                client_fail("%s:%s: %s", host, port, client_why(errno));
        }
    }
    close(fd);
    return 0;
}
