package io.purekinesis.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure the pinned npm package {@code kinesis-local} is installed in a directory, so that tests need no manual
 * setup beyond Node.js and npm on the PATH.
 *
 * <p>Where: system property {@value #MAIN_PROPERTY} (an installed {@code main.js}, used as is), else the install
 * directory from system property {@value #DIR_PROPERTY}, else environment variable {@value #DIR_ENV}, else
 * {@code ${user.home}/.cache/purekinesis/kinesis-local-<version>}.
 */
final class KinesisLocalInstaller {

    static final String MAIN_PROPERTY = "purekinesis.kinesisLocal.main";
    static final String DIR_PROPERTY = "purekinesis.kinesisLocal.dir";
    static final String DIR_ENV = "PUREKINESIS_KINESIS_LOCAL_DIR";

    private static final Logger LOG = LoggerFactory.getLogger(KinesisLocalInstaller.class);
    private static final String RESOURCES = "/io/purekinesis/testkit/kinesis-local/";
    private static final String PACKAGE = "kinesis-local";
    /** The single source of the pinned version is the bundled package.json. */
    static final String VERSION = bundledVersion();
    private static final Pattern VERSION_FIELD = Pattern.compile("\"version\"\\s*:\\s*\"([^\"]+)\"");
    private static final long NPM_TIMEOUT_MINUTES = 5;
    /**
     * A JVM may hold only one lock on a file: a second thread asking for it would get an
     * OverlappingFileLockException instead of waiting, so threads of one JVM queue here first.
     */
    private static final Object JVM_LOCK = new Object();

    private final Path installDir;
    private final String npmCommand;

    KinesisLocalInstaller(Path installDir, String npmCommand) {
        this.installDir = installDir.toAbsolutePath().normalize();
        this.npmCommand = npmCommand;
    }

    record Installation(Path mainJs, boolean installedNow) {
    }

    /** The emulator's main.js per the resolution order in the class comment, installing it if needed. */
    static Path resolveMainJs() {
        String explicit = System.getProperty(MAIN_PROPERTY);
        if (explicit != null && !explicit.isBlank()) {
            Path main = Paths.get(explicit).toAbsolutePath();
            if (!Files.isRegularFile(main)) {
                throw new IllegalStateException("System property " + MAIN_PROPERTY + " points at " + main
                        + ", which does not exist. Unset it to let purekinesis-testkit install kinesis-local "
                        + VERSION + " itself.");
            }
            return main;
        }
        Path dir = installDir(System::getProperty, System::getenv);
        return new KinesisLocalInstaller(dir, defaultNpmCommand()).ensureInstalled().mainJs();
    }

    static Path installDir(UnaryOperator<String> systemProperties, UnaryOperator<String> environment) {
        String dir = systemProperties.apply(DIR_PROPERTY);
        if (dir == null || dir.isBlank()) {
            dir = environment.apply(DIR_ENV);
        }
        if (dir == null || dir.isBlank()) {
            return Paths.get(systemProperties.apply("user.home"), ".cache", "purekinesis", PACKAGE + "-" + VERSION);
        }
        return Paths.get(dir);
    }

    static String defaultNpmCommand() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows") ? "npm.cmd" : "npm";
    }

    Path mainJs() {
        return packageDir().resolve("main.js");
    }

    Installation ensureInstalled() {
        if (isInstalled()) {
            return new Installation(mainJs(), false);
        }
        synchronized (JVM_LOCK) {
            try {
                Files.createDirectories(installDir);
                try (FileChannel channel = FileChannel.open(installDir.resolve(".install.lock"),
                        StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                    FileLock lock = channel.lock();
                    try {
                        // Another JVM may have finished the install while we waited for the lock.
                        if (isInstalled()) {
                            return new Installation(mainJs(), false);
                        }
                        install();
                        return new Installation(mainJs(), true);
                    } finally {
                        lock.release();
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Could not install " + PACKAGE + " " + VERSION + " into " + installDir,
                        e);
            }
        }
    }

    /**
     * npm writes its hidden lockfile after the packages are in place, so an install killed halfway (main.js perhaps
     * truncated) is redone.
     */
    boolean isInstalled() {
        return Files.isRegularFile(mainJs())
                && VERSION.equals(installedVersion())
                && Files.isRegularFile(installDir.resolve("node_modules").resolve(".package-lock.json"));
    }

    String installedVersion() {
        String json = readOrNull(packageDir().resolve("package.json"));
        if (json == null) {
            return null;
        }
        Matcher m = VERSION_FIELD.matcher(json);
        return m.find() ? m.group(1) : null;
    }

    private void install() throws IOException {
        long startNanos = System.nanoTime();
        LOG.info("Installing {} {} into {} (npm ci)", PACKAGE, VERSION, installDir);
        copyResource("package.json");
        copyResource("package-lock.json");
        Path npmLog = installDir.resolve("npm-ci.log");
        int exit = runNpmCi(npmLog);
        if (exit != 0) {
            throw new IllegalStateException("'" + npmCommand + " ci' failed with exit code " + exit + " in "
                    + installDir + ". npm said:\n" + readOrNull(npmLog));
        }
        if (!isInstalled()) {
            throw new IllegalStateException("'" + npmCommand + " ci' succeeded in " + installDir + " but left no complete"
                    + " install of " + PACKAGE + " " + VERSION + " (main.js present: " + Files.isRegularFile(mainJs())
                    + ", version found: " + installedVersion() + "). npm said:\n" + readOrNull(npmLog));
        }
        LOG.info("Installed {} {} in {} ms", PACKAGE, VERSION, (System.nanoTime() - startNanos) / 1_000_000);
    }

    private int runNpmCi(Path npmLog) throws IOException {
        Process npm;
        try {
            npm = new ProcessBuilder(npmCommand, "ci", "--no-audit", "--no-fund")
                    .directory(installDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(npmLog.toFile())
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("Could not run '" + npmCommand + "' to install " + PACKAGE + " "
                    + VERSION + " into " + installDir + ": " + e.getMessage() + ". Install Node.js 18 or later"
                    + " with npm on the PATH, or set -D" + MAIN_PROPERTY + " to an installed main.js.", e);
        }
        try {
            if (!npm.waitFor(NPM_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                npm.destroyForcibly();
                throw new IllegalStateException("'" + npmCommand + " ci' did not finish within " + NPM_TIMEOUT_MINUTES
                        + " minutes in " + installDir + ". npm said:\n" + readOrNull(npmLog));
            }
            return npm.exitValue();
        } catch (InterruptedException e) {
            npm.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while installing " + PACKAGE + " into " + installDir, e);
        }
    }

    private Path packageDir() {
        return installDir.resolve("node_modules").resolve(PACKAGE);
    }

    private void copyResource(String name) throws IOException {
        try (InputStream in = openResource(name)) {
            Files.copy(in, installDir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static InputStream openResource(String name) {
        InputStream in = KinesisLocalInstaller.class.getResourceAsStream(RESOURCES + name);
        if (in == null) {
            throw new IllegalStateException("Resource " + RESOURCES + name + " is missing from purekinesis-testkit");
        }
        return in;
    }

    private static String bundledVersion() {
        try (InputStream in = openResource("package.json")) {
            String json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            Matcher m = Pattern.compile("\"" + PACKAGE + "\"\\s*:\\s*\"([^\"]+)\"").matcher(json);
            if (!m.find()) {
                throw new IllegalStateException("The bundled package.json does not pin " + PACKAGE);
            }
            return m.group(1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String readOrNull(Path file) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return null;
        }
    }
}
