#pragma once

// The precompiled header of every test suite (tests/CMakeLists.txt, sluice_add_test_suite):
// the third-party and standard headers most test files include, which cost more to parse than
// the tests themselves (GoogleTest and gMock above all). Only headers whose names cannot clash
// with a test's own: no sluice header, so a test still includes what it uses.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
