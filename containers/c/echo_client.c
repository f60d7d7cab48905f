/* echo_client - sends stdin to an echo server and prints what comes back
 * (specs/echo-client.md).
 *
 * It behaves like a Unix filter: the bytes of stdin go to the server
 * unchanged, the bytes the server sends come out on stdout unchanged, and
 * the program ends when the server closes the connection.
 *
 * Sending and receiving happen at the same time, in one poll() loop over
 * stdin and the (non-blocking) socket. A client that sent all its input
 * before reading would deadlock with the server once the socket buffers in
 * both directions are full: the server stops reading while its own writes
 * to us are blocked.
 *
 * At the end of stdin it shuts down its sending side (a FIN, the
 * half-close): that is how the server learns we are done. It keeps reading
 * until the server closes too; from then on, a server silent for 4 s is
 * an error, not a hang.
 *
 * Usage: ./echo_client HOST PORT */
#include "client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    client_init("echo_client");
    if (argc != 3) {
        fprintf(stderr, "usage: %s HOST PORT\n", argv[0]);
        return 2;
    }
    const char *host = argv[1], *port = argv[2];
    int fd = client_connect(host, port, SOCK_STREAM);

    static char pending[65536], echo[65536];
    size_t sent = 0, len = 0;    /* pending[sent .. len): read from stdin, not yet sent */
    int stdin_open = 1;
    int64_t deadline = -1;       /* set at our FIN: give up if the server is silent until then */

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
            client_fail("%s:%s: the server said nothing for 4 s after the end of our input", host, port);
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
            } else if (r == 0) {
                /* End of input: say so with our FIN, and keep reading. */
                stdin_open = 0;
                if (shutdown(fd, SHUT_WR) < 0)
                    client_fail("%s:%s: %s", host, port, client_why(errno));
                deadline = client_now_ms() + CLIENT_TIMEOUT_MS;
            } else if (errno != EINTR && errno != EAGAIN) {
                client_fail("reading stdin: %s", client_why(errno));
            }
        }

        if (p[0].revents & (POLLOUT | POLLERR)) {
            ssize_t s = send(fd, pending + sent, len - sent, MSG_NOSIGNAL);
            if (s > 0)
                sent += (size_t)s;
            else if (s < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                client_fail("%s:%s: %s", host, port, client_why(errno));
        }

        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t r = recv(fd, echo, sizeof echo, 0);
            if (r == 0)
                break;  /* the server's EOF: the echo is complete */
            if (r < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                    continue;
                client_fail("%s:%s: %s", host, port, client_why(errno));  /* a reset */
            }
            /* The server is still at work: after our FIN it gets another
             * 4 s from each piece, so a slow but steady echo is not cut. */
            if (!stdin_open)
                deadline = client_now_ms() + CLIENT_TIMEOUT_MS;
            /* The bytes as they came: nothing decoded, nothing added. */
            if (write_all(STDOUT_FILENO, echo, (size_t)r) < 0)
                client_fail("writing stdout: %s", client_why(errno));
        }
    }
    close(fd);
    return 0;
}
