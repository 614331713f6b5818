package io.tapstack.capture;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a pcap-filter expression into tokens, following libpcap's scanner.l closely enough for
 * the primitives we support: numbers (decimal, 0x hex, 0-leading octal), identifiers that may
 * contain {@code - _ .} ({@code tcp-syn}, {@code 1-1024}), a backslash escaping a keyword
 * ({@code \ip}), IPv4 addresses (also partial: {@code 10.1}), IPv6 addresses, MAC addresses
 * ({@code 1:2:3:4:5:6}, {@code 01-02-03-04-05-06}, {@code 0102.0304.0506}) and the operators
 * {@code ( ) [ ] : + - * / % & | ^ << >> = == != < <= > >= ! && ||}.
 */
final class FilterLexer {
    enum Kind { NUM, ID, IPV4, IPV6, MAC, OP, EOF }

    record Token(Kind kind, String text, int col, long num, boolean escaped) {
        boolean is(String s) { return (kind == Kind.OP || (kind == Kind.ID && !escaped)) && text.equals(s); }

        String describe() { return kind == Kind.EOF ? "end of expression" : "'" + text + "'"; }
    }

    static List<Token> lex(String s) {
        List<Token> out = new ArrayList<>();
        int i = 0, n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) { i++; continue; }
            int col = i + 1;
            boolean escaped = false;
            if (c == '\\' && i + 1 < n && isWordChar(s.charAt(i + 1))) {
                escaped = true;
                i++;
                c = s.charAt(i);
            }
            if (isWordChar(c) || (c == ':' && i + 1 < n && s.charAt(i + 1) == ':')) {
                int start = i;
                int j = i;
                while (j < n && (isWordChar(s.charAt(j)) || s.charAt(j) == '.' || s.charAt(j) == '-' || s.charAt(j) == ':')) j++;
                // identifiers do not end in '-' or '.' (libpcap scanner.l)
                while (j > start + 1 && (s.charAt(j - 1) == '-' || s.charAt(j - 1) == '.')) j--;
                String w = s.substring(start, j);
                if (w.indexOf(':') >= 0) {
                    if (Addresses.parseIpv6(w) != null) { out.add(new Token(Kind.IPV6, w, col, 0, false)); i = j; continue; }
                    if (Addresses.parseMac(w) != null) { out.add(new Token(Kind.MAC, w, col, 0, false)); i = j; continue; }
                    // not an address: stop at the first ':' (e.g. "2:2" inside "ip[2:2]")
                    int colon = w.indexOf(':');
                    if (colon == 0) throw new FilterSyntaxException("syntax error", col, "unexpected ':'", ":");
                    j = start + colon;
                    w = s.substring(start, j);
                }
                i = j;
                out.add(classify(w, col, escaped));
                continue;
            }
            String two = i + 1 < n ? s.substring(i, i + 2) : "";
            if (two.equals("<<") || two.equals(">>") || two.equals("==") || two.equals("!=") || two.equals("<=")
                    || two.equals(">=") || two.equals("&&") || two.equals("||")) {
                out.add(new Token(Kind.OP, two, col, 0, false));
                i += 2;
                continue;
            }
            if ("()[]:+-*/%&|^=<>!".indexOf(c) >= 0) {
                out.add(new Token(Kind.OP, String.valueOf(c), col, 0, false));
                i++;
                continue;
            }
            throw new FilterSyntaxException("syntax error", col, "unexpected character '" + c + "'", String.valueOf(c));
        }
        out.add(new Token(Kind.EOF, "", n + 1, 0, false));
        return out;
    }

    private static boolean isWordChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    }

    private static Token classify(String w, int col, boolean escaped) {
        Long num = parseNumber(w);
        if (num != null && !escaped) return new Token(Kind.NUM, w, col, num, false);
        if (!escaped && w.indexOf('.') >= 0) {
            if (Addresses.parseIpv4Partial(w) != null) return new Token(Kind.IPV4, w, col, 0, false);
            if (Addresses.parseMac(w) != null) return new Token(Kind.MAC, w, col, 0, false);
        }
        if (!escaped && w.indexOf('-') >= 0 && Addresses.parseMac(w) != null) return new Token(Kind.MAC, w, col, 0, false);
        return new Token(Kind.ID, w, col, 0, escaped);
    }

    /** libpcap NUM: decimal, 0x hex or 0-leading octal, at most 32 bits; null if not a number. */
    static Long parseNumber(String w) {
        try {
            long v;
            if (w.length() > 2 && (w.startsWith("0x") || w.startsWith("0X"))) v = Long.parseLong(w.substring(2), 16);
            else if (w.length() > 1 && w.startsWith("0") && w.chars().allMatch(ch -> ch >= '0' && ch <= '7')) v = Long.parseLong(w, 8);
            else if (w.chars().allMatch(ch -> ch >= '0' && ch <= '9')) v = Long.parseLong(w);
            else return null;
            return v > 0xffffffffL ? null : v;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
