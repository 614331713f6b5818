package io.tapstack.service;

import java.util.List;

/**
 * Registers the built-in services in the {@link ServiceRegistry}: {@code echo} (RFC 862, TCP
 * and UDP port 7), {@code discard} (RFC 863, TCP 9), {@code http} (TCP 80), and
 * {@code udp-echo} (UDP 7 alone). Idempotent.
 */
public final class BuiltinServices {
    private BuiltinServices() {
    }

    public static void registerAll() {
        ServiceRegistry.register("echo", (loop, o) -> {
            Service tcp = new EchoService(loop, o.port("echo", EchoService.PORT)).start();
            try {
                return new Composite("echo", List.of(tcp, UdpEchoService.start(loop, o)));
            } catch (Exception e) {
                tcp.close();
                throw e;
            }
        });
        ServiceRegistry.register("discard", (loop, o) -> new DiscardService(loop, o.port("discard", DiscardService.PORT)).start());
        ServiceRegistry.register("http", (loop, o) -> new HttpService(loop, o.port("http", HttpService.PORT), o.httpRoot).start());
        ServiceRegistry.register(UdpEchoService.NAME, UdpEchoService::start);
        ServiceRegistry.register("iperf3", Iperf3Service::start);
    }

    /** Several services started and stopped as one. */
    private record Composite(String name, List<Service> parts) implements Service {
        @Override
        public String describe() {
            StringBuilder sb = new StringBuilder();
            for (Service s : parts) {
                if (sb.length() > 0) {
                    sb.append(", ");
                }
                sb.append(s.describe());
            }
            return sb.toString();
        }

        @Override
        public void close() {
            for (Service s : parts) {
                s.close();
            }
        }
    }
}
