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
}
