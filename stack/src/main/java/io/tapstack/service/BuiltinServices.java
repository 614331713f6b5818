package io.tapstack.service;

/** Registers echo (tcp/7), discard (tcp/9) and http (tcp/80) in the {@link ServiceRegistry}. */
public final class BuiltinServices {
    private BuiltinServices() {
    }

    public static void registerAll() {
        ServiceRegistry.register("echo", (loop, o) -> new EchoService(loop, o.port("echo", EchoService.PORT)).start());
        ServiceRegistry.register("discard", (loop, o) -> new DiscardService(loop, o.port("discard", DiscardService.PORT)).start());
        ServiceRegistry.register("http", (loop, o) -> new HttpService(loop, o.port("http", HttpService.PORT), o.httpRoot).start());
    }
}
