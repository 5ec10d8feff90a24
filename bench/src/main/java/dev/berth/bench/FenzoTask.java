package dev.berth.bench;

import com.netflix.fenzo.ConstraintEvaluator;
import com.netflix.fenzo.TaskRequest;
import com.netflix.fenzo.VMTaskFitnessCalculator;
import java.util.List;
import java.util.Map;

/**
 * A workload request as a Fenzo task: id = request id, task group = app, cpu and memory from the
 * workload's first two dimensions, hard constraints as given, no soft constraints (the fitness
 * calculator is the scheduler's bin packer). Mutable only in the assigned resources Fenzo sets;
 * one instance per scheduling run.
 */
final class FenzoTask implements TaskRequest {
    private final String id;
    private final String group;
    private final double cpus;
    private final double memoryMb;
    private final List<ConstraintEvaluator> hard;
    private AssignedResources assigned;

    FenzoTask(String id, String group, double cpus, double memoryMb, List<ConstraintEvaluator> hard) {
        this.id = id;
        this.group = group;
        this.cpus = cpus;
        this.memoryMb = memoryMb;
        this.hard = List.copyOf(hard);
    }

    @Override
    public String getId() {
        return id;
    }

    @Override
    public String taskGroupName() {
        return group;
    }

    @Override
    public double getCPUs() {
        return cpus;
    }

    @Override
    public double getMemory() {
        return memoryMb;
    }

    @Override
    public double getNetworkMbps() {
        return 0;
    }

    @Override
    public double getDisk() {
        return 0;
    }

    @Override
    public int getPorts() {
        return 0;
    }

    @Override
    public Map<String, Double> getScalarRequests() {
        return Map.of();
    }

    @Override
    public Map<String, NamedResourceSetRequest> getCustomNamedResources() {
        return Map.of();
    }

    @Override
    public List<? extends ConstraintEvaluator> getHardConstraints() {
        return hard;
    }

    @Override
    public List<? extends VMTaskFitnessCalculator> getSoftConstraints() {
        return List.of();
    }

    @Override
    public void setAssignedResources(AssignedResources assignedResources) {
        this.assigned = assignedResources;
    }

    @Override
    public AssignedResources getAssignedResources() {
        return assigned;
    }
}
