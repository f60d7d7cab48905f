/* echo_udp - UDP echo server (RFC 862).
 *
 * "When a datagram is received, the data from it is sent back in an
 * answering datagram": one datagram in, the identical datagram out, to the
 * address and port it came from. An empty datagram gets an empty one back.
 * There are no connections, so no client can hold up another.
 *
 * Usage: ./echo_udp PORT */
#include "common.h"

#include <string.h>

static size_t answer(const char *p, size_t n, char *out)
{
    memcpy(out, p, n);
    return n;
}

int main(int argc, char **argv)
{
    return serve_udp(argc, argv, answer);
}
