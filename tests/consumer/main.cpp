#include <iostream>

#include <sluice/core/catalog.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/pipeline.hpp>
#include <sluice/runners/sequential_runner.hpp>

int main() {
  sluice::Catalog catalog;
  catalog.add("x", std::make_shared<sluice::MemoryDataset>(sluice::Value::of(20)));
  const sluice::Pipeline pipeline{
      sluice::node(
          "add_one", [](int x) { return x + 1; }, "x", "y"),
      sluice::node(
          "double", [](int y) { return 2 * y; }, "y", "answer"),
  };
  const auto outputs = sluice::SequentialRunner().run(pipeline, catalog);
  std::cout << "answer=" << outputs.at("answer").get<int>() << "\n";
  return outputs.at("answer").get<int>() == 42 ? 0 : 1;
}
