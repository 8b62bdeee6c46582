package io.purekinesis.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

class FleetCostModelTest {

    @Test
    void anEventuallyConsistentReadIsHalfAUnitPer4KbRoundedUpPerCall() {
        assertEquals(0.5, FleetCostModel.eventuallyConsistentRead(0));
        assertEquals(0.5, FleetCostModel.eventuallyConsistentRead(4096));
        assertEquals(1.0, FleetCostModel.eventuallyConsistentRead(4097));
        // a 1 MB page is 256 units; the rest of the next page is rounded by itself
        assertEquals(0.5 * (256 + 1), FleetCostModel.eventuallyConsistentRead(1024 * 1024 + 10));
    }

    @Test
    void itemSizeFollowsDynamoDbsRules() {
        Map<String, AttributeValue> item = new LinkedHashMap<>();
        item.put("leaseKey", AttributeValue.fromS("shardId-000000000001")); // 8 + 20
        item.put("leaseCounter", AttributeValue.fromN("12345")); // 12 + (5 digits: 3 + 1)
        item.put("parentShardId", AttributeValue.fromSs(List.of("ab", "cde"))); // 13 + 5
        item.put("flag", AttributeValue.fromBool(true)); // 4 + 1
        assertEquals(28 + 16 + 18 + 5, FleetCostModel.itemBytes(item));
        assertEquals(2, FleetCostModel.numberBytes("0"));
        assertEquals(2, FleetCostModel.numberBytes("1000")); // trailing zeros are trimmed
    }

    @Test
    void kcl3ModelOfTwoHundredShardsAndTenWorkersReadsAboutElevenUnitsPerShardHour() {
        // issue 17's figures: 293-byte rows; keys-only rows of ~44 bytes
        FleetCostModel.Cost kcl3 = FleetCostModel.kcl3(200, 10, 293, 44);
        // leader: 200 x 293 B = 58.6 KB = 15 x 4 KB -> 7.5 RCU x 180 scans; workers: 0.5 RCU x 180 x 10
        assertEquals(7.5 * 180 + 0.5 * 180 * 10, kcl3.readsPerHour(), 1e-9);
        assertEquals(11.25, kcl3.readsPerHour() / 200, 1e-9);
        FleetCostModel.Cost kcl2 = FleetCostModel.kcl2(200, 10, 293);
        assertEquals(10 * 7.5 * 180, kcl2.readsPerHour(), 1e-9);
        assertEquals(200 * 3600 / 3.308, kcl2.writesPerHour(), 1e-6);
    }
}
