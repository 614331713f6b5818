package io.tapstack.capture;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads pcap (either byte order, microsecond or nanosecond magic) and pcapng (either byte
 * order, several sections and interfaces, {@code if_tsresol}, {@code epb_flags}; Enhanced and
 * Simple Packet Blocks; unknown blocks skipped). Malformed input raises {@link IOException},
 * never anything else. Mainly for tests and tools.
 */
public final class CaptureFileReader implements AutoCloseable {
    /** Largest block or record we accept (guards against garbage lengths). */
    static final int MAX_BLOCK = 64 * 1024 * 1024;

    private final DataInputStream in;
    private final boolean pcapng;
    // pcap state
    private ByteOrder order;
    private boolean nanos;
    private int pcapLinkType;
    private int pcapSnaplen;
    // pcapng state
    private final List<long[]> interfaces = new ArrayList<>(); // {linktype, snaplen, unitsPerSecond-or-0 and shift info}
    private final List<String> interfaceNames = new ArrayList<>();
    private byte[] first4;

    public CaptureFileReader(InputStream input) throws IOException {
        this.in = new DataInputStream(input);
        byte[] m = new byte[4];
        in.readFully(m);
        int be = ByteBuffer.wrap(m).order(ByteOrder.BIG_ENDIAN).getInt();
        int le = ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).getInt();
        if (be == PcapngWriter.SHB) {
            pcapng = true;
            first4 = m;
            return;
        }
        pcapng = false;
        if (be == PcapWriter.MAGIC_MICROS || be == PcapWriter.MAGIC_NANOS) order = ByteOrder.BIG_ENDIAN;
        else if (le == PcapWriter.MAGIC_MICROS || le == PcapWriter.MAGIC_NANOS) order = ByteOrder.LITTLE_ENDIAN;
        else throw new IOException(String.format("not a pcap or pcapng file (magic %08x)", be));
        int magic = order == ByteOrder.BIG_ENDIAN ? be : le;
        nanos = magic == PcapWriter.MAGIC_NANOS;
        ByteBuffer h = read(20, order);
        h.getShort(); // major
        h.getShort(); // minor
        h.getInt();   // thiszone
        h.getInt();   // sigfigs
        pcapSnaplen = h.getInt();
        pcapLinkType = h.getInt() & 0x0fffffff; // upper bits: FCS info (pcap-savefile)
    }

    public boolean isPcapng() { return pcapng; }

    /** The timestamp resolution of a pcap file, or of the first pcapng interface. */
    public TimestampResolution resolution() {
        if (!pcapng) return nanos ? TimestampResolution.NANOSECONDS : TimestampResolution.MICROSECONDS;
        return interfaces.isEmpty() || interfaces.get(0)[2] != 1_000_000_000L ? TimestampResolution.MICROSECONDS : TimestampResolution.NANOSECONDS;
    }

    public int snaplen() { return pcapng ? (interfaces.isEmpty() ? 0 : (int) interfaces.get(0)[1]) : pcapSnaplen; }

    public int linkType() { return pcapng ? (interfaces.isEmpty() ? 0 : (int) interfaces.get(0)[0]) : pcapLinkType; }

    /** if_name of pcapng interface i, or null. */
    public String interfaceName(int i) { return i < interfaceNames.size() ? interfaceNames.get(i) : null; }

    private ByteBuffer read(int n, ByteOrder o) throws IOException {
        if (n < 0 || n > MAX_BLOCK) throw new IOException("bad length " + n);
        byte[] b = new byte[n];
        in.readFully(b);
        return ByteBuffer.wrap(b).order(o);
    }

    /** The next packet, or null at the end of the file. */
    public CaptureRecord next() throws IOException {
        try {
            return pcapng ? nextNg() : nextPcap();
        } catch (EOFException e) {
            return null;
        } catch (RuntimeException e) {
            throw new IOException("malformed capture file: " + e, e);
        }
    }

    /** Reads every remaining packet. */
    public List<CaptureRecord> readAll() throws IOException {
        List<CaptureRecord> out = new ArrayList<>();
        for (CaptureRecord r; (r = next()) != null; ) out.add(r);
        return out;
    }

    private CaptureRecord nextPcap() throws IOException {
        byte[] h = new byte[16];
        int got = in.readNBytes(h, 0, 16);
        if (got == 0) return null;
        if (got < 16) throw new IOException("truncated record header");
        ByteBuffer b = ByteBuffer.wrap(h).order(order);
        long sec = Integer.toUnsignedLong(b.getInt());
        long frac = Integer.toUnsignedLong(b.getInt());
        int incl = b.getInt(), orig = b.getInt();
        if (incl < 0 || incl > MAX_BLOCK) throw new IOException("bad captured length " + Integer.toUnsignedString(incl));
        // pcap-savefile(5): the fraction counts micro- or nanoseconds within the second. A larger one
        // (found by CaptureFileFuzzTarget) made a time past 2^32 s that no pcap file can hold.
        if (frac >= (nanos ? 1_000_000_000L : 1_000_000L)) throw new IOException("timestamp fraction " + frac + " is a second or more");
        byte[] data = new byte[incl];
        in.readFully(data);
        long ts = sec * 1_000_000_000L + (nanos ? frac : frac * 1000L);
        return new CaptureRecord(ts, data, orig, Direction.UNKNOWN, pcapLinkType);
    }

    private CaptureRecord nextNg() throws IOException {
        while (true) {
            byte[] t = new byte[4];
            if (first4 != null) {
                t = first4;
                first4 = null;
            } else {
                int got = in.readNBytes(t, 0, 4);
                if (got == 0) return null;
                if (got < 4) throw new IOException("truncated block");
            }
            int typeBe = ByteBuffer.wrap(t).order(ByteOrder.BIG_ENDIAN).getInt();
            if (typeBe == PcapngWriter.SHB) {
                // §4.1: the byte-order magic decides the section's byte order
                byte[] lenAndMagic = new byte[8];
                in.readFully(lenAndMagic);
                int magicBe = ByteBuffer.wrap(lenAndMagic, 4, 4).order(ByteOrder.BIG_ENDIAN).getInt();
                if (magicBe == PcapngWriter.BYTE_ORDER_MAGIC) order = ByteOrder.BIG_ENDIAN;
                else if (Integer.reverseBytes(magicBe) == PcapngWriter.BYTE_ORDER_MAGIC) order = ByteOrder.LITTLE_ENDIAN;
                else throw new IOException("bad pcapng byte-order magic");
                int len = ByteBuffer.wrap(lenAndMagic, 0, 4).order(order).getInt();
                if (len < 28 || (len & 3) != 0) throw new IOException("bad SHB length " + len);
                ByteBuffer rest = read(len - 12, order); // version, section length, options, trailing length
                if (rest.getInt(len - 16) != len) {
                    throw new IOException("pcapng SHB trailing length " + rest.getInt(len - 16) + " != " + len);
                }
                interfaces.clear();
                interfaceNames.clear();
                continue;
            }
            if (order == null) throw new IOException("pcapng block before section header");
            int type = ByteBuffer.wrap(t).order(order).getInt();
            int len = read(4, order).getInt();
            if (len < 12 || (len & 3) != 0) throw new IOException("bad block length " + len);
            ByteBuffer body = read(len - 8, order);
            // §3.1: the block ends with a copy of its length
            if (body.getInt(len - 12) != len) {
                throw new IOException("pcapng block trailing length " + body.getInt(len - 12) + " != " + len);
            }
            body.limit(len - 12); // without the trailing length
            switch (type) {
                case PcapngWriter.IDB: {
                    int linktype = body.getShort() & 0xffff;
                    body.getShort();
                    long snap = Integer.toUnsignedLong(body.getInt());
                    long units = 1_000_000L;
                    String name = null;
                    while (body.remaining() >= 4) {
                        int code = body.getShort() & 0xffff, olen = body.getShort() & 0xffff;
                        if (code == PcapngWriter.OPT_ENDOFOPT) break;
                        byte[] v = new byte[olen];
                        body.get(v);
                        body.position(body.position() + ((4 - olen % 4) % 4));
                        if (code == PcapngWriter.IF_TSRESOL && olen >= 1) {
                            int r = v[0] & 0xff;
                            int e = r & 0x7f;
                            // §4.2 if_tsresol: MSB 0 = 10^-e, MSB 1 = 2^-e
                            units = (r & 0x80) == 0 ? (e <= 18 ? pow10(e) : 0) : (e < 63 ? 1L << e : 0);
                            if (units == 0) throw new IOException("unsupported if_tsresol " + r);
                        } else if (code == PcapngWriter.IF_NAME) {
                            name = new String(v, StandardCharsets.UTF_8);
                        }
                    }
                    interfaces.add(new long[] {linktype, snap, units});
                    interfaceNames.add(name);
                    continue;
                }
                case PcapngWriter.EPB: {
                    int ifc = body.getInt();
                    long ts = (Integer.toUnsignedLong(body.getInt()) << 32) | Integer.toUnsignedLong(body.getInt());
                    int cap = body.getInt(), orig = body.getInt();
                    if (ifc < 0 || ifc >= interfaces.size()) throw new IOException("EPB for unknown interface " + ifc);
                    if (cap < 0 || cap > body.remaining()) throw new IOException("bad EPB captured length " + cap);
                    byte[] data = new byte[cap];
                    body.get(data);
                    body.position(Math.min(body.limit(), body.position() + ((4 - cap % 4) % 4)));
                    Direction dir = Direction.UNKNOWN;
                    while (body.remaining() >= 4) {
                        int code = body.getShort() & 0xffff, olen = body.getShort() & 0xffff;
                        if (code == PcapngWriter.OPT_ENDOFOPT) break;
                        int start = body.position();
                        if (code == PcapngWriter.EPB_FLAGS && olen == 4) {
                            int flags = body.getInt();
                            dir = (flags & 3) == 1 ? Direction.INBOUND : (flags & 3) == 2 ? Direction.OUTBOUND : Direction.UNKNOWN;
                        }
                        body.position(start + olen + ((4 - olen % 4) % 4));
                    }
                    long[] info = interfaces.get(ifc);
                    return new CaptureRecord(toNanos(ts, info[2]), data, orig, dir, (int) info[0]);
                }
                case 3: { // Simple Packet Block (§4.4): interface 0, no timestamp
                    if (interfaces.isEmpty()) throw new IOException("SPB without interface");
                    int orig = body.getInt();
                    int cap = (int) Math.min(Integer.toUnsignedLong(orig), Math.min(body.remaining(), interfaces.get(0)[1]));
                    byte[] data = new byte[cap];
                    body.get(data);
                    return new CaptureRecord(0, data, orig, Direction.UNKNOWN, (int) interfaces.get(0)[0]);
                }
                default:
                    continue; // name resolution, statistics, custom...: skipped
            }
        }
    }

    private static long pow10(int e) {
        long v = 1;
        for (int i = 0; i < e; i++) v *= 10;
        return v;
    }

    private static long toNanos(long ts, long unitsPerSecond) throws IOException {
        long sec = Long.divideUnsigned(ts, unitsPerSecond), frac = Long.remainderUnsigned(ts, unitsPerSecond);
        // a time beyond what nanoseconds in a long hold (the year 2262) is not a capture's
        if (sec < 0 || sec > Long.MAX_VALUE / 1_000_000_000L - 1) throw new IOException("timestamp out of range");
        long nanos = 1_000_000_000L % unitsPerSecond == 0
                ? frac * (1_000_000_000L / unitsPerSecond)
                : java.math.BigInteger.valueOf(frac).multiply(java.math.BigInteger.valueOf(1_000_000_000L))
                        .divide(java.math.BigInteger.valueOf(unitsPerSecond)).longValue();
        return sec * 1_000_000_000L + nanos;
    }

    @Override
    public void close() throws IOException { in.close(); }
}
