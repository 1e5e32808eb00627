#pragma once
// Instantiates the task of one sub-topology for one partition (engine/planner/topology.h),
// opening its state stores on the environment's backend.
#include <memory>

#include "engine/planner/topology.h"
#include "engine/runtime/task.h"

namespace sluice {

Result<std::unique_ptr<Task>> CreateTask(std::shared_ptr<const QueryPlan> plan, const TopologySpec& topology,
                                         size_t subtopology, const TaskEnvironment& env);

}  // namespace sluice
