#pragma once

// The thread pool is core's (hooks use it too): include <sluice/core/thread_pool.hpp>.
#include <sluice/core/thread_pool.hpp>
