// A program that embeds sluice: runs a pipeline in process, with the tee (sluice::tee)
// persisting the intermediate `text` in the background while `measure` reads it from memory.

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <sluice/hooks/tee.hpp>
#include <sluice/runners.hpp>  // the umbrella: <sluice/sluice.hpp> and the runners

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: embedded FOLDER\n";
    return 2;
  }
  const std::filesystem::path text_file = std::filesystem::path(argv[1]) / "text.txt";

  auto tee = std::make_shared<sluice::TeeHook>(sluice::TeeOptions{.max_writers = 2});
  auto hooks = std::make_shared<sluice::HookManager>();
  hooks->add("tee", tee);
  sluice::Catalog catalog;
  catalog.add("x", std::make_shared<sluice::MemoryDataset>(sluice::Value::of(20)));
  catalog.add("text", std::make_shared<sluice::TextDataset>(text_file));
  catalog.attach(hooks);

  const sluice::Pipeline pipeline{
      sluice::node(
          "describe", [](int x) { return std::to_string(x + 1); }, "x", "text"),
      sluice::node(
          "measure", [](const std::string& text) { return 2 * std::stoi(text); }, "text", "answer"),
  };
  const auto outputs = sluice::SequentialRunner().run(pipeline, catalog);

  std::ifstream in(text_file);
  std::stringstream persisted;
  persisted << in.rdbuf();
  std::cout << "answer=" << outputs.at("answer").get<int>() << " persisted=" << persisted.str()
            << " tee_writes=" << tee->stats().writes_completed << "\n";
  return outputs.at("answer").get<int>() == 42 && persisted.str() == "21" ? 0 : 1;
}
