#!/usr/bin/python3
"""Client traffic against a tapstack host, from inside the test's namespace (standard library).

  traffic.py udpecho ADDR COUNT    COUNT datagrams to the echo service (port 7); prints 'udpecho OK/COUNT'
  traffic.py tcpecho ADDR COUNT    one connection, COUNT writes echoed back; prints 'tcpecho OK/COUNT'
Every wait is bounded (2 s per reply).
"""
import socket
import sys


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def udpecho(addr, n):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.settimeout(2)
    ok = 0
    for i in range(n):
        m = (b"u%d-" % i) + b"x" * (i * 37 % 700)
        s.sendto(m, (addr, 7))
        try:
            d, _ = s.recvfrom(65535)
            ok += d == m
        except socket.timeout:
            pass
    print("udpecho %d/%d" % (ok, n))


def tcpecho(addr, n):
    s = socket.create_connection((addr, 7), timeout=5)
    s.settimeout(2)
    ok = 0
    for i in range(n):
        m = (b"t%d-" % i) + b"y" * (i * 53 % 900)
        s.sendall(m)
        got = b""
        try:
            while len(got) < len(m):
                d = s.recv(65535)
                if not d:
                    break
                got += d
        except socket.timeout:
            pass
        ok += got == m
    s.close()
    print("tcpecho %d/%d" % (ok, n))


if __name__ == "__main__":
    {"udpecho": udpecho, "tcpecho": tcpecho}[sys.argv[1]](sys.argv[2], int(sys.argv[3]))
