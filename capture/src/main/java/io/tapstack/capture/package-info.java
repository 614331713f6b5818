/**
 * Packet capture at the link boundary, compatible with tcpdump/libpcap. This is its own module;
 * the stack sees it only through the frame-tap SPI ({@link io.tapstack.link.FrameTap},
 * {@code NetStack.addFrameTap}).
 *
 * <ul>
 *   <li>Classic BPF: {@link io.tapstack.capture.BpfInsn}, {@link io.tapstack.capture.BpfProgram}
 *       (always validated by {@link io.tapstack.capture.BpfValidator}; {@code tcpdump -dd} in,
 *       {@code tcpdump -d} out), {@link io.tapstack.capture.BpfInterpreter} with libpcap
 *       {@code bpf_filter()} semantics, and {@link io.tapstack.capture.BpfJit}, which compiles a
 *       program to a hidden class (written with ASM) with the same verdicts.</li>
 *   <li>{@link io.tapstack.capture.FilterCompiler}: pcap-filter(7) expressions to BPF for Ethernet,
 *       checked against tcpdump's own programs (FilterTcpdumpTest).</li>
 *   <li>{@link io.tapstack.capture.PcapWriter}, {@link io.tapstack.capture.PcapngWriter} and
 *       {@link io.tapstack.capture.CaptureFileReader}.</li>
 *   <li>{@link io.tapstack.capture.CaptureTap} and {@link io.tapstack.capture.CaptureSession} (both
 *       {@link io.tapstack.link.FrameTap}s): the event loop offers every frame; sessions filter,
 *       copy into a bounded queue and a writer thread drains it to a sink; full queue means a
 *       counted drop, never a stalled loop.</li>
 * </ul>
 */
package io.tapstack.capture;
