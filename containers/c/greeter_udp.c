/* greeter_udp - the greeting server over UDP.
 *
 * Each datagram P is a name, answered with one datagram "Hello, P!" (no
 * newline) to the address and port it came from. P is bytes, passed
 * through unchanged; an empty datagram gets "Hello, !". A name so long
 * that its answer would pass the UDP limit (over 65498 bytes) gets no
 * answer: sendto() refuses it, and the server goes on.
 *
 * Usage: ./greeter_udp PORT */
#include "common.h"

#include <string.h>

static size_t answer(const char *p, size_t n, char *out)
{
    memcpy(out, "Hello, ", 7);
    memcpy(out + 7, p, n);  /* n <= UDP_MAX_PAYLOAD: fits in UDP_ANSWER_CAP */
    out[7 + n] = '!';
    return n + 8;
}

int main(int argc, char **argv)
{
    return serve_udp(argc, argv, answer);
}
