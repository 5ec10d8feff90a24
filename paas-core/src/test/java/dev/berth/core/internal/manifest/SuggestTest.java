package dev.berth.core.internal.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The "did you mean" of unknown manifest fields. */
class SuggestTest {
    private static final List<String> FIELDS = List.of("source", "setup", "command", "env", "instances", "resources",
            "healthCheck", "routing", "update", "clusters");

    @Test
    void nearTyposGetTheFieldTheyMeant() {
        assertThat(Suggest.didYouMean("instance", FIELDS)).isEqualTo(" did you mean 'instances'?");
        assertThat(Suggest.didYouMean("healthcheck", FIELDS)).isEqualTo(" did you mean 'healthCheck'?");
        assertThat(Suggest.didYouMean("comand", FIELDS)).isEqualTo(" did you mean 'command'?");
        assertThat(Suggest.didYouMean("evn", FIELDS)).isEqualTo(" did you mean 'env'?");
    }

    @Test
    void farNamesGetNoGuess() {
        assertThat(Suggest.didYouMean("colour", FIELDS)).isEmpty();
        assertThat(Suggest.didYouMean("x".repeat(200), FIELDS)).isEmpty();
        assertThat(Suggest.didYouMean("ab", FIELDS)).isEmpty();
    }

    @Test
    void distanceCountsEditsAndSwaps() {
        assertThat(Suggest.distance("kitten", "sitting")).isEqualTo(3);
        assertThat(Suggest.distance("", "abc")).isEqualTo(3);
        assertThat(Suggest.distance("same", "same")).isZero();
        assertThat(Suggest.distance("evn", "env")).isEqualTo(1);
    }
}
