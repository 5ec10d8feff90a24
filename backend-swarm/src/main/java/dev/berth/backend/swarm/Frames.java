// Docker's multiplexed log stream (an 8-byte header per frame: stream, 3 zero bytes, a big-endian length) as lines.
package dev.berth.backend.swarm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Reads the frames of a non-TTY log stream and splits their payload into lines. Stateless. */
final class Frames {
    private Frames() {
    }

    /** Every line of {@code in}'s frames, stdout and stderr in the order they came; the last partial line too. */
    static List<String> lines(InputStream in) throws IOException {
        StringBuilder text = new StringBuilder();
        byte[] header = new byte[8];
        while (in.readNBytes(header, 0, 8) == 8) {
            int size = ((header[4] & 0xff) << 24) | ((header[5] & 0xff) << 16) | ((header[6] & 0xff) << 8) | (header[7] & 0xff);
            byte[] payload = in.readNBytes(size);
            text.append(new String(payload, StandardCharsets.UTF_8));
        }
        List<String> out = new ArrayList<>(List.of(text.toString().split("\n", -1)));
        if (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) {
            out.remove(out.size() - 1);
        }
        return out;
    }
}
