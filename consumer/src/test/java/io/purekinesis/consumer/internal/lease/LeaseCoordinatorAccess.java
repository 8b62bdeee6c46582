package io.purekinesis.consumer.internal.lease;

/** Test access to the coordinator's package-private methods. */
public final class LeaseCoordinatorAccess {

    private LeaseCoordinatorAccess() {
    }

    public static void hold(LeaseCoordinator coordinator, Lease lease) {
        coordinator.holdForTest(lease);
    }

    public static void renewAll(LeaseCoordinator coordinator) {
        coordinator.renewAll();
    }
}
