package dev.berth.bench;

import com.netflix.fenzo.ConstraintEvaluator;
import com.netflix.fenzo.TaskAssignmentResult;
import com.netflix.fenzo.TaskRequest;
import com.netflix.fenzo.TaskTrackerState;
import com.netflix.fenzo.VirtualMachineCurrentState;

/**
 * Fenzo has no built-in "at most k of a group per host"; this hard constraint counts the tasks of
 * the same task group running on, or assigned in this run to, the VM. Immutable.
 */
final class MaxPerNodeConstraint implements ConstraintEvaluator {
    private final int max;

    MaxPerNodeConstraint(int max) {
        this.max = max;
    }

    @Override
    public String getName() {
        return "MaxPerNode(" + max + ")";
    }

    @Override
    public Result evaluate(TaskRequest task, VirtualMachineCurrentState vm, TaskTrackerState tracker) {
        String group = task.taskGroupName();
        int count = 0;
        for (TaskRequest running : vm.getRunningTasks()) {
            if (group.equals(running.taskGroupName())) {
                count++;
            }
        }
        for (TaskAssignmentResult assigned : vm.getTasksCurrentlyAssigned()) {
            if (group.equals(assigned.getRequest().taskGroupName())) {
                count++;
            }
        }
        return count < max
                ? new Result(true, "")
                : new Result(false, vm.getHostname() + " already holds " + count + " of " + group);
    }
}
