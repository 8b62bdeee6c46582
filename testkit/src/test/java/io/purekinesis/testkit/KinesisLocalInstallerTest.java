package io.purekinesis.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** Installs for real with npm (about a second each, from npm's cache once it has the package). */
class KinesisLocalInstallerTest {

    private static final String NPM = KinesisLocalInstaller.defaultNpmCommand();

    @Test
    void theInstallDirComesFromThePropertyThenTheEnvironmentThenTheUserCache() {
        Map<String, String> props = Map.of("user.home", "/home/me");
        assertEquals(Path.of("/home/me/.cache/purekinesis/kinesis-local-" + KinesisLocalInstaller.VERSION),
                KinesisLocalInstaller.installDir(props::get, name -> null));
        assertEquals(Path.of("/from/env"),
                KinesisLocalInstaller.installDir(props::get, Map.of(KinesisLocalInstaller.DIR_ENV, "/from/env")::get));
        Map<String, String> withProperty = Map.of("user.home", "/home/me",
                KinesisLocalInstaller.DIR_PROPERTY, "/from/property");
        assertEquals(Path.of("/from/property"), KinesisLocalInstaller.installDir(withProperty::get,
                Map.of(KinesisLocalInstaller.DIR_ENV, "/from/env")::get));
    }

    @Test
    void theBundledManifestPinsVersion062() {
        assertEquals("0.6.2", KinesisLocalInstaller.VERSION);
    }

    @Test
    void installsOnceAndReinstallsWhenTheInstallIsWrongOrIncomplete(@TempDir Path dir) throws Exception {
        KinesisLocalInstaller installer = new KinesisLocalInstaller(dir, NPM);
        assertFalse(installer.isInstalled());

        KinesisLocalInstaller.Installation first = installer.ensureInstalled();
        assertTrue(first.installedNow());
        assertTrue(Files.isRegularFile(first.mainJs()));
        assertEquals(dir.resolve("node_modules/kinesis-local/main.js"), first.mainJs());
        assertFalse(installer.ensureInstalled().installedNow());

        Path packageJson = dir.resolve("node_modules/kinesis-local/package.json");
        Files.writeString(packageJson, Files.readString(packageJson).replace("\"0.6.2\"", "\"0.6.1\""));
        assertEquals("0.6.1", installer.installedVersion());
        assertFalse(installer.isInstalled());

        assertTrue(installer.ensureInstalled().installedNow());
        assertEquals("0.6.2", installer.installedVersion());

        // npm writes its hidden lockfile last: without it the install counts as interrupted.
        Files.delete(dir.resolve("node_modules/.package-lock.json"));
        assertFalse(installer.isInstalled());
        assertTrue(installer.ensureInstalled().installedNow());
    }

    @Test
    void concurrentInstallsIntoOneDirectoryRunNpmOnce(@TempDir Path dir) throws Exception {
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<CompletableFuture<KinesisLocalInstaller.Installation>> installs = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                installs.add(CompletableFuture.supplyAsync(() -> {
                    await(go);
                    return new KinesisLocalInstaller(dir, NPM).ensureInstalled();
                }, pool));
            }
            go.countDown();
            long installed = installs.stream().map(CompletableFuture::join)
                    .filter(KinesisLocalInstaller.Installation::installedNow).count();
            assertEquals(1, installed);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aMissingNpmIsReportedWithWhatToDo(@TempDir Path dir) {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new KinesisLocalInstaller(dir, "npm-that-does-not-exist").ensureInstalled());
        assertTrue(e.getMessage().contains("npm-that-does-not-exist"), e.getMessage());
        assertTrue(e.getMessage().contains(KinesisLocalInstaller.MAIN_PROPERTY), e.getMessage());
    }

    @Test
    @DisabledOnOs(OS.WINDOWS)
    void aFailingNpmIsReportedWithItsOutput(@TempDir Path dir) throws Exception {
        Path fakeNpm = dir.resolve("fake-npm");
        Files.writeString(fakeNpm, "#!/bin/sh\necho \"npm ERR! registry unreachable\"\nexit 3\n");
        Files.setPosixFilePermissions(fakeNpm, PosixFilePermissions.fromString("rwx------"));

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new KinesisLocalInstaller(dir.resolve("install"), fakeNpm.toString()).ensureInstalled());
        assertTrue(e.getMessage().contains("exit code 3"), e.getMessage());
        assertTrue(e.getMessage().contains("npm ERR! registry unreachable"), e.getMessage());
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
