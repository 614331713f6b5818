package io.tapstack.bench;

import io.tapstack.NetStack;
import io.tapstack.context.StackConfig;
import io.tapstack.buffer.PacketBuf;
import io.tapstack.wire.InterfaceAddress;
import io.tapstack.link.PairLink;
import io.tapstack.loop.VirtualClock;
import io.tapstack.socket.TcpException;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import io.tapstack.tcp.TcpListener;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.MacAddress;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * TCP input of one in-order 1448-byte data segment on an established connection: from the
 * Ethernet frame through IPv4 to the receive ring (checksum already validated by the
 * "device"), with the application reading it and the stack's delayed ACKs going out. Run:
 * {@code java -jar benchmarks/target/tapstack-bench.jar jmh TcpInputBench}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TcpInputBench {
    static final int IP_A = 0x0a000001;
    static final int IP_B = 0x0a000002;
    static final int PAYLOAD = 1448;

    VirtualClock clock;
    PairLink wireA;
    PairLink wireB;
    NetStack a;
    NetStack b;
    TcpConnection client;
    byte[] template;
    int seq;
    int ack;
    long i;
    final ByteBuffer sink = ByteBuffer.allocate(1 << 20);

    static StackConfig config(int ip, long mac) {
        StackConfig c = new StackConfig();
        c.mac = MacAddress.of(mac);
        c.ipv4.add(new InterfaceAddress(ip, 24));
        c.ipv6Enabled = false;
        c.softwareGro = false;
        return c;
    }

    @Setup
    public void setup() throws TcpException {
        clock = new VirtualClock();
        PairLink[] w = PairLink.create(1500);
        wireA = w[0];
        wireB = w[1];
        a = new NetStack(wireA, config(IP_A, 0x020000000001L), clock);
        b = new NetStack(wireB, config(IP_B, 0x020000000002L), clock);
        TcpListener l = b.tcp().listen(null, 9, 16, null);
        l.setChildHandler(new TcpHandler() {
            @Override
            public void onReadable(TcpConnection c) {
                try {
                    while (true) {
                        sink.clear();
                        if (c.read(sink) <= 0) {
                            return;
                        }
                    }
                } catch (TcpException e) {
                    c.abort();
                }
            }
        });
        l.setAcceptHandler(x -> {
            while (x.accept() != null) {
                // handled by the child handler
            }
        });
        client = a.tcp().connect(IpAddr.ofV4(IP_B), 9, new TcpHandler() { });
        for (int k = 0; k < 100; k++) {
            a.poll(clock.nanos());
            b.poll(clock.nanos());
            clock.advance(1_000_000);
        }
        if (!client.isConnected()) {
            throw new IllegalStateException("no connection");
        }
        // A segment as A would send it next: take A's next sequence number from a real one.
        byte[] one = new byte[1];
        client.write(one, 0, 1);
        a.poll(clock.nanos());
        byte[] frame = null;
        PacketBuf[] got = new PacketBuf[8];
        int n = wireB.receive(b.pool(), got, 8);
        for (int k = 0; k < n; k++) {
            if (frame == null && got[k].length() > 54) {
                frame = got[k].toArray();
            }
            got[k].release();
        }
        if (frame == null) {
            throw new IllegalStateException("no data segment seen");
        }
        ByteBuffer f = ByteBuffer.wrap(frame);
        int tcpOff = 14 + (f.get(14) & 0x0f) * 4;
        int hl = ((f.get(tcpOff + 12) >>> 4) & 0xf) * 4;
        seq = f.getInt(tcpOff + 4);
        ack = f.getInt(tcpOff + 8);
        template = new byte[tcpOff + hl + PAYLOAD];
        System.arraycopy(frame, 0, template, 0, tcpOff + hl);
        ByteBuffer t = ByteBuffer.wrap(template);
        t.putShort(16, (short) (template.length - 14));
        t.putShort(24, (short) 0);
        t.putShort(24, (short) Checksum.compute(t, 14, tcpOff - 14));
        t.put(tcpOff + 13, (byte) 0x10); // ACK
    }

    @Benchmark
    public void inOrderSegment() {
        PacketBuf p = b.pool().allocate(template.length);
        if (p == null) {
            throw new IllegalStateException("pool exhausted: a buffer leaked");
        }
        p.appendBytes(template, 0, template.length);
        p.buf().putInt(p.start() + 14 + 20 + 4, seq);
        seq += PAYLOAD;
        // the device validated the checksum (virtio DATA_VALID): measure TCP, not the checksum
        p.csumState = PacketBuf.CSUM_VALID;
        b.receiveFrame(p);
        if ((++i & 31) == 0) {
            // B's ACKs go to A; let A consume them so the wire does not grow
            clock.advance(50_000);
            b.poll(clock.nanos());
            while (wireA.pending() > 0) {
                PacketBuf[] got = new PacketBuf[64];
                int n = wireA.receive(a.pool(), got, 64);
                for (int k = 0; k < n; k++) {
                    got[k].release();
                }
            }
        }
    }
}
