package dev.berth.core.internal.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.api.InvalidSpecException;
import java.time.DateTimeException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The decoder's typed reads: plain Java exceptions of the API's records become field errors. */
class TreeValuesTest {
    private static final Tree.Obj ROUTING = new Tree.Obj(Map.of("readTimeout", new Tree.Val("5s", "5s", 3)), Map.of(), 2);

    @Test
    void arithmeticAndRangeErrorsOfRecordsBecomeInvalidSpecExceptionsNamingTheField() {
        assertThatThrownBy(() -> TreeValues.refusedAs("routing", ROUTING, () -> Duration.ofSeconds(Long.MAX_VALUE).toMillis()))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessage("routing: '{readTimeout: 5s}' is not allowed; the value is out of range: long overflow");
        assertThatThrownBy(() -> TreeValues.refusedAs("restart", null, () -> {
            throw new DateTimeException("Instant exceeds minimum or maximum instant");
        })).isInstanceOf(InvalidSpecException.class).hasMessageStartingWith("restart: nothing is not allowed; the value is out of range");
        assertThatThrownBy(() -> TreeValues.refusedAs("app", ROUTING, () -> {
            throw new IllegalArgumentException("count must be >= 0,\nwas -1");
        })).hasMessageEndingWith("the value is out of range: count must be >= 0, was -1");
        assertThat(TreeValues.refusedAs("routing", ROUTING, () -> 42)).isEqualTo(42);
    }

    @Test
    void anInvalidSpecExceptionPassesThroughUnchanged() {
        InvalidSpecException e = new InvalidSpecException("routing.readTimeout", "2d", "must be from 1ms to 1d");
        assertThatThrownBy(() -> TreeValues.refusedAs("routing", ROUTING, () -> {
            throw e;
        })).isSameAs(e);
    }
}
