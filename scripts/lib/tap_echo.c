/*
 * The lower bound for ping through a TAP: a tiny responder that answers ARP requests and ICMP
 * echo requests (RFC 826, RFC 792) for one IPv4 address on a TAP, nothing else. With "busy" it
 * spins on a non-blocking read() (no sleep, one CPU at 100 %); with "sleep" it blocks in poll().
 * No Java, no stack: what any TAP-based stack pays at least (the kernel's TAP queue, the reader's
 * wake-up, the write back and the wake-up of the pinging process). Used by scripts/bench-latency.sh.
 *
 *   tap_echo TAP IPV4 busy|sleep SECONDS
 *
 * Exits after SECONDS (bounded); prints the frames it answered.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static const uint8_t MAC[6] = {0x02, 0x00, 0x00, 0xec, 0x00, 0x02};

static uint16_t csum(const uint8_t *p, size_t n) {
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1) s += (uint32_t)p[n - 1] << 8;
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: tap_echo TAP IPV4 busy|sleep SECONDS\n"); return 2; }
    struct in_addr me;
    if (inet_pton(AF_INET, argv[2], &me) != 1) { fprintf(stderr, "tap_echo: bad address\n"); return 2; }
    int busy = strcmp(argv[3], "busy") == 0;
    double end = now() + atof(argv[4]);
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) { perror("tap_echo: /dev/net/tun"); return 1; }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    strncpy(ifr.ifr_name, argv[1], IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) { perror("tap_echo: TUNSETIFF"); return 1; }
    ioctl(fd, TUNSETOFFLOAD, 0);
    printf("tap_echo: ready\n");
    fflush(stdout);
    uint8_t f[2048];
    long answered = 0;
    struct pollfd pfd = {fd, POLLIN, 0};
    for (;;) {
        ssize_t n = read(fd, f, sizeof f);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR) { perror("tap_echo: read"); return 1; }
            if (!busy) poll(&pfd, 1, 100);
            if (now() > end) break;
            continue;
        }
        if (n < 14) continue;
        uint16_t type = f[12] << 8 | f[13];
        if (type == 0x0806 && n >= 42 && f[20] == 0 && f[21] == 1 && memcmp(f + 38, &me, 4) == 0) {
            /* ARP request for us: turn it into the reply */
            memcpy(f, f + 6, 6);
            memcpy(f + 6, MAC, 6);
            f[21] = 2;
            memcpy(f + 32, f + 22, 10);          /* target = the asker */
            memcpy(f + 22, MAC, 6);
            memcpy(f + 28, &me, 4);
            if (write(fd, f, 42) == 42) answered++;
        } else if (type == 0x0800 && n >= 34) {
            uint8_t *ip = f + 14;
            size_t ihl = (ip[0] & 15) * 4;
            size_t tot = ip[2] << 8 | ip[3];
            if (ihl < 20 || tot < ihl + 8 || 14 + tot > (size_t)n || ip[9] != 1 || memcmp(ip + 16, &me, 4) != 0) continue;
            uint8_t *icmp = ip + ihl;
            if (icmp[0] != 8) continue;
            memcpy(f, f + 6, 6);
            memcpy(f + 6, MAC, 6);
            memcpy(ip + 16, ip + 12, 4);
            memcpy(ip + 12, &me, 4);
            ip[8] = 64;
            ip[10] = ip[11] = 0;
            uint16_t c = csum(ip, ihl);
            ip[10] = c >> 8; ip[11] = c & 0xff;
            icmp[0] = 0;
            icmp[2] = icmp[3] = 0;
            c = csum(icmp, tot - ihl);
            icmp[2] = c >> 8; icmp[3] = c & 0xff;
            if (write(fd, f, 14 + tot) == (ssize_t)(14 + tot)) answered++;
        }
        if (now() > end) break;
    }
    printf("tap_echo: answered %ld\n", answered);
    return 0;
}
