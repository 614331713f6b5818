#!/usr/bin/env python3
"""Many TCP connections for scripts/bench-conns.sh (issue 11), bounded in count and time.

  conns.py hold  --dst IP --port P --src A[,B...] --count N --dir DIR --tag T
      opens N connections (spread over the source addresses, ephemeral ports), prints
      "opened N SECONDS" to DIR/T.log, then waits for DIR/go-request: one HTTP/1.1 keep-alive
      GET on each connection, "answered K" (K = answers starting with 'HTTP/1.1 200'); then for
      DIR/go-close: closes all, "closed". Gives up (exit 1) after --timeout seconds in all.
  conns.py serve --port P
      a Linux HTTP server for the comparison: epoll, SO_REUSEPORT (run several), answers every
      request with a small 200 keep-alive response.
"""
import argparse, errno, os, select, socket, sys, time

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 14\r\nContent-Type: text/plain\r\n\r\nHello, world!\n"


def log(args, line):
    with open(os.path.join(args.dir, args.tag + ".log"), "a") as f:
        f.write(line + "\n")


def wait_file(path, deadline):
    while not os.path.exists(path):
        if time.time() > deadline:
            return False
        time.sleep(0.05)
    return True


def hold(args):
    deadline = time.time() + args.timeout
    srcs = args.src.split(",")
    ep = select.epoll()
    socks = {}
    pending = 0
    t0 = time.time()
    opened = 0
    failed = 0
    i = 0
    while (opened + failed < args.count) and time.time() < deadline:
        # keep at most 500 connects in flight
        while i < args.count and pending < 500:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((srcs[i % len(srcs)], 0))
            s.setblocking(False)
            e = s.connect_ex((args.dst, args.port))
            if e not in (0, errno.EINPROGRESS):
                s.close(); failed += 1; i += 1
                continue
            socks[s.fileno()] = s
            ep.register(s.fileno(), select.EPOLLOUT)
            pending += 1
            i += 1
        for fd, ev in ep.poll(0.2):
            s = socks[fd]
            ep.unregister(fd)
            pending -= 1
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                opened += 1
            else:
                failed += 1
                del socks[fd]
                s.close()
    log(args, "opened %d %.3f failed %d" % (opened, time.time() - t0, failed))
    if not wait_file(os.path.join(args.dir, "go-request"), deadline):
        return 1
    req = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
    answered = 0
    left = {}
    for fd, s in socks.items():
        try:
            s.send(req)
            ep.register(fd, select.EPOLLIN)
            left[fd] = b""
        except OSError:
            pass
    while left and time.time() < deadline:
        for fd, ev in ep.poll(0.2):
            try:
                d = socks[fd].recv(4096)
            except OSError:
                d = b""
            if not d or b"\r\n\r\n" in left[fd] + d:
                if (left[fd] + d).startswith(b"HTTP/1.1 200"):
                    answered += 1
                ep.unregister(fd)
                del left[fd]
            else:
                left[fd] += d
    log(args, "answered %d" % answered)
    if not wait_file(os.path.join(args.dir, "go-close"), deadline):
        return 1
    for s in socks.values():
        s.close()
    log(args, "closed")
    return 0


def serve(args):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    ls.bind(("0.0.0.0", args.port))
    ls.listen(4096)
    ls.setblocking(False)
    ep = select.epoll()
    ep.register(ls.fileno(), select.EPOLLIN)
    conns = {}
    end = time.time() + args.timeout
    while time.time() < end:
        for fd, ev in ep.poll(0.5):
            if fd == ls.fileno():
                while True:
                    try:
                        c, _ = ls.accept()
                    except (BlockingIOError, OSError):
                        break
                    c.setblocking(False)
                    conns[c.fileno()] = c
                    ep.register(c.fileno(), select.EPOLLIN)
                continue
            c = conns.get(fd)
            try:
                d = c.recv(4096)
            except OSError:
                d = b""
            if not d:
                ep.unregister(fd)
                del conns[fd]
                c.close()
            elif b"\r\n\r\n" in d:
                try:
                    c.send(RESPONSE)
                except OSError:
                    pass
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["hold", "serve"])
    p.add_argument("--dst")
    p.add_argument("--port", type=int, default=80)
    p.add_argument("--src", default="")
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--dir", default=".")
    p.add_argument("--tag", default="c0")
    p.add_argument("--timeout", type=float, default=900)
    a = p.parse_args()
    sys.exit(hold(a) if a.mode == "hold" else serve(a))


if __name__ == "__main__":
    main()
