// Compiled by the test core.node_rejects_a_generic_lambda (tests/core/compile_fails.cmake), never
// linked: with SLUICE_SNIPPET_OK the node takes a typed lambda and compiles; without it, a
// generic lambda, which must fail with sluice::node's own message and few lines.

#include <sluice/core/node.hpp>

sluice::Node make_double_node() {
#ifdef SLUICE_SNIPPET_OK
  return sluice::node(
      "double", [](const int& x) { return 2 * x; }, "x", "y");
#else
  return sluice::node(
      "double", [](const auto& x) { return 2 * x; }, "x", "y");
#endif
}
