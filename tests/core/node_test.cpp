#include <optional>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/node.hpp>

namespace sluice {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

int add(int a, int b) {
  return a + b;
}

struct Doubler {
  int operator()(int x) const { return 2 * x; }
};
struct Overloaded {
  int operator()(int x) const { return x; }
  double operator()(double x) const { return x; }
};

TEST(Node, NodeFunctionAcceptsTypedCallablesAndRejectsGenericOnes) {
  static_assert(NodeFunction<decltype(add)>);
  static_assert(NodeFunction<decltype(&add)>);
  static_assert(NodeFunction<Doubler>);
  static_assert(NodeFunction<decltype([](const std::string&) { return 1; })>);
  static_assert(NodeFunction<decltype([count = 0](int x) mutable { return count += x; })>);
  static_assert(!NodeFunction<decltype([](const auto& x) { return x; })>);
  static_assert(!NodeFunction<Overloaded>);
  static_assert(!NodeFunction<int>);
  EXPECT_EQ(node("double", Doubler{}, "x", "y").run({Value::of(4)})[0].get<int>(), 8);
}

TEST(Node, CopiesShareTheDefinitionAndOutliveTheOriginal) {
  std::optional<Node> original(node("add", add, {"a", "b"}, {"sum"}));
  Node copy = *original;
  EXPECT_TRUE(copy.same_as(*original));
  Node assigned = node("other", Doubler{}, {"x"}, {"y"});
  assigned = copy;
  const Node& alias = assigned;
  assigned = alias;  // assigned to itself
  EXPECT_TRUE(assigned.same_as(copy));
  Node moved = std::move(assigned);
  EXPECT_TRUE(moved.same_as(copy));
  original.reset();
  EXPECT_EQ(moved.name(), "add");
  EXPECT_EQ(moved.run({Value::of(2), Value::of(3)}).front().get<int>(), 5);
  moved = node("other", Doubler{}, {"x"}, {"y"});  // drops one reference
  EXPECT_EQ(copy.outputs(), std::vector<std::string>{"sum"});
}

TEST(Node, CopiesMadeAndDroppedOnManyThreadsAtOnce) {
  const Node shared = node("add", add, {"a", "b"}, {"sum"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&shared] {
      std::vector<Node> copies;
      for (int i = 0; i < 2000; ++i) {
        copies.push_back(shared);
        if (i % 3 == 0) {
          copies.erase(copies.begin());
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(shared.run({Value::of(1), Value::of(1)}).front().get<int>(), 2);
}

TEST(Node, RunsATypedFreeFunction) {
  const Node n = node("add", add, {"a", "b"}, "sum");
  const auto outputs = n.run({Value::of(2), Value::of(3)});
  ASSERT_EQ(outputs.size(), 1U);
  EXPECT_EQ(outputs[0].get<int>(), 5);
  EXPECT_EQ(n.inputs(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(n.outputs(), (std::vector<std::string>{"sum"}));
}

TEST(Node, TupleResultsAreSeveralOutputsAndVoidIsNone) {
  const Node split =
      node("split", [](const std::string& s) { return std::make_tuple(s.substr(0, 1), s.size()); },
           "text", {"head", "length"});
  const auto outputs = split.run({Value::of(std::string("abc"))});
  EXPECT_EQ(outputs[0].get<std::string>(), "a");
  EXPECT_EQ(outputs[1].get<std::size_t>(), 3U);

  int seen = 0;
  const Node sink = node("sink", [&seen](int x) { seen = x; }, "x", {});
  EXPECT_TRUE(sink.run({Value::of(9)}).empty());
  EXPECT_EQ(seen, 9);
}

TEST(Node, ConstReferenceInputsAreNotCopied) {
  const std::vector<double>* seen = nullptr;
  const Node n = node("look", [&seen](const std::vector<double>& v) { seen = &v; }, "data", {});
  const Value data = Value::of(std::vector<double>(1000));
  n.run({data});
  EXPECT_EQ(seen, &data.get<std::vector<double>>());
}

TEST(Node, ParametersConvertToThePlainTypeTheFunctionTakes) {
  const Node n = node(
      "scale", [](double factor, int times) { return factor * times; },
      {"params:factor", "params:times"}, "scaled");
  const auto outputs = n.run({Value::of(Param(0.5)), Value::of(Param(4))});
  EXPECT_DOUBLE_EQ(outputs[0].get<double>(), 2.0);
  EXPECT_THAT(
      [&] {
        n.run({Value::of(Param("x")), Value::of(Param(4))});
      },
      ThrowsMessage<ConfigError>(HasSubstr("params:factor is a string")));
}

TEST(Node, InputTypeMismatchNamesTheDatasetAndTypes) {
  const Node n = node(
      "count", [](const std::vector<int>& v) { return v.size(); }, "items", "n");
  EXPECT_THAT(
      [&] { n.run({Value::of(std::string("oops"))}); },
      ThrowsMessage<TypeMismatchError>(AllOf(HasSubstr("dataset 'items'"), HasSubstr("std::string"),
                                             HasSubstr("std::vector<int>"))));
}

TEST(Node, ArityMismatchIsAConstructionErrorNamingTheNode) {
  EXPECT_THAT([] { node("add", add, {"a"}, "sum"); },
              ThrowsMessage<PipelineError>(
                  AllOf(HasSubstr("node 'add'"), HasSubstr("2 inputs but 1 input is declared"))));
  EXPECT_THAT(
      [] {
        node("add", add, {"a", "b"}, {"x", "y"});
      },
      ThrowsMessage<PipelineError>(HasSubstr("1 output but 2 outputs are declared")));
}

TEST(Node, NamespaceTagsAndNameChecks) {
  const Node n = node("fit", add, {"a", "b"}, "m", {.tags = {"train"}, .namespace_name = "model"});
  EXPECT_EQ(n.name(), "model.fit");
  EXPECT_TRUE(n.has_tag("train"));
  EXPECT_FALSE(n.has_tag("other"));
  EXPECT_THROW(node("", add, {"a", "b"}, "c"), PipelineError);
  EXPECT_THROW(node("self", add, {"a", "b"}, "a"), PipelineError);
}

TEST(Node, OptionsRoundTripAndEmptyOnesReadAsEmpty) {
  // Tags and namespace are kept (out of line) only when given; either way they read back.
  const Node tagged =
      node("fit", add, {"a", "b"}, "m", {.tags = {"train", "gpu"}, .namespace_name = "model"});
  EXPECT_EQ(tagged.namespace_name(), "model");
  EXPECT_EQ(tagged.tags(), (std::vector<std::string>{"train", "gpu"}));
  const Node swapped = tagged.with_function(
      Node::Function([](const std::vector<Value>&, const std::vector<std::string>&) {
        return std::vector<Value>{Value::of(0)};
      }));
  EXPECT_EQ(swapped.name(), "model.fit");
  EXPECT_EQ(swapped.namespace_name(), "model");
  EXPECT_EQ(swapped.tags(), tagged.tags());
  EXPECT_TRUE(swapped.has_tag("gpu"));
  EXPECT_FALSE(swapped.same_as(tagged));

  const Node only_tags = node("t", add, {"a", "b"}, "c", {.tags = {"x"}});
  EXPECT_EQ(only_tags.name(), "t");
  EXPECT_EQ(only_tags.namespace_name(), "");
  EXPECT_TRUE(only_tags.has_tag("x"));
  const Node only_namespace = node("n", add, {"a", "b"}, "c", {.namespace_name = "ns"});
  EXPECT_EQ(only_namespace.name(), "ns.n");
  EXPECT_TRUE(only_namespace.tags().empty());

  const Node plain = node("plain", add, {"a", "b"}, "c");
  EXPECT_EQ(plain.namespace_name(), "");
  EXPECT_TRUE(plain.tags().empty());
  EXPECT_FALSE(plain.has_tag(""));
  EXPECT_TRUE(plain
                  .with_function(Node::Function(
                      [](const std::vector<Value>& values, const std::vector<std::string>&) {
                        return std::vector<Value>{values.front()};
                      }))
                  .tags()
                  .empty());
}

TEST(Node, ANodeWithoutInputsAndOutputsIsRejected) {
  EXPECT_THAT(
      [] { node("lonely", [] {}, {}, {}); },
      ThrowsMessage<PipelineError>(HasSubstr("node 'lonely' has no inputs and no outputs")));
  EXPECT_NO_THROW(node(
      "source", [] { return 1; }, {}, "one"));
}

TEST(Node, UntypedValuesPassThrough) {
  const Node n = node(
      "id", [](Value v) { return v; }, "in", "out");
  const Value in = Value::of(std::string("same"));
  EXPECT_TRUE(n.run({in})[0].same_data(in));
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

TEST(Node, RunsIntoAReusedOutputVector) {
  const Node sum = node("sum", add, Names{"a", "b"}, "c");
  std::vector<Value> outputs{Value::of(7), Value::of(8), Value::of(9)};  // stale: cleared first
  const std::vector<Value> inputs{Value::of(2), Value::of(3)};
  sum.run(inputs, outputs);
  ASSERT_EQ(outputs.size(), 1U);
  EXPECT_EQ(outputs[0].get<int>(), 5);
  const Value* storage = outputs.data();
  sum.run(inputs, outputs);
  EXPECT_EQ(outputs.data(), storage);  // the same storage: nothing allocated
  EXPECT_EQ(outputs[0].get<int>(), 5);
}

TEST(Node, BodyNodesAndFunctionNodesRunAlike) {
  const Node body(
      "body", {"a"}, {"b", "c"},
      Node::Body([](const std::vector<Value>& inputs, const std::vector<std::string>& names,
                    std::vector<Value>& outputs) {
        outputs.push_back(inputs[0]);
        outputs.push_back(Value::of(names[0]));
      }));
  const std::vector<Value> outputs = body.run({Value::of(4)});
  ASSERT_EQ(outputs.size(), 2U);
  EXPECT_EQ(outputs[0].get<int>(), 4);
  EXPECT_EQ(outputs[1].get<std::string>(), "a");
  // with_function keeps the definition for either kind of function.
  const Node replaced =
      body.with_function([](const std::vector<Value>&, const std::vector<std::string>&) {
        return std::vector<Value>{Value::of(1)};
      });
  EXPECT_THAT([&] { replaced.run({Value::of(4)}); },
              ThrowsMessage<Error>(HasSubstr("node 'body' returned 1 values but declares 2")));
}

}  // namespace
}  // namespace sluice
