package io.tapstack.service;

/**
 * A built-in service (echo, discard, http, …) started on a running host. Services use the same
 * socket API that applications do.
 */
public interface Service extends AutoCloseable {
    /** The name used with {@code --services}. */
    String name();

    /** One line describing what is listening (e.g. {@code "echo tcp/7 udp/7"}). */
    String describe();

    @Override
    void close();
}
