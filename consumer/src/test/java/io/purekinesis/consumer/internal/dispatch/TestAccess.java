package io.purekinesis.consumer.internal.dispatch;

import io.purekinesis.consumer.internal.lease.Lease;
import io.purekinesis.consumer.internal.lease.LeaseCoordinator;
import io.purekinesis.consumer.internal.lease.LeaseCoordinatorAccess;

/** Reaches package-private parts of the coordinator from this package's tests. */
final class TestAccess {

    private TestAccess() {
    }

    static void hold(LeaseCoordinator coordinator, Lease lease) {
        LeaseCoordinatorAccess.hold(coordinator, lease);
    }

    static void lookUp(LeaseCoordinator coordinator) {
        LeaseCoordinatorAccess.lookUp(coordinator);
    }

    static void heartbeat(LeaseCoordinator coordinator) {
        LeaseCoordinatorAccess.heartbeat(coordinator);
    }
}
