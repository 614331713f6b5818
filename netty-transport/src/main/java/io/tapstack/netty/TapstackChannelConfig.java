package io.tapstack.netty;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

import static io.netty.channel.ChannelOption.SO_REUSEADDR;

/**
 * What the configs of tapstack's channels share. Each option a channel adds to Netty's own is
 * declared once, in its config's constructor, with its getter and setter
 * ({@link #option(ChannelOption, Supplier, Consumer)}); {@code getOptions}, {@code getOption} and
 * {@code setOption} are answered from that table here, Netty's own options ({@code AUTO_READ},
 * {@code ALLOCATOR}, ...) by {@link DefaultChannelConfig}. SO_REUSEADDR, which every channel
 * keeps and reports without effect (the stack has no bind conflicts with TIME-WAIT), lives here
 * too, and the setters of Netty's options return the channel's own config type.
 *
 * @param <C> the concrete config, returned by the setters
 */
public abstract class TapstackChannelConfig<C extends TapstackChannelConfig<C>> extends DefaultChannelConfig {
    private record Accessor<T>(Supplier<T> get, Consumer<T> set) {}

    /** Filled by the constructors, read only afterwards. */
    private final Map<ChannelOption<?>, Accessor<?>> options = new IdentityHashMap<>();
    private volatile boolean reuseAddress;

    TapstackChannelConfig(Channel ch) {
        super(ch);
        option(SO_REUSEADDR, this::isReuseAddress, this::setReuseAddress);
    }

    TapstackChannelConfig(Channel ch, RecvByteBufAllocator allocator) {
        super(ch, allocator);
        option(SO_REUSEADDR, this::isReuseAddress, this::setReuseAddress);
    }

    /** Declares one of this channel's options: how it is read and how it is set. */
    final <T> void option(ChannelOption<T> option, Supplier<T> get, Consumer<T> set) {
        options.put(option, new Accessor<>(get, set));
    }

    @SuppressWarnings("unchecked")
    private C self() {
        return (C) this;
    }

    @Override
    public final Map<ChannelOption<?>, Object> getOptions() {
        return getOptions(super.getOptions(), options.keySet().toArray(new ChannelOption<?>[0]));
    }

    @SuppressWarnings("unchecked")
    @Override
    public final <T> T getOption(ChannelOption<T> option) {
        Accessor<T> a = (Accessor<T>) options.get(option);
        return a != null ? a.get().get() : super.getOption(option);
    }

    @SuppressWarnings("unchecked")
    @Override
    public final <T> boolean setOption(ChannelOption<T> option, T value) {
        validate(option, value);
        Accessor<T> a = (Accessor<T>) options.get(option);
        if (a == null) {
            return super.setOption(option, value);
        }
        a.set().accept(value);
        return true;
    }

    public boolean isReuseAddress() {
        return reuseAddress;
    }

    public C setReuseAddress(boolean reuseAddress) {
        this.reuseAddress = reuseAddress;
        return self();
    }

    // ------------------------------------------------------------ Netty's options, covariant returns

    @Override
    public C setConnectTimeoutMillis(int connectTimeoutMillis) {
        super.setConnectTimeoutMillis(connectTimeoutMillis);
        return self();
    }

    @Deprecated
    @Override
    public C setMaxMessagesPerRead(int maxMessagesPerRead) {
        super.setMaxMessagesPerRead(maxMessagesPerRead);
        return self();
    }

    @Override
    public C setWriteSpinCount(int writeSpinCount) {
        super.setWriteSpinCount(writeSpinCount);
        return self();
    }

    @Override
    public C setAllocator(ByteBufAllocator allocator) {
        super.setAllocator(allocator);
        return self();
    }

    @Override
    public C setRecvByteBufAllocator(RecvByteBufAllocator allocator) {
        super.setRecvByteBufAllocator(allocator);
        return self();
    }

    @Override
    public C setAutoRead(boolean autoRead) {
        super.setAutoRead(autoRead);
        return self();
    }

    @Override
    public C setAutoClose(boolean autoClose) {
        super.setAutoClose(autoClose);
        return self();
    }

    @Override
    public C setWriteBufferHighWaterMark(int writeBufferHighWaterMark) {
        super.setWriteBufferHighWaterMark(writeBufferHighWaterMark);
        return self();
    }

    @Override
    public C setWriteBufferLowWaterMark(int writeBufferLowWaterMark) {
        super.setWriteBufferLowWaterMark(writeBufferLowWaterMark);
        return self();
    }

    @Override
    public C setWriteBufferWaterMark(WriteBufferWaterMark writeBufferWaterMark) {
        super.setWriteBufferWaterMark(writeBufferWaterMark);
        return self();
    }

    @Override
    public C setMessageSizeEstimator(MessageSizeEstimator estimator) {
        super.setMessageSizeEstimator(estimator);
        return self();
    }
}
