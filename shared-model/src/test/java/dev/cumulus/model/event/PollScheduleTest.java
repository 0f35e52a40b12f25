package dev.cumulus.model.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PollScheduleTest {
    private final PollSchedule schedule = new PollSchedule(20, 500);

    @Test
    void aPauseIsATwentiethOfTheWaitWithinItsBounds() {
        assertEquals(20, schedule.pauseAfter(0));
        assertEquals(20, schedule.pauseAfter(400));
        // A job of three seconds is heard of at most 150 ms after its end, not half a second.
        assertEquals(150, schedule.pauseAfter(3_000));
        assertEquals(500, schedule.pauseAfter(10_000));
        assertEquals(500, schedule.pauseAfter(3_600_000));
    }

    @Test
    void boundsMustMakeSense() {
        assertThrows(IllegalArgumentException.class, () -> new PollSchedule(0, 500));
        assertThrows(IllegalArgumentException.class, () -> new PollSchedule(100, 20));
    }
}
