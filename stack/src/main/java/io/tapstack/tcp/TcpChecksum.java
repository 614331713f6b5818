package io.tapstack.tcp;

import io.tapstack.context.IpOutput;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.TcpHeader;

import java.nio.ByteBuffer;

/**
 * The one place where TCP checksums are computed (RFC 9293 §3.1, pseudo header of RFC 9293
 * §3.1 / RFC 8200 §8.1), so checksum offload can later replace {@link #fill} by a partial
 * checksum (pseudo-header sum only) plus csum_start/csum_offset metadata.
 */
final class TcpChecksum {
    private TcpChecksum() {
    }

    /** Computes and stores the checksum of a segment of {@code len} bytes at {@code off}. */
    static void fill(ByteBuffer b, int off, int len, long srcHi, long srcLo, long dstHi, long dstLo) {
        b.putShort(off + TcpHeader.CHECKSUM, (short) 0);
        long s = IpOutput.pseudoHeaderSum(srcHi, srcLo, dstHi, dstLo, 6, len);
        b.putShort(off + TcpHeader.CHECKSUM, (short) Checksum.finish(Checksum.add(s, b, off, len)));
    }

    /**
     * Leaves a partial checksum (the folded pseudo-header sum, virtio-net's NEEDS_CSUM
     * convention) for the link to finish: the device when it offers checksum offload, else
     * {@code NetStack.transmitFrame} in software, once, for TSO segments after they are cut.
     */
    static void fillPartial(io.tapstack.buffer.PacketBuf p, int off, int len, long srcHi, long srcLo, long dstHi, long dstLo) {
        long s = IpOutput.pseudoHeaderSum(srcHi, srcLo, dstHi, dstLo, 6, len);
        p.buf().putShort(off + TcpHeader.CHECKSUM, (short) Checksum.fold(s));
        p.csumState = io.tapstack.buffer.PacketBuf.CSUM_PARTIAL;
        p.csumStart = off;
        p.csumOffset = TcpHeader.CHECKSUM;
    }

    /** True when the received segment's checksum is correct. */
    static boolean verify(ByteBuffer b, int off, int len, long srcHi, long srcLo, long dstHi, long dstLo) {
        long s = IpOutput.pseudoHeaderSum(srcHi, srcLo, dstHi, dstLo, 6, len);
        return Checksum.finish(Checksum.add(s, b, off, len)) == 0;
    }
}
