#pragma once

// <sluice/sluice.hpp> and the runners, in one include, for a program that runs pipelines
// (link sluice::runners).

#include <sluice/runners/builtins.hpp>
#include <sluice/runners/node_error.hpp>
#include <sluice/runners/parallel_runner.hpp>
#include <sluice/runners/resume.hpp>
#include <sluice/runners/runner.hpp>
#include <sluice/runners/sequential_runner.hpp>
#include <sluice/sluice.hpp>
