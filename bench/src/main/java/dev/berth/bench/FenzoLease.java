package dev.berth.bench;

import com.netflix.fenzo.VirtualMachineLease;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.mesos.Protos;

/**
 * A workload node as a Fenzo lease: the whole node offered at once, cpu from the workload's first
 * dimension, memory from the second (0 for 1-D workloads), no network, disk or ports, labels as
 * Mesos text attributes (what {@code HostAttrValueConstraint} reads). There is no Mesos offer
 * behind it ({@link #getOffer()} is null), which Fenzo's scheduling path does not need.
 * Immutable.
 */
final class FenzoLease implements VirtualMachineLease {
    private final String host;
    private final double cpus;
    private final double memoryMb;
    private final long offeredTime;
    private final Map<String, Protos.Attribute> attributes;

    FenzoLease(String host, double cpus, double memoryMb, Map<String, String> labels, long offeredTime) {
        this.host = host;
        this.cpus = cpus;
        this.memoryMb = memoryMb;
        this.offeredTime = offeredTime;
        Map<String, Protos.Attribute> map = new HashMap<>();
        labels.forEach((k, v) -> map.put(k, Protos.Attribute.newBuilder()
                .setName(k)
                .setType(Protos.Value.Type.TEXT)
                .setText(Protos.Value.Text.newBuilder().setValue(v))
                .build()));
        this.attributes = java.util.Collections.unmodifiableMap(map); // Fenzo looks up null keys: no Map.copyOf
    }

    @Override
    public String getId() {
        return "lease-" + host;
    }

    @Override
    public long getOfferedTime() {
        return offeredTime;
    }

    @Override
    public String hostname() {
        return host;
    }

    @Override
    public String getVMID() {
        return host;
    }

    @Override
    public double cpuCores() {
        return cpus;
    }

    @Override
    public double memoryMB() {
        return memoryMb;
    }

    @Override
    public double networkMbps() {
        return 0;
    }

    @Override
    public double diskMB() {
        return 0;
    }

    @Override
    public List<Range> portRanges() {
        return List.of();
    }

    @Override
    public Protos.Offer getOffer() {
        return null;
    }

    @Override
    public Map<String, Protos.Attribute> getAttributeMap() {
        return attributes;
    }

    @Override
    public Double getScalarValue(String name) {
        return null;
    }

    @Override
    public Map<String, Double> getScalarValues() {
        return Map.of();
    }
}
