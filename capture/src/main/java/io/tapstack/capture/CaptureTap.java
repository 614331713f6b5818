package io.tapstack.capture;

import io.tapstack.link.FrameTap;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A set of capture sessions seen as one {@link FrameTap}: {@link #capture} (or {@link #frame},
 * the stack's frame-tap SPI) offers every frame to each session on the calling (event-loop)
 * thread. With no session attached this is one volatile read of an empty array and a return:
 * nothing is allocated, nothing is locked. With sessions, each runs its filter and queues a copy
 * (see {@link CaptureSession}).
 *
 * <p>A single session can also be attached to a stack directly ({@code NetStack.addFrameTap}),
 * since {@link CaptureSession} is a {@link FrameTap} itself; the stack keeps its own
 * copy-on-write set, so an idle stack then costs one volatile read per frame.
 *
 * <p>Sessions are added and removed from any thread: the set is a copy-on-write array.
 */
public final class CaptureTap implements FrameTap {
    private static final CaptureSession[] NONE = new CaptureSession[0];
    private volatile CaptureSession[] sessions = NONE;

    /** Called by the stack for each frame: {@code length} bytes of {@code frame} from absolute index {@code offset}. */
    public void capture(ByteBuffer frame, int offset, int length, long timestampNanos, Direction dir) {
        CaptureSession[] s = sessions;
        if (s.length == 0) return;
        for (CaptureSession session : s) session.offer(frame, offset, length, timestampNanos, dir);
    }

    /** The frame-tap SPI: {@link #capture} with {@link Direction#OUTBOUND} or {@link Direction#INBOUND}. */
    @Override
    public void frame(ByteBuffer buf, int off, int len, long wallNanos, boolean outbound) {
        capture(buf, off, len, wallNanos, outbound ? Direction.OUTBOUND : Direction.INBOUND);
    }

    /** True while at least one session is attached. */
    public boolean isActive() { return sessions.length != 0; }

    public synchronized void add(CaptureSession session) {
        CaptureSession[] s = sessions;
        for (CaptureSession x : s) if (x == session) return;
        CaptureSession[] n = Arrays.copyOf(s, s.length + 1);
        n[s.length] = session;
        sessions = n;
    }

    public synchronized void remove(CaptureSession session) {
        CaptureSession[] s = sessions;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == session) {
                if (s.length == 1) { sessions = NONE; return; }
                CaptureSession[] n = new CaptureSession[s.length - 1];
                System.arraycopy(s, 0, n, 0, i);
                System.arraycopy(s, i + 1, n, i, s.length - i - 1);
                sessions = n;
                return;
            }
        }
    }
}
