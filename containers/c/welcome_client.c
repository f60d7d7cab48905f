/* welcome_client - prints a server's banner (specs/welcome-client.md).
 *
 * It connects, sends nothing, and copies every byte the server sends to
 * stdout until the server closes the connection. The banner that arrives
 * in one recv() on your machine may arrive in several elsewhere (TCP is a
 * byte stream, not messages), so only the server's EOF (recv() returning
 * 0) says it is complete. Each wait is bounded: a server that goes silent
 * is an error after 4 s, not a hang.
 *
 * Usage: ./welcome_client HOST PORT */
#include "client.h"

#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    client_init("welcome_client");
    if (argc != 3) {
        fprintf(stderr, "usage: %s HOST PORT\n", argv[0]);
        return 2;
    }
    int fd = client_connect(argv[1], argv[2], SOCK_STREAM);
    char data[65536];
    for (;;) {
        ssize_t n = recv_before(fd, data, sizeof data, client_now_ms() + CLIENT_TIMEOUT_MS);
        if (n == 0)
            break;  /* EOF: the server has said all it will say */
        if (n < 0)  /* a reset, or silence: not a complete banner */
            client_fail("%s:%s: %s", argv[1], argv[2], client_why(errno));
        /* The bytes as they came: they need not be text. */
        if (write_all(STDOUT_FILENO, data, (size_t)n) < 0)
            client_fail("writing stdout: %s", client_why(errno));
    }
    close(fd);
    return 0;
}
