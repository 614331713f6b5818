package io.tapstack.wire;


/** An IPv4 address assigned to the interface, with its prefix. */
public record InterfaceAddress(int address, int prefixLength) {
    public int network() {
        return address & Ipv4Address.mask(prefixLength);
    }

    /** Subnet-directed broadcast (RFC 919/922); none for /31 and /32 (RFC 3021). */
    public int broadcast() {
        return prefixLength >= 31 ? 0 : address | ~Ipv4Address.mask(prefixLength);
    }

    public boolean contains(int a) {
        int m = Ipv4Address.mask(prefixLength);
        return (a & m) == (address & m);
    }

    /** Parses {@code 10.0.0.2/24}. */
    public static InterfaceAddress parse(String s) {
        int slash = s.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("invalid IPv4 address '" + s + "': expected ADDR/LEN such as 10.0.0.2/24");
        }
        int a = Ipv4Address.parse(s.substring(0, slash));
        int len;
        try {
            len = Integer.parseInt(s.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid prefix length in '" + s + "'");
        }
        if (len < 0 || len > 32) {
            throw new IllegalArgumentException("invalid prefix length in '" + s + "': must be 0..32");
        }
        if (Ipv4Address.isMulticast(a) || a == 0 || a == Ipv4Address.BROADCAST || Ipv4Address.isLoopback(a)) {
            throw new IllegalArgumentException("'" + s + "' is not a usable unicast host address");
        }
        return new InterfaceAddress(a, len);
    }

    @Override
    public String toString() {
        return Ipv4Address.toString(address) + "/" + prefixLength;
    }
}
