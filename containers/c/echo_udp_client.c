/* echo_udp_client - sends stdin as one datagram and prints the answer
 * (specs/echo-udp-client.md).
 *
 * Over UDP two things TCP did are the client's own job. Knowing who
 * answered: anyone can send a datagram to our port, so the socket is
 * connect()ed to the server, and the kernel then delivers only datagrams
 * from the server's address and port. Knowing when to stop waiting: a lost
 * datagram is never reported, so the wait for the answer ends after 4 s.
 *
 * Usage: ./echo_udp_client HOST PORT */
#include "client.h"

#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_DATAGRAM 65507  /* the largest UDP payload over IPv4 */

int main(int argc, char **argv)
{
    client_init("echo_udp_client");
    if (argc != 3) {
        fprintf(stderr, "usage: %s HOST PORT\n", argv[0]);
        return 2;
    }
    const char *host = argv[1], *port = argv[2];

    /* The whole of stdin is the message: read to EOF, one byte more than
     * fits, to tell a message that is too long. */
    static char message[MAX_DATAGRAM + 1], answer[65535];
    size_t len = 0;
    for (;;) {
        ssize_t r = read(STDIN_FILENO, message + len, sizeof message - len);
        if (r == 0)
            break;
        if (r < 0) {
            if (errno == EINTR)
                continue;
            client_fail("reading stdin: %s", client_why(errno));
        }
        len += (size_t)r;
        if (len > MAX_DATAGRAM)
            client_fail("stdin holds more than %d bytes, more than one datagram", MAX_DATAGRAM);
    }

    int fd = client_connect(host, port, SOCK_DGRAM);  /* no packet sent: it fixes our one peer */
    if (send(fd, message, len, 0) < 0)
        client_fail("sending to %s:%s: %s", host, port, client_why(errno));
    /* One recv with room for any datagram: a smaller buffer would cut it.
     * On a connected socket, the ICMP "port unreachable" a host sends when
     * nothing listens comes back here as ECONNREFUSED. */
    ssize_t n = recv_before(fd, answer, sizeof answer, client_now_ms() + CLIENT_TIMEOUT_MS);
    if (n < 0)
        client_fail("%s:%s: %s", host, port, client_why(errno));
    if (write_all(STDOUT_FILENO, answer, (size_t)n) < 0)
        client_fail("writing stdout: %s", client_why(errno));
    close(fd);
    return 0;
}
