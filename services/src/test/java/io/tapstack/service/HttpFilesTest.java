package io.tapstack.service;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The file-content cache stays within its byte bound, by-target entries included. */
class HttpFilesTest {
    @TempDir
    Path dir;

    /** What HttpExchange does on a miss: the path cache, then the request path's slot. */
    private static byte[] serve(HttpFiles f, Path p, int slot) throws Exception {
        byte[] b = f.cachedFile(p);
        f.byTarget[slot] = new HttpFiles.Cached(b, b.length, 0, "application/octet-stream", Long.MAX_VALUE, new byte[] {(byte) slot});
        return b;
    }

    @Test
    void manyLargeFilesNeverHoldMoreThanTheBoundEvenThroughTheRequestPathTable() throws Exception {
        HttpFiles f = new HttpFiles();
        byte[] data = new byte[HttpFiles.CACHED_FILE];
        int files = (int) (3 * HttpFiles.CACHE_BYTES / HttpFiles.CACHED_FILE); // three times what fits
        for (int i = 0; i < files; i++) {
            data[0] = (byte) i;
            Path p = dir.resolve("f" + i);
            Files.write(p, data);
            assertArrayEquals(data, serve(f, p, i));
            assertTrue(f.heldBytes() <= HttpFiles.CACHE_BYTES, "after " + (i + 1) + " files: " + f.heldBytes());
        }
    }

    @Test
    void aChangedFileReplacesItsOldBytesInBothTables() throws Exception {
        HttpFiles f = new HttpFiles();
        Path p = dir.resolve("x");
        Files.write(p, new byte[1000]);
        byte[] first = serve(f, p, 1);
        Files.write(p, new byte[2000]);
        Files.setLastModifiedTime(p, java.nio.file.attribute.FileTime.fromMillis(Files.getLastModifiedTime(p).toMillis() + 5000));
        byte[] second = serve(f, p, 2);
        assertNotSame(first, second);
        assertTrue(f.heldBytes() == 2000, "the old array is held by neither table: " + f.heldBytes());
    }
}
