package io.tapstack.capture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The pcap and pcapng readers under coverage-guided fuzzing. Properties: any bytes either read
 * (some records) or fail with {@link IOException}, never anything else; and what was read,
 * written again with {@link PcapWriter} or {@link PcapngWriter} (nanosecond resolution) and read
 * back, gives the same records: data, timestamps, lengths and (pcapng) directions.
 */
class CaptureFileFuzzTarget {

    @FuzzTest(maxDuration = "1h", maxExecutions = 10_000_000)
    void readWriteRead(byte[] file) throws IOException {
        List<CaptureRecord> records;
        boolean ng;
        try (CaptureFileReader r = new CaptureFileReader(new ByteArrayInputStream(file))) {
            ng = r.isPcapng();
            r.resolution();
            r.snaplen();
            r.linkType();
            records = r.readAll();
        } catch (IOException expected) {
            return;
        } catch (RuntimeException e) {
            fail("the reader threw " + e);
            return;
        }
        int snaplen = 1;
        for (CaptureRecord c : records) snaplen = Math.max(snaplen, c.data().length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PacketSink w = ng ? new PcapngWriter(out, "fuzz0", snaplen, TimestampResolution.NANOSECONDS, false)
                : new PcapWriter(out, snaplen, TimestampResolution.NANOSECONDS, false)) {
            for (CaptureRecord c : records) {
                w.write(c.timestampNanos(), ByteBuffer.wrap(c.data()), 0, c.data().length, c.wireLength(), c.direction());
            }
        }
        List<CaptureRecord> again;
        try (CaptureFileReader r = new CaptureFileReader(new ByteArrayInputStream(out.toByteArray()))) {
            again = r.readAll();
        }
        assertEquals(records.size(), again.size(), "records read back");
        for (int i = 0; i < records.size(); i++) {
            CaptureRecord a = records.get(i), b = again.get(i);
            assertArrayEquals(a.data(), b.data(), "record " + i);
            assertEquals(a.timestampNanos(), b.timestampNanos(), "timestamp of record " + i);
            assertEquals(Math.max(a.wireLength(), a.data().length), b.wireLength(), "wire length of record " + i);
            if (ng) assertEquals(a.direction(), b.direction(), "direction of record " + i);
        }
    }
}
