package io.purekinesis.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The race's option rules and its /proc reading (the runs themselves are not part of the build). */
class ProducerRaceTest {

    @Test
    void bothLibrariesKeepTheirDefaultRateLimitAtAFixedRateButNotAtFullSpeed() {
        assertEquals(150, ProducerRace.Options.parse(new String[0]).rateLimit);
        assertEquals(10_000, ProducerRace.Options.parse(new String[] {"--full-speed"}).rateLimit);
        assertEquals(0, ProducerRace.Options.parse(new String[] {"--full-speed"}).rate);
        assertEquals(300, ProducerRace.Options.parse(new String[] {"--full-speed", "--rate-limit", "300"}).rateLimit);
    }

    @Test
    void pacingParksPerRecordUnlessAMinimumSleepIsAsked() {
        assertEquals(0, ProducerRace.Options.parse(new String[0]).pacerMinSleepMicros);
        assertEquals(1000, ProducerRace.Options.parse(new String[] {"--pacer-min-sleep-us", "1000"})
                .pacerMinSleepMicros);
    }

    @Test
    void anEndpointMustBeHttpsAndLibrariesKnown() {
        assertThrows(IllegalArgumentException.class,
                () -> ProducerRace.Options.parse(new String[] {"--endpoint", "http://127.0.0.1:4568"}));
        assertThrows(IllegalArgumentException.class,
                () -> ProducerRace.Options.parse(new String[] {"--libraries", "ours,kcl"}));
        assertEquals(List.of("kpl", "ours"),
                ProducerRace.Options.parse(new String[] {"--libraries", "kpl,ours"}).libraries);
    }

    @Test
    void ourProtocolIsCborByDefaultAsAgainstAwsAndJsonOnRequest() {
        assertEquals(WireProtocol.CBOR, ProducerRace.Options.parse(new String[0]).protocol);
        assertEquals(WireProtocol.JSON, ProducerRace.Options.parse(new String[] {"--protocol", "json"}).protocol);
        assertEquals(WireProtocol.CBOR, ProducerBenchmark.Options.parse(new String[0]).protocol);
        assertEquals(WireProtocol.JSON, ProducerBenchmark.Options.parse(new String[] {"--protocol", "JSON"}).protocol);
        assertThrows(IllegalArgumentException.class,
                () -> ProducerRace.Options.parse(new String[] {"--protocol", "ion"}));
    }

    @Test
    void procTreeReadsThisJvmsCpuAndPeakRssAndSeesItsCpuGrow() {
        long pid = ProcessHandle.current().pid();
        List<ProcTree.Proc> before = ProcTree.read(pid);
        assertEquals(pid, before.get(0).pid());
        assertTrue(before.get(0).peakRssBytes() > 0, "VmHWM: " + before.get(0));
        long start = ProcTree.cpuNanos(before);
        assertTrue(start > 0, "CPU so far: " + before.get(0));
        // Burn CPU until /proc shows more (it counts in 10 ms ticks): the reading must follow the process.
        while (ProcTree.cpuNanos(ProcTree.read(pid)) <= start) {
            for (int i = 0; i < 1_000_000; i++) {
                burned += i ^ burned;
            }
        }
    }

    /** Where the CPU-burning loop writes, so the JIT cannot drop it. */
    private static volatile long burned;

    @Test
    void procTreeIncludesAChildProcess() throws Exception {
        Process child = new ProcessBuilder("sleep", "60").start();
        try {
            List<ProcTree.Proc> tree = ProcTree.read(ProcessHandle.current().pid());
            assertTrue(tree.stream().anyMatch(p -> p.pid() == child.pid() && p.name().equals("sleep")),
                    "descendants: " + tree);
        } finally {
            child.destroyForcibly();
        }
    }
}
