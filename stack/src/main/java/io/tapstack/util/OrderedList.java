package io.tapstack.util;

/**
 * An intrusive doubly linked list, oldest first: the nodes carry their own links, so adding,
 * unlinking and finding the oldest are O(1) and allocate nothing. The ARP and neighbour caches
 * keep their entries in such lists in the order they were last confirmed, so that a full cache
 * finds its victim without a scan. A node is on at most one list at a time. Not thread-safe.
 */
public final class OrderedList<N extends OrderedList.Node<N>> {
    /** What a list element extends: its links and the list it is on. */
    public abstract static class Node<N extends Node<N>> {
        private N older;
        private N newer;
        private OrderedList<N> list;

        /** Whether this node is on a list. */
        public final boolean linked() {
            return list != null;
        }
    }

    private N oldest;
    private N newest;
    private int size;

    /** Appends {@code e} (on no list) as the newest. */
    public void add(N e) {
        Node<N> n = e; // (a type variable gives no access to Node's private fields)
        n.older = newest;
        n.newer = null;
        if (newest != null) {
            ((Node<N>) newest).newer = e;
        } else {
            oldest = e;
        }
        newest = e;
        n.list = this;
        size++;
    }

    /** Takes {@code e} off whatever list it is on (nothing if none). */
    public static <N extends Node<N>> void unlink(N e) {
        Node<N> n = e;
        OrderedList<N> c = n.list;
        if (c == null) {
            return;
        }
        if (n.older != null) {
            ((Node<N>) n.older).newer = n.newer;
        } else {
            c.oldest = n.newer;
        }
        if (n.newer != null) {
            ((Node<N>) n.newer).older = n.older;
        } else {
            c.newest = n.older;
        }
        n.older = null;
        n.newer = null;
        n.list = null;
        c.size--;
    }

    /** The oldest node, or null when empty. */
    public N oldest() {
        return oldest;
    }

    /** The node added after {@code e} on its list, or null if {@code e} is the newest (walks oldest to newest). */
    public static <N extends Node<N>> N newer(N e) {
        return ((Node<N>) e).newer;
    }

    public int size() {
        return size;
    }
}
