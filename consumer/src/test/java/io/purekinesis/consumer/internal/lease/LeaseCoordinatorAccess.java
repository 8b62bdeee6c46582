package io.purekinesis.consumer.internal.lease;

/** Test access to the coordinator's package-private parts. */
public final class LeaseCoordinatorAccess {

    private LeaseCoordinatorAccess() {
    }

    /** Holds {@code lease} as being processed, without a table read. */
    public static void hold(LeaseCoordinator coordinator, Lease lease) {
        coordinator.holdForTest(lease);
    }

    /** One lookup of the coordinator's leases, as a new assignVersion starts it. */
    public static void lookUp(LeaseCoordinator coordinator) {
        coordinator.lookUpForTest();
    }

    /** One heartbeat, as the heartbeat task sends it. */
    public static void heartbeat(LeaseCoordinator coordinator) {
        coordinator.heartbeatForTest();
    }
}
