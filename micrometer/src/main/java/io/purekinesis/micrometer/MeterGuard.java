package io.purekinesis.micrometer;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a binding callback does when recording fails: the libraries call it on their sender, fetch and lease threads,
 * so nothing may escape. A registry that throws (a broken {@code MeterFilter}, a Micrometer older than the binding
 * supports: {@code NoSuchMethodError}) is reported at WARN once per callback, then at DEBUG.
 */
final class MeterGuard {

    private static final Logger log = LoggerFactory.getLogger(MeterGuard.class);

    private final String owner;
    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    MeterGuard(String owner) {
        this.owner = owner;
    }

    void failed(String callback, Throwable e) {
        if (warned.add(callback)) {
            log.warn("{}.{} could not record its measurement (further failures of it are logged at DEBUG)", owner,
                    callback, e);
        } else {
            log.debug("{}.{} could not record its measurement", owner, callback, e);
        }
    }
}
