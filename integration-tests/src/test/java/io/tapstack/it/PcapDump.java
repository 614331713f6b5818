package io.tapstack.it;

import org.pcap4j.core.PcapDumper;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNetworkInterface.PromiscuousMode;

import java.io.IOException;
import java.io.InputStream;

/**
 * A live Pcap4J capture as a child process, run inside a test's namespace with
 * {@code ip netns exec NS java -cp CLASSPATH io.tapstack.it.PcapDump IFACE OUT.pcap MAXSECONDS}:
 * opens IFACE (immediate mode, non-blocking, nanosecond timestamps), prints "listening", and
 * dumps every frame (libpcap's own pcap writer) until its standard input closes or MAXSECONDS
 * pass; then prints "captured N". Every read is non-blocking and the loop is bounded in time.
 */
public final class PcapDump {
    private PcapDump() {
    }

    public static void main(String[] args) throws Exception {
        String iface = args[0];
        String out = args[1];
        long deadline = System.nanoTime() + Long.parseLong(args[2]) * 1_000_000_000L;
        PcapHandle h = new PcapHandle.Builder(iface).snaplen(262144).promiscuousMode(PromiscuousMode.PROMISCUOUS)
                .timeoutMillis(10).immediateMode(true).bufferSize(32 << 20).timestampPrecision(PcapHandle.TimestampPrecision.NANO).build();
        h.setBlockingMode(PcapHandle.BlockingMode.NONBLOCKING);
        PcapDumper d = h.dumpOpen(out);
        Thread stdin = new Thread(() -> {
            try (InputStream in = System.in) {
                while (in.read() >= 0) {
                    // until EOF
                }
            } catch (IOException ignored) {
                // parent gone
            }
        }, "stdin");
        stdin.setDaemon(true);
        stdin.start();
        System.out.println("listening on " + iface);
        System.out.flush();
        long n = 0;
        boolean draining = false;
        int idle = 0;
        while (System.nanoTime() < deadline) {
            byte[] p = h.getNextRawPacket();
            if (p != null) {
                d.dumpRaw(p, h.getTimestamp());
                n++;
                idle = 0;
                continue;
            }
            if (!stdin.isAlive()) {
                // asked to stop: drain what the socket still holds (a few idle polls), then stop
                draining = true;
            }
            if (draining && ++idle > 20) {
                break;
            }
            Thread.sleep(2);
        }
        d.flush();
        d.close();
        org.pcap4j.core.PcapStat st = h.getStats();
        h.close();
        System.out.println("captured " + n + " received " + st.getNumPacketsReceived() + " dropped "
                + st.getNumPacketsDropped() + " ifdropped " + st.getNumPacketsDroppedByIf());
    }
}
