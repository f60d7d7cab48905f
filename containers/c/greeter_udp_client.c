/* greeter_udp_client - sends each line of stdin as a datagram to a UDP
 * greeter and prints each answer on a line of its own
 * (specs/greeter-udp-client.md).
 *
 * Each line of stdin, without its line end ("\n" or "\r\n"), is a name:
 * one datagram. Its answer is one datagram back, printed with a '\n'
 * after it. The next name goes out once the answer has come, so the
 * answers come out in the order of the names.
 *
 * Over UDP two things TCP did are the client's own job. Knowing who
 * answered: anyone can send a datagram to our port, so the socket is
 * connect()ed to the server, and the kernel then delivers only datagrams
 * from the server's address and port. Knowing when to stop waiting: a
 * lost datagram is never reported, so the wait for each answer ends
 * after 4 s.
 *
 * Usage: ./greeter_udp_client HOST PORT */
#include "client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    client_init("greeter_udp_client");
    if (argc != 3) {
        fprintf(stderr, "usage: %s HOST PORT\n", argv[0]);
        return 2;
    }
    const char *host = argv[1], *port = argv[2];
    int fd = client_connect(host, port, SOCK_DGRAM);  /* no packet sent: it fixes our one peer */

    /* Room for any datagram (a smaller buffer would cut it), and the '\n'. */
    static char answer[65535 + 1];
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    /* getline() returns each line with its '\n', and its length: a name
     * may hold any byte, NUL included. A last line without '\n' is a name
     * too. */
    while ((len = getline(&line, &cap, stdin)) > 0) {
        /* The line end is not part of the name: over UDP the datagram is
         * the message, and the server would greet "Ada\n". */
        if (line[len - 1] == '\n')
            len--;
        if (len > 0 && line[len - 1] == '\r')
            len--;
        if (send(fd, line, (size_t)len, 0) < 0)
            client_fail("sending \"%.*s\" to %s:%s: %s", (int)len, line, host, port, client_why(errno));
        /* One recv per name. On a connected socket, the ICMP "port
         * unreachable" a host sends when nothing listens comes back here
         * as ECONNREFUSED. */
        ssize_t n = recv_before(fd, answer, sizeof answer - 1, client_now_ms() + CLIENT_TIMEOUT_MS);
        if (n < 0)
            client_fail("no answer to \"%.*s\" from %s:%s: %s", (int)len, line, host, port, client_why(errno));
        /* The answer's bytes as they came (nothing decoded), then the line
         * end that UDP did not need and stdout does. */
        answer[n] = '\n';
        if (write_all(STDOUT_FILENO, answer, (size_t)n + 1) < 0)
            client_fail("writing stdout: %s", client_why(errno));
    }
    if (ferror(stdin))
        client_fail("reading stdin: %s", client_why(errno));
    free(line);
    close(fd);
    return 0;
}
