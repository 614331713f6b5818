package io.tapstack.capture;

import io.tapstack.capture.FilterLexer.Kind;
import io.tapstack.capture.FilterLexer.Token;
import java.util.List;

/**
 * The token stream of a pcap-filter expression being parsed, shared by {@link FilterCompiler}'s
 * boolean grammar and {@link FilterArith}'s arithmetic: the position (saved and restored when the
 * parser backtracks), look-ahead, the keywords of pcap-filter(7), and the errors that name a
 * token and its column.
 */
class FilterCursor {
    final List<Token> toks;
    int pos;

    FilterCursor(String expr) {
        this.toks = FilterLexer.lex(expr);
    }

    Token peek() { return toks.get(pos); }

    Token peek(int ahead) { return toks.get(Math.min(pos + ahead, toks.size() - 1)); }

    Token next() { return toks.get(pos++); }

    Token expect(String op) {
        Token t = peek();
        if (!t.is(op)) {
            throw new FilterSyntaxException("syntax error", t.col(), "expected '" + op + "' but found " + t.describe(),
                    t.kind() == Kind.EOF ? "end of expression" : t.text());
        }
        return next();
    }

    static FilterSyntaxException unexpected(Token t) {
        return new FilterSyntaxException("syntax error", t.col(), "unexpected " + t.describe(), t.kind() == Kind.EOF ? "end of expression" : t.text());
    }

    static FilterSyntaxException error(Token t, String detail) {
        return new FilterSyntaxException("error", t.col(), detail, t.kind() == Kind.EOF ? "end of expression" : t.text());
    }

    // ---------------------------------------------------------------- keywords and operators

    static final List<String> PROTO_KEYWORDS = List.of(
            "ether", "link", "ip", "ip6", "arp", "rarp", "tcp", "udp", "sctp", "icmp", "icmp6", "igmp",
            "pim", "vrrp", "ah", "esp", "igrp");

    private static final List<String> KEYWORDS = List.of(
            "and", "or", "not", "host", "net", "mask", "port", "portrange", "proto", "src", "dst",
            "broadcast", "multicast", "less", "greater", "len", "vlan", "gateway", "protochain",
            "mpls", "pppoed", "pppoes", "geneve", "vxlan", "inbound", "outbound", "ifindex", "ifname", "on", "llc",
            "carp", "atalk", "aarp", "decnet", "lat", "sca", "moprc", "mopdl", "iso", "esis", "isis",
            "clnp", "stp", "ipx", "netbeui", "radio", "type", "subtype", "dir");

    static boolean isKeyword(Token t) {
        return t.kind() == Kind.ID && !t.escaped() && (KEYWORDS.contains(t.text()) || PROTO_KEYWORDS.contains(t.text()));
    }

    /** An unescaped protocol name ({@code tcp}, {@code ip6}, ...). */
    static boolean isProtoKeyword(Token t) {
        return t.kind() == Kind.ID && !t.escaped() && PROTO_KEYWORDS.contains(t.text());
    }

    static boolean isRelop(Token t) {
        return t.kind() == Kind.OP && List.of("=", "==", "!=", "<", "<=", ">", ">=").contains(t.text());
    }

    static boolean isArithOp(Token t) {
        return t.kind() == Kind.OP && List.of("+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>").contains(t.text());
    }
}
