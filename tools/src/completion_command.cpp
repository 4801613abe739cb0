#include "completion_command.hpp"

#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace sluice::cli {
namespace {

// One `case` arm per command path ("sluice run", "sluice catalog list"): the words that may
// follow it, its subcommands and options.
void arms(const CLI::App& command, const std::string& path, std::string& out) {
  std::vector<std::string> words;
  for (const CLI::App* sub : command.get_subcommands([](const CLI::App*) { return true; })) {
    if (!sub->get_name().empty()) {
      words.push_back(sub->get_name());
    }
  }
  for (const CLI::Option* option : command.get_options()) {
    for (const auto& name : option->get_lnames()) {
      words.push_back("--" + name);
    }
    for (const auto& name : option->get_snames()) {
      words.push_back("-" + name);
    }
  }
  out += fmt::format("    '{}') printf '%s' '{}' ;;\n", path, fmt::join(words, " "));
  for (const CLI::App* sub : command.get_subcommands([](const CLI::App*) { return true; })) {
    arms(*sub, path + " " + sub->get_name(), out);
  }
}

}  // namespace

CLI::App* add_completion_command(CLI::App& app) {
  CLI::App* completion = app.add_subcommand(
      "completion", "Print a shell completion script: source <(sluice completion bash)");
  completion->add_subcommand("bash", "The bash completion script");
  completion->require_subcommand(1);
  return completion;
}

// The script around the case arms: a command path is the command words typed so far (options
// and their values are skipped); files complete where no command word or option fits.
constexpr const char* kScriptHead =
    R"BASH(# bash completion for sluice, made by `sluice completion bash` from its commands.
# Install: sluice completion bash > /etc/bash_completion.d/sluice (or source it in ~/.bashrc).
_sluice_words() {
  case "$1" in
)BASH";
constexpr const char* kScriptTail = R"BASH(  esac
}
_sluice() {
  local current=${COMP_WORDS[COMP_CWORD]} path=sluice i
  for ((i = 1; i < COMP_CWORD; i++)); do
    if [[ -n "$(_sluice_words "$path ${COMP_WORDS[i]}")" ]]; then
      path="$path ${COMP_WORDS[i]}"
    fi
  done
  COMPREPLY=($(compgen -W "$(_sluice_words "$path")" -- "$current"))
  if [[ ${#COMPREPLY[@]} -eq 0 ]]; then
    COMPREPLY=($(compgen -f -- "$current"))
  fi
}
complete -o filenames -F _sluice sluice
)BASH";

int run_completion(const CLI::App& app) {
  std::string cases;
  arms(app, "sluice", cases);
  std::cout << kScriptHead << cases << kScriptTail;
  return 0;
}

}  // namespace sluice::cli
