package io.tapstack.tools;

import io.tapstack.wire.InterfaceAddress;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.MacAddress;
import picocli.CommandLine;

/** picocli converters whose errors read as one clear line. */
final class Converters {
    private Converters() {
    }

    static final class Ipv4Prefix implements CommandLine.ITypeConverter<InterfaceAddress> {
        @Override
        public InterfaceAddress convert(String value) {
            if (value.equalsIgnoreCase("dhcp")) {
                return HostOptions.DHCP;
            }
            try {
                return InterfaceAddress.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    static final class Ipv4 implements CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            try {
                return Ipv4Address.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    static final class Mac implements CommandLine.ITypeConverter<MacAddress> {
        @Override
        public MacAddress convert(String value) {
            MacAddress m;
            try {
                m = MacAddress.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
            if (m.isMulticast() || m.bits() == 0) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a unicast MAC address");
            }
            return m;
        }
    }

    static final class Offload implements CommandLine.ITypeConverter<io.tapstack.link.Offloads> {
        @Override
        public io.tapstack.link.Offloads convert(String value) {
            if (value.trim().equalsIgnoreCase("auto")) {
                return null; // chosen when the TAP is opened (TapLink.openFastest)
            }
            try {
                return io.tapstack.tap.OffloadSpec.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** A size in bytes: digits with an optional k, m or g suffix (powers of 1024), e.g. 512k, 8m, 1g. */
    static final class Size implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return parse(value);
        }

        static long parse(String value) {
            String v = value.trim().toLowerCase(java.util.Locale.ROOT);
            int shift = 0;
            if (!v.isEmpty()) {
                switch (v.charAt(v.length() - 1)) {
                    case 'k' -> shift = 10;
                    case 'm' -> shift = 20;
                    case 'g' -> shift = 30;
                    default -> { }
                }
            }
            String digits = shift == 0 ? v : v.substring(0, v.length() - 1);
            if (digits.isEmpty() || !digits.chars().allMatch(Character::isDigit) || digits.length() > 12) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a size (bytes, or with k, m or g: 512k, 8m, 1g)");
            }
            long n = Long.parseLong(digits);
            if (n > (Long.MAX_VALUE >> shift)) {
                throw new CommandLine.TypeConversionException("'" + value + "' is too large");
            }
            return n << shift;
        }
    }
}
