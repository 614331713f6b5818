# A WebSocket client from the standard library only (RFC 6455): the opening handshake with its
# Sec-WebSocket-Accept check (section 4.2.2), a masked text message, a masked 256 KiB binary
# message (64-bit length, several TCP segments each way), a close (section 5.5.1).
# Prints: "STATUS accept-ok|accept-BAD", "OPCODE TEXT", "OPCODE LENGTH SAME-SHA256", "OPCODE CLOSE-CODE".
# usage: python3 ws_client.py HOST PORT
import base64, hashlib, os, socket, struct, sys
host, port = sys.argv[1], int(sys.argv[2])
s = socket.create_connection((host, port), timeout=10)
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(("GET /ws HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (host, port, key)).encode())
buf = b""
while b"\r\n\r\n" not in buf:
    c = s.recv(4096)
    if not c: sys.exit("closed during handshake: %r" % buf)
    buf += c
head, rest = buf.split(b"\r\n\r\n", 1)
lines = head.decode().split("\r\n")
want = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
hdr = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in lines[1:]}
print(lines[0].split(" ", 2)[1], "accept-ok" if hdr.get("sec-websocket-accept") == want else "accept-BAD")
def send(op, data):
    mask = os.urandom(4)
    n = len(data)
    h = bytes([0x80 | op]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n) if n < 65536
                              else bytes([0x80 | 127]) + struct.pack(">Q", n))
    s.sendall(h + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))
def need(k):
    global rest
    while len(rest) < k:
        c = s.recv(65536)
        if not c: sys.exit("closed")
        rest += c
    d, rest = rest[:k], rest[k:]
    return d
def recv():
    b0, b1 = need(2)
    n = b1 & 0x7f
    if n == 126: n = struct.unpack(">H", need(2))[0]
    elif n == 127: n = struct.unpack(">Q", need(8))[0]
    return b0 & 0x0f, need(n)
send(1, b"hello tapstack")
op, d = recv(); print(op, d.decode())
blob = bytes(range(256)) * 1024  # 256 KiB binary, several TCP segments each way
send(2, blob)
op, d = recv(); print(op, len(d), hashlib.sha256(d).hexdigest() == hashlib.sha256(blob).hexdigest())
send(8, struct.pack(">H", 1000))
op, d = recv(); print(op, struct.unpack(">H", d[:2])[0])
