#!/usr/bin/python3
"""xwd2png.py IN.xwd OUT.png: a TrueColor X window dump (xwd -root, 24/32 bits per pixel) as PNG."""
import struct
import sys
import zlib


def main():
    data = open(sys.argv[1], "rb").read()
    hdr = struct.unpack(">25I", data[:100])
    header_size, width, height = hdr[0], hdr[4], hdr[5]
    byte_order, bpp, bytes_per_line, ncolors = hdr[7], hdr[11], hdr[12], hdr[19]
    if bpp not in (24, 32):
        sys.exit("xwd2png: %d bits per pixel not supported" % bpp)
    pix = data[header_size + 12 * ncolors:]
    step = bpp // 8
    rows = []
    for y in range(height):
        line = pix[y * bytes_per_line:y * bytes_per_line + width * step]
        out = bytearray(b"\x00")  # filter: none
        for x in range(0, len(line), step):
            p = line[x:x + step]
            out += bytes((p[2], p[1], p[0])) if byte_order == 0 else bytes((p[-3], p[-2], p[-1]))
        rows.append(bytes(out))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b"")
    open(sys.argv[2], "wb").write(png)


if __name__ == "__main__":
    main()
