package io.purekinesis.consumer.internal.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.purekinesis.consumer.KinesisConsumerException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryRequest;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryResponse;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

class TrackedStreamsTest {

    private static final String ACCOUNT = "123456789012";
    /** Stream name -> creation epoch second; absent: the stream does not exist. */
    private final Map<String, Long> existing = new ConcurrentHashMap<>();
    private final AtomicReference<List<String>> tracked = new AtomicReference<>();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final KinesisAsyncClient kinesis = mock(KinesisAsyncClient.class);
    /** Streams DescribeStreamSummary reports as DELETING. */
    private final java.util.Set<String> deleting = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicInteger describes = new java.util.concurrent.atomic.AtomicInteger();

    TrackedStreamsTest() {
        when(kinesis.describeStreamSummary(any(DescribeStreamSummaryRequest.class))).thenAnswer(inv -> {
            String name = ((DescribeStreamSummaryRequest) inv.getArgument(0)).streamName();
            describes.incrementAndGet();
            Long epoch = existing.get(name);
            if (epoch == null) {
                return CompletableFuture.failedFuture(ResourceNotFoundException.builder().message("no " + name)
                        .build());
            }
            return CompletableFuture.completedFuture(DescribeStreamSummaryResponse.builder().streamDescriptionSummary(
                    StreamDescriptionSummary.builder().streamName(name)
                            .streamARN("arn:aws:kinesis:eu-west-1:" + ACCOUNT + ":stream/" + name)
                            .streamStatus(deleting.contains(name) ? StreamStatus.DELETING : StreamStatus.ACTIVE)
                            .streamCreationTimestamp(Instant.ofEpochSecond(epoch)).build()).build());
        });
    }

    private TrackedStreams streams() {
        TrackedStreams s = TrackedStreams.multi(kinesis, tracked::get);
        s.addListener(new TrackedStreams.Listener() {
            @Override
            public void added(TrackedStream stream) {
                events.add("+" + stream.name());
            }

            @Override
            public void removed(TrackedStream stream) {
                events.add("-" + stream.name());
            }
        });
        return s;
    }

    @Test
    void startResolvesEveryStreamByNameOrArnAndKeysItsLeases() {
        existing.put("a", 100L);
        existing.put("b", 200L);
        tracked.set(List.of("a", "arn:aws:kinesis:eu-west-1:" + ACCOUNT + ":stream/b"));
        TrackedStreams s = streams();
        List<TrackedStream> now = s.start();
        assertEquals(List.of("a", "b"), now.stream().map(TrackedStream::name).toList());
        assertEquals(ACCOUNT + ":b:200:shardId-000000000001", now.get(1).leaseKey("shardId-000000000001"));
        assertEquals("b", s.ofLeaseKey(ACCOUNT + ":b:200:shardId-000000000001").name());
        assertNull(s.ofLeaseKey(ACCOUNT + ":c:200:shardId-000000000001"));
        assertEquals(TrackedStreams.Relation.TRACKED, s.relationOf(new StreamKey(ACCOUNT, "a", 100)));
        assertEquals(TrackedStreams.Relation.FORMER, s.relationOf(new StreamKey(ACCOUNT, "a", 99)));
        assertEquals(TrackedStreams.Relation.UNTRACKED, s.relationOf(new StreamKey(ACCOUNT, "a", 101)),
                "a newer creation is not former: this worker has not learnt of it yet");
        assertEquals(TrackedStreams.Relation.UNTRACKED, s.relationOf(new StreamKey(ACCOUNT, "c", 100)));
        assertEquals(List.of(), events, "nothing is told at start");
    }

    @Test
    void startFailsNamingAStreamThatDoesNotExistOrAnArnOfAnotherAccount() {
        existing.put("a", 100L);
        tracked.set(List.of("a", "missing"));
        KinesisConsumerException e = assertThrows(KinesisConsumerException.class, () -> streams().start());
        assertTrue(e.getMessage().contains("stream missing"), e.getMessage());
        tracked.set(List.of("arn:aws:kinesis:eu-west-1:999999999999:stream/a"));
        e = assertThrows(KinesisConsumerException.class, () -> streams().start());
        assertTrue(e.getMessage().contains("account 999999999999"), e.getMessage());
    }

    @Test
    void refreshTellsWhatWasAddedAndRemovedAndKeepsTheStreamsWhenTheTrackerFails() {
        existing.put("a", 100L);
        existing.put("b", 200L);
        tracked.set(List.of("a"));
        TrackedStreams s = streams();
        s.start();
        tracked.set(List.of("a", "b"));
        s.refresh();
        assertEquals(List.of("+b"), events);
        tracked.set(List.of("b"));
        s.refresh();
        assertEquals(List.of("+b", "-a"), events);
        tracked.set(null);
        s.refresh();
        tracked.set(List.of("b", "b"));
        s.refresh();
        assertEquals(List.of("+b", "-a"), events, "a null or bad answer changes nothing");
        assertEquals(List.of("b"), s.current().stream().map(TrackedStream::name).toList());
    }

    @Test
    void aListedStreamThatDoesNotExistYetIsAddedOnceItDoes() {
        existing.put("a", 100L);
        tracked.set(List.of("a", "later"));
        tracked.set(List.of("a"));
        TrackedStreams s = streams();
        s.start();
        tracked.set(List.of("a", "later"));
        s.refresh();
        assertEquals(List.of(), events);
        existing.put("later", 300L);
        s.refresh();
        assertEquals(List.of("+later"), events);
    }

    @Test
    void aStreamThatDisappearsIsRemovedAndARecreatedOneIsANewStream() {
        existing.put("a", 100L);
        tracked.set(List.of("a"));
        TrackedStreams s = streams();
        TrackedStream before = s.start().get(0);
        existing.put("a", 150L); // deleted and created again
        s.disappeared(before);
        assertEquals(List.of("-a"), events);
        s.refresh();
        assertEquals(List.of("-a", "+a"), events);
        assertEquals(150L, s.current().get(0).key().creationEpoch());
        assertEquals(TrackedStreams.Relation.FORMER, s.relationOf(before.key()));
    }

    @Test
    void aStreamCreatedAgainWhileRunningIsFollowedWhenCheckedOrWhenALeaseOfItsNewCreationArrives() {
        existing.put("a", 100L);
        existing.put("b", 100L);
        tracked.set(List.of("a", "b"));
        TrackedStreams s = streams();
        s.start();
        existing.put("a", 150L);
        existing.put("b", 160L);
        s.checkRecreated(t -> t.name().equals("a"));
        assertEquals(List.of("-a", "+a"), events, "only the streams asked about are described");
        assertEquals(TrackedStreams.Relation.FORMER, s.relationOf(new StreamKey(ACCOUNT, "a", 100)));
        assertEquals(TrackedStreams.Relation.TRACKED, s.relationOf(new StreamKey(ACCOUNT, "a", 150)));

        s.learn(ACCOUNT + ":b:90:shardId-000000000000"); // an older creation: nothing to learn
        assertEquals(List.of("-a", "+a"), events);
        s.learn(ACCOUNT + ":b:160:shardId-000000000000");
        assertEquals(List.of("-a", "+a", "-b", "+b"), events);
        assertEquals("b", s.ofLeaseKey(ACCOUNT + ":b:160:shardId-000000000000").name());
    }

    @Test
    void aReadFailureChecksTheStreamOnceAndLetsGoOfItWhenGoneDeletingOrRecreated() {
        existing.put("a", 100L);
        existing.put("b", 200L);
        existing.put("c", 300L);
        tracked.set(List.of("a", "b", "c"));
        TrackedStreams s = streams();
        s.start();
        int before = describes.get();

        s.checkGone("a"); // still there, same creation: nothing changes
        assertEquals(before + 1, describes.get(), "one DescribeStreamSummary per check");
        assertEquals(List.of(), events);
        assertEquals(3, s.current().size());

        existing.remove("b");
        s.checkGone("b");
        deleting.add("c");
        s.checkGone("c");
        assertEquals(List.of("-b", "-c"), events);
        assertEquals(List.of("a"), s.current().stream().map(TrackedStream::name).toList());
        int afterGone = describes.get();
        s.checkGone("b"); // no longer read: no call
        assertEquals(afterGone, describes.get());

        existing.put("a", 101L);
        s.checkGone("a");
        assertEquals(List.of("-b", "-c", "-a", "+a"), events, "created again: the new creation replaces the old");
        assertEquals(TrackedStreams.Relation.FORMER, s.relationOf(new StreamKey(ACCOUNT, "a", 100)));

        events.clear();
        s.refresh(); // b gone, c still being deleted: neither is read again
        assertEquals(List.of(), events);
        existing.put("b", 201L);
        s.refresh();
        assertEquals(List.of("+b"), events, "a stream created again under the name is read as a new one");
    }
}
