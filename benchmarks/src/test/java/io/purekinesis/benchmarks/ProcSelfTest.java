package io.purekinesis.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ProcSelfTest {

    @Test
    void cpuTicksAreUtimePlusStimeCountedFromTheLastParenthesis() {
        String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 12345 0 7 0 1500 250 3 4 20 0 31 0 123 "
                + "4000000000 50000 18446744073709551615 1 1 0 0 0 0 0 0 16800975 0 0 0 17 1 0 0 0 0 0";
        assertEquals(1750, ProcSelf.cpuTicks(stat));
    }

    @Test
    void statusValueInKib() {
        String status = "Name:\tjava\nVmPeak:\t 9000000 kB\nVmHWM:\t  654321 kB\nVmRSS:\t  600000 kB\n";
        assertEquals(654321, ProcSelf.statusKib(status, "VmHWM"));
        assertThrows(IllegalArgumentException.class, () -> ProcSelf.statusKib(status, "VmSwap"));
    }

    @Test
    void threadGroupsJoinAPoolsThreads() {
        assertEquals("aws-java-sdk-Ne", ProcSelf.threadGroup("aws-java-sdk-Ne"));
        assertEquals("qtp#-#", ProcSelf.threadGroup("qtp1234-56"));
        assertEquals("C# CompilerThre", ProcSelf.threadGroup("C2 CompilerThre"));
    }

    @Test
    void readsThisProcess() {
        // Linux only, like the race itself
        assertTrue(ProcSelf.cpuSeconds() > 0);
        assertTrue(ProcSelf.peakRssKib() > 0);
        assertTrue(ProcSelf.cpuSecondsByThreadGroup().containsKey("VM Thread")); // HotSpot names its threads
        assertTrue(ProcSelf.javaCpuSecondsByThreadGroup().containsKey("main"));
    }
}
