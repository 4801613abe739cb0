// Builds tests/support/precompiled.hpp once for every test suite (tests/CMakeLists.txt): CMake
// includes the header in front of this file, which adds nothing of its own.
