package io.tapstack.tap;

import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * JNA direct mapping of the few libc calls the TAP driver needs. Buffers are passed as raw
 * addresses ({@code long}), which on x86-64/aarch64 Linux is the pointer ABI, so no call
 * allocates. {@code errno} is saved by JNA after each call ({@link Native#getLastError()}).
 */
final class LibC {
    static {
        Native.register(Platform.C_LIBRARY_NAME);
    }

    private LibC() {
    }

    static final int O_RDWR = 2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int EFD_NONBLOCK = 0x800;
    static final int EFD_CLOEXEC = 0x80000;
    static final int AF_INET = 2;
    static final int SOCK_DGRAM = 2;
    static final short POLLIN = 1;
    static final int PR_SET_TIMERSLACK = 29;

    static native int open(String path, int flags);

    static native int close(int fd);

    static native long read(int fd, long buf, long count);

    static native long write(int fd, long buf, long count);

    /** ioctl is variadic in C; with an integer/pointer third argument the fixed-argument call is ABI-compatible. */
    static native int ioctl(int fd, long request, long arg);

    static native int ppoll(long fds, long nfds, long timeoutTimespec, long sigmask);

    static native int eventfd(int initval, int flags);

    static native int socket(int domain, int type, int protocol);

    /** prctl(2); unused arguments 0. */
    static native int prctl(int option, long arg2, long arg3, long arg4, long arg5);
}
