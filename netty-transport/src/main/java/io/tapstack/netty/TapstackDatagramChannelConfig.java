package io.tapstack.netty;

import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.DatagramChannelConfig;

import java.net.InetAddress;
import java.net.NetworkInterface;

import static io.netty.channel.ChannelOption.IP_MULTICAST_LOOP_DISABLED;
import static io.netty.channel.ChannelOption.IP_MULTICAST_TTL;
import static io.netty.channel.ChannelOption.IP_TOS;
import static io.netty.channel.ChannelOption.SO_BROADCAST;
import static io.netty.channel.ChannelOption.SO_RCVBUF;
import static io.netty.channel.ChannelOption.SO_SNDBUF;

/**
 * The options of a {@link TapstackDatagramChannel}. The receive queue is bounded by the stack
 * (StackConfig.udpRecvQueueBytes/Packets); SO_RCVBUF, SO_SNDBUF, SO_BROADCAST, SO_REUSEADDR,
 * IP_TOS and the multicast options are kept and reported, since the stack has one setting for
 * every socket and no multicast membership for applications.
 */
public final class TapstackDatagramChannelConfig extends TapstackChannelConfig<TapstackDatagramChannelConfig>
        implements DatagramChannelConfig {
    private volatile int receiveBufferSize = 212_992;
    private volatile int sendBufferSize = 212_992;
    private volatile int trafficClass;
    private volatile boolean broadcast;
    private volatile boolean loopbackModeDisabled;
    private volatile int ttl = 64;
    private volatile InetAddress iface;
    private volatile NetworkInterface networkInterface;

    TapstackDatagramChannelConfig(TapstackDatagramChannel ch) {
        super(ch, new FixedRecvByteBufAllocator(2048));
        option(SO_RCVBUF, this::getReceiveBufferSize, this::setReceiveBufferSize);
        option(SO_SNDBUF, this::getSendBufferSize, this::setSendBufferSize);
        option(IP_TOS, this::getTrafficClass, this::setTrafficClass);
        option(SO_BROADCAST, this::isBroadcast, this::setBroadcast);
        option(IP_MULTICAST_LOOP_DISABLED, this::isLoopbackModeDisabled, this::setLoopbackModeDisabled);
        option(IP_MULTICAST_TTL, this::getTimeToLive, this::setTimeToLive);
    }

    @Override
    public int getSendBufferSize() {
        return sendBufferSize;
    }

    @Override
    public TapstackDatagramChannelConfig setSendBufferSize(int sendBufferSize) {
        this.sendBufferSize = sendBufferSize;
        return this;
    }

    @Override
    public int getReceiveBufferSize() {
        return receiveBufferSize;
    }

    @Override
    public TapstackDatagramChannelConfig setReceiveBufferSize(int receiveBufferSize) {
        this.receiveBufferSize = receiveBufferSize;
        return this;
    }

    @Override
    public int getTrafficClass() {
        return trafficClass;
    }

    @Override
    public TapstackDatagramChannelConfig setTrafficClass(int trafficClass) {
        this.trafficClass = trafficClass;
        return this;
    }

    @Override
    public boolean isBroadcast() {
        return broadcast;
    }

    @Override
    public TapstackDatagramChannelConfig setBroadcast(boolean broadcast) {
        this.broadcast = broadcast;
        return this;
    }

    @Override
    public boolean isLoopbackModeDisabled() {
        return loopbackModeDisabled;
    }

    @Override
    public TapstackDatagramChannelConfig setLoopbackModeDisabled(boolean loopbackModeDisabled) {
        this.loopbackModeDisabled = loopbackModeDisabled;
        return this;
    }

    @Override
    public int getTimeToLive() {
        return ttl;
    }

    @Override
    public TapstackDatagramChannelConfig setTimeToLive(int ttl) {
        this.ttl = ttl;
        return this;
    }

    @Override
    public InetAddress getInterface() {
        return iface;
    }

    @Override
    public TapstackDatagramChannelConfig setInterface(InetAddress interfaceAddress) {
        this.iface = interfaceAddress;
        return this;
    }

    @Override
    public NetworkInterface getNetworkInterface() {
        return networkInterface;
    }

    @Override
    public TapstackDatagramChannelConfig setNetworkInterface(NetworkInterface networkInterface) {
        this.networkInterface = networkInterface;
        return this;
    }
}
