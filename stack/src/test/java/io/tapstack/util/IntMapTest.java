package io.tapstack.util;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IntMapTest {
    @Test
    void agreesWithHashMapUnderRandomPutRemove() {
        for (long seed = 1; seed <= 20; seed++) {
            SplittableRandom r = new SplittableRandom(seed);
            int cap = 1 + r.nextInt(200);
            // a small key range forces collisions, clusters and backward shifts
            int range = cap + r.nextInt(cap * 2 + 1);
            IntMap<Integer> m = new IntMap<>(cap);
            Map<Integer, Integer> ref = new HashMap<>();
            for (int op = 0; op < 20_000; op++) {
                int k = r.nextInt(range) - range / 2; // negative keys and 0 too
                switch (r.nextInt(3)) {
                    case 0, 1 -> {
                        int v = r.nextInt();
                        boolean full = ref.size() >= cap && !ref.containsKey(k);
                        assertEquals(!full, m.put(k, v), "put seed " + seed + " op " + op);
                        if (!full) {
                            ref.put(k, v);
                        }
                    }
                    default -> assertEquals(ref.remove(k), m.remove(k), "remove seed " + seed + " op " + op);
                }
                assertEquals(ref.size(), m.size());
                int probe = r.nextInt(range) - range / 2;
                assertEquals(ref.get(probe), m.get(probe), "get seed " + seed + " op " + op);
            }
            for (Map.Entry<Integer, Integer> e : ref.entrySet()) {
                assertEquals(e.getValue(), m.get(e.getKey()));
            }
            List<Integer> seen = new ArrayList<>();
            m.forEach(seen::add);
            assertEquals(ref.size(), seen.size());
            assertTrue(seen.containsAll(ref.values()));
        }
    }

    @Test
    void boundedAtCapacity() {
        IntMap<String> m = new IntMap<>(3);
        assertTrue(m.put(1, "a"));
        assertTrue(m.put(2, "b"));
        assertTrue(m.put(3, "c"));
        assertFalse(m.put(4, "d"), "full: a new key is refused");
        assertNull(m.get(4));
        assertTrue(m.put(2, "B"), "replacing an existing key works when full");
        assertEquals("B", m.get(2));
        assertEquals("a", m.remove(1));
        assertTrue(m.put(4, "d"));
        assertEquals(3, m.size());
        assertEquals(3, m.capacity());
        assertNull(m.remove(99));
    }

    @Test
    void forEachToleratesRemovalDuringIteration() {
        IntMap<Integer> m = new IntMap<>(64);
        for (int i = 0; i < 50; i++) {
            m.put(i, i);
        }
        List<Integer> seen = new ArrayList<>();
        m.forEach(v -> {
            seen.add(v);
            m.remove(v);
        });
        assertEquals(50, seen.size());
        assertEquals(0, m.size());
    }
}
