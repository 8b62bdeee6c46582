package io.purekinesis.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Objects;

/**
 * Watches the file the emulator saves its state to, which it rewrites in place every persist interval.
 *
 * <p>Why not just SIGTERM: on SIGTERM the emulator stops its periodic saves and saves once more only after its HTTP
 * servers have drained, which takes 30 s while any client keeps a connection open (SDK clients do). Waiting for a
 * periodic save that began after the stop request is quicker and loses nothing acknowledged before it.
 */
final class PersistedSnapshots {

    private static final Duration POLL_INTERVAL = Duration.ofMillis(20);
    /** A save is one write of the whole file; unchanged this long, it has finished. */
    private static final Duration SETTLED = Duration.ofMillis(60);

    private PersistedSnapshots() {
    }

    private record FileState(FileTime modified, long size) {
    }

    /**
     * Waits for two complete saves after now: the first may have taken its snapshot before the call, the second
     * cannot have. Returns false if that did not happen within {@code timeout}. Right after this returns true the
     * emulator is idle until its next save, one persist interval away, so killing it then cannot leave a half-written
     * file.
     */
    static boolean awaitSaveAfterNow(Path file, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        FileState last = state(file);
        long lastChangeNanos = System.nanoTime();
        boolean changing = false;
        int completedSaves = 0;
        while (System.nanoTime() - deadline < 0) {
            sleep();
            FileState current = state(file);
            if (!Objects.equals(current, last)) {
                last = current;
                lastChangeNanos = System.nanoTime();
                changing = true;
            } else if (changing && current != null && current.size() > 0
                    && System.nanoTime() - lastChangeNanos >= SETTLED.toNanos()) {
                changing = false;
                if (++completedSaves == 2) {
                    return true;
                }
            }
        }
        return false;
    }

    private static FileState state(Path file) {
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            return new FileState(attributes.lastModifiedTime(), attributes.size());
        } catch (IOException notWrittenYet) {
            return null;
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL_INTERVAL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for the emulator to save its data", e);
        }
    }
}
