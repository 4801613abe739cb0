#include "parse_errors.hpp"

#include <algorithm>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <sluice/core/util/suggest.hpp>

namespace sluice::cli {
namespace {

// The command the user reached before the error: `sluice`, `sluice run`, `sluice catalog list`.
struct Reached {
  CLI::App* command;
  std::string path;
};

Reached deepest_command(CLI::App& app) {
  Reached reached{&app, "sluice"};
  for (auto selected = app.get_subcommands(); !selected.empty();
       selected = reached.command->get_subcommands()) {
    reached.command = selected.front();
    reached.path += " " + reached.command->get_name();
  }
  return reached;
}

std::vector<std::string> command_names(CLI::App& command) {
  std::vector<std::string> names;
  for (const CLI::App* sub : command.get_subcommands([](CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return names;
}

std::vector<std::string> option_names(const CLI::App& command) {
  std::vector<std::string> names;
  for (const CLI::Option* option : command.get_options()) {
    if (option->nonpositional()) {
      for (const auto& name : option->get_lnames()) {
        names.push_back("--" + name);
      }
    }
  }
  return names;
}

// CLI11's texts for the usual mistakes, said the way the rest of sluice says things; any other
// text is kept as it is.
std::string reworded(const CLI::ParseError& error) {
  const std::string_view text = error.what();
  if (dynamic_cast<const CLI::ConversionError*>(&error) != nullptr) {
    // "Could not convert: --repeat = x"
    constexpr std::string_view prefix = "Could not convert: ";
    if (const auto equals = text.find(" = "); text.starts_with(prefix) && equals != text.npos) {
      return fmt::format("{} {}: not a valid value",
                         text.substr(prefix.size(), equals - prefix.size()),
                         text.substr(equals + 3));
    }
  }
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) != nullptr) {
    // "--pipeline: 1 required TEXT missing"
    if (const auto colon = text.find(": "); colon != text.npos && text.ends_with(" missing")) {
      return fmt::format("{} needs a value", text.substr(0, colon));
    }
  }
  if (dynamic_cast<const CLI::RequiredError*>(&error) != nullptr) {
    // "trace is required", for a positional argument
    constexpr std::string_view suffix = " is required";
    if (text.ends_with(suffix) && !text.starts_with("-")) {
      return fmt::format("missing the argument {}", text.substr(0, text.size() - suffix.size()));
    }
  }
  return std::string(text);
}

std::string describe(CLI::App& command, const std::string& path, const CLI::ParseError& error) {
  const bool has_commands = !command_names(command).empty();
  // What CLI11 could not place: unknown options, and words where a command or nothing fits.
  for (const auto& word : command.remaining()) {
    if (word.starts_with("-")) {
      const std::string name = word.substr(0, word.find('='));
      return fmt::format("unknown option '{}' for '{}'{}", name, path,
                         did_you_mean(name, option_names(command)));
    }
    if (has_commands) {
      return fmt::format("unknown command '{}'{}; the commands are {}", word,
                         did_you_mean(word, command_names(command)),
                         fmt::join(command_names(command), ", "));
    }
    return fmt::format("'{}' takes no argument '{}'", path, word);
  }
  if (has_commands && command.get_subcommands().empty()) {
    return fmt::format("'{}' needs a command: one of {}", path,
                       fmt::join(command_names(command), ", "));
  }
  return reworded(error);
}

}  // namespace

std::optional<int> parse_command_line(CLI::App& app, std::vector<std::string> args) {
  try {
    std::reverse(args.begin(), args.end());  // CLI11 takes the words last first
    app.parse(args);
    return std::nullopt;
  } catch (const CLI::Success& done) {  // --help, --help-all, --version
    return app.exit(done);
  } catch (const CLI::ParseError& error) {
    const auto [command, path] = deepest_command(app);
    std::cerr << fmt::format("Error: {}; see '{} --help'\n", describe(*command, path, error), path);
    return 1;
  }
}

}  // namespace sluice::cli
