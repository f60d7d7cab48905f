/* chat_client - says the lines of stdin in a chat room and shows what the
 * room says (specs/chat-client.md).
 *
 * A chat client does two things at once: it sends what its user types,
 * and it shows what the others say, whenever they say it. The tutorial
 * client takes turns (read a line, send it, recv, print), so a message
 * from the room shows up only when its user types the next line. Here one
 * poll() loop waits on stdin and the (non-blocking) socket together, and
 * serves whichever is ready: a line the user typed goes to the room at
 * once, and what the room sends is copied to stdout as it comes, however
 * it is split, while the user is idle too.
 *
 * The conversation ends either way, with exit status 0: at the end of
 * stdin (the user leaves: we close the connection, which the room sees as
 * our EOF) or when the room closes the connection (recv() returns 0),
 * whatever stdin is doing. There is no timeout once connected: in a chat,
 * the room and the user may both be silent for as long as they like.
 *
 * Usage: ./chat_client HOST PORT */
#include "client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    client_init("chat_client");
    if (argc != 3) {
        fprintf(stderr, "usage: %s HOST PORT\n", argv[0]);
        return 2;
    }
    const char *host = argv[1], *port = argv[2];
    int fd = client_connect(host, port, SOCK_STREAM);

    static char typed[65536], received[65536];
    size_t sent = 0, len = 0;    /* typed[sent .. len): read from stdin, not yet sent */

    for (;;) {
        /* Read stdin only once what we read before is sent: a room that
         * stops reading slows us down, and memory stays bounded. The
         * socket is watched for the room's lines all the time. */
        struct pollfd p[2] = {
            {.fd = fd, .events = POLLIN | (sent < len ? POLLOUT : 0)},
            {.fd = STDIN_FILENO, .events = POLLIN},
        };
        int nfds = sent == len ? 2 : 1;
        if (poll(p, (nfds_t)nfds, -1) < 0) {  /* no timeout: see above */
            if (errno == EINTR)
                continue;
            client_fail("poll: %s", client_why(errno));
        }

        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t r = recv(fd, received, sizeof received, 0);
            if (r == 0)
                break;  /* the room closed the connection: the conversation is over */
            if (r < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                    continue;
                client_fail("%s:%s: %s", host, port, client_why(errno));  /* a reset */
            }
            /* The bytes as they came: nothing decoded, nothing added, and
             * written at once (write(), not stdio's buffer), so that the
             * line shows now. */
            if (write_all(STDOUT_FILENO, received, (size_t)r) < 0)
                client_fail("writing stdout: %s", client_why(errno));
        }

        if (sent < len && (p[0].revents & POLLOUT)) {
            ssize_t s = send(fd, typed + sent, len - sent, MSG_NOSIGNAL);
            if (s > 0)
                sent += (size_t)s;
            else if (s < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                client_fail("%s:%s: %s", host, port, client_why(errno));
        }

        if (nfds == 2 && p[1].revents) {
            /* read() returns what is there as soon as there is something
             * (a terminal gives a line at a time): it goes to the room
             * unchanged, each line with its '\n', in the next round. */
            ssize_t r = read(STDIN_FILENO, typed, sizeof typed);
            if (r > 0) {
                sent = 0;
                len = (size_t)r;
            } else if (r == 0) {
                break;  /* end of input: the user leaves */
            } else if (errno != EINTR && errno != EAGAIN) {
                client_fail("reading stdin: %s", client_why(errno));
            }
        }
    }
    /* Leaving, either way: the close is our FIN, which tells the room. */
    close(fd);
    return 0;
}
