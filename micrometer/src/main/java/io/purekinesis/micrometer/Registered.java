package io.purekinesis.micrometer;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The meters a binding registered, so that it can remove them (a shard no longer held, or {@code close()}). */
final class Registered {

    private final MeterRegistry registry;
    private final Set<Meter> meters = ConcurrentHashMap.newKeySet();

    Registered(MeterRegistry registry) {
        this.registry = registry;
    }

    <M extends Meter> M add(M meter) {
        meters.add(meter);
        return meter;
    }

    void remove(Meter meter) {
        if (meter != null && meters.remove(meter)) {
            registry.remove(meter);
        }
    }

    void removeAll() {
        for (Meter m : meters) {
            remove(m);
        }
    }
}
