#pragma once

// The rows of the table `sluice bench` prints, for the CLI tests: each row's columns split on
// spaces (so peak memory, "24.1 KiB", may take two; count the columns after it from the end).

#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace sluice::testing {

/// The rows of `scenario`, in the order printed.
inline std::vector<std::vector<std::string>> bench_rows(const std::string& output,
                                                        const std::string& scenario) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<std::string> columns;
    for (std::string word; words >> word;) {
      columns.push_back(word);
    }
    if (columns.size() > 2 && columns[0] == scenario) {
      rows.push_back(columns);
    }
  }
  return rows;
}

/// The same rows by strategy (the second column).
inline std::map<std::string, std::vector<std::string>> bench_rows_by_strategy(
    const std::string& output, const std::string& scenario) {
  std::map<std::string, std::vector<std::string>> rows;
  for (auto& row : bench_rows(output, scenario)) {
    rows[row[1]] = row;
  }
  return rows;
}

}  // namespace sluice::testing
