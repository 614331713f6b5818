package io.tapstack.capture;

/**
 * A pcap-filter expression could not be compiled. The message names the problem, the
 * 1-based column and the offending token, e.g. {@code syntax error at column 12: unexpected 'foo'}.
 */
public final class FilterSyntaxException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final int column;
    private final String token;

    public FilterSyntaxException(String kind, int column, String detail, String token) {
        super(kind + " at column " + column + ": " + detail);
        this.column = column;
        this.token = token;
    }

    /** 1-based column of the offending token (length + 1 for the end of the expression). */
    public int column() { return column; }

    /** The offending token's text, or "end of expression". */
    public String token() { return token; }
}
