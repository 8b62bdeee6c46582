package io.purekinesis.producer.internal.pipeline;

import io.purekinesis.producer.internal.UserRecord;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A stream's records waiting to be routed, in {@code add} order: those added before any shard map was known, and
 * those added by an ARN that is not verified yet (with that ARN), with everything added after them. Reads need no
 * lock; changes happen under the router's routing lock, which the take methods take themselves.
 */
final class WaitingRecords {

    private final Object routingLock;
    private final ConcurrentLinkedQueue<UserRecord> queue = new ConcurrentLinkedQueue<>();
    /** Records added by an ARN not yet verified, with that ARN (identity keys: UserRecord is a future). */
    private final ConcurrentHashMap<UserRecord, String> addressed = new ConcurrentHashMap<>();

    WaitingRecords(Object routingLock) {
        this.routingLock = routingLock;
    }

    /** Under the routing lock: the record waits behind the others; {@code arn} when it was added by one. */
    void add(UserRecord record, String arn) {
        if (arn != null) {
            addressed.put(record, arn);
        }
        queue.add(record);
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    /** The oldest waiting record, or null. */
    UserRecord peek() {
        return queue.peek();
    }

    /** The unverified ARN the record was added by, or null. */
    String arnOf(UserRecord record) {
        return addressed.isEmpty() ? null : addressed.get(record);
    }

    /** Under the routing lock: removes the oldest waiting record (just {@link #peek peeked}). */
    void removeHead() {
        UserRecord r = queue.poll();
        if (r != null && !addressed.isEmpty()) {
            addressed.remove(r);
        }
    }

    /** Takes every waiting record out, in order. */
    List<UserRecord> takeAll() {
        List<UserRecord> taken = new ArrayList<>();
        synchronized (routingLock) {
            for (UserRecord r; (r = queue.poll()) != null; ) {
                taken.add(r);
            }
            addressed.clear();
        }
        return taken;
    }

    /** Takes the records that were added by an ARN out (in order), keeping the others. */
    List<UserRecord> takeAddressed() {
        List<UserRecord> taken = new ArrayList<>();
        synchronized (routingLock) {
            for (Iterator<UserRecord> it = queue.iterator(); it.hasNext(); ) {
                UserRecord r = it.next();
                if (addressed.remove(r) != null) {
                    it.remove();
                    taken.add(r);
                }
            }
        }
        return taken;
    }

    /** Takes the records whose TTL passed out. */
    List<UserRecord> takeExpired(long now) {
        UserRecord head = queue.peek();
        if (head == null || head.expiryMillis() > now) {
            return List.of(); // FIFO with one TTL: nothing behind the head expired either
        }
        List<UserRecord> expired = new ArrayList<>();
        synchronized (routingLock) {
            for (Iterator<UserRecord> it = queue.iterator(); it.hasNext(); ) {
                UserRecord r = it.next();
                if (r.expiryMillis() <= now) {
                    it.remove();
                    addressed.remove(r);
                    expired.add(r);
                }
            }
        }
        return expired;
    }
}
