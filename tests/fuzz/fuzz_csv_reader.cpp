// Fuzzes the CSV reader (sluice::read_csv_string). A table it reads must also survive a round
// trip: write_csv writes CSV "that read_csv reads back into an equal table" (table.hpp), so
// written CSV that reads back different, or not at all, is a crash too.

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <variant>

#include <sluice/core/table.hpp>

#include "fuzz_input.hpp"

namespace {

// Table's operator== compares doubles with ==, for which NaN (an empty field) never equals
// itself.
bool same_column(const sluice::Table::Column& a, const sluice::Table::Column& b) {
  if (a.index() != b.index()) {
    return false;
  }
  if (const auto* numbers = std::get_if<std::vector<double>>(&a)) {
    const auto& others = std::get<std::vector<double>>(b);
    for (std::size_t i = 0; i < numbers->size(); ++i) {
      const double x = (*numbers)[i];
      const double y = others[i];
      if (!(x == y || (std::isnan(x) && std::isnan(y)))) {
        return false;
      }
    }
    return numbers->size() == others.size();
  }
  return a == b;
}

bool same_table(const sluice::Table& a, const sluice::Table& b) {
  if (a.column_names() != b.column_names() || a.num_rows() != b.num_rows()) {
    return false;
  }
  for (std::size_t c = 0; c < a.num_columns(); ++c) {
    if (!same_column(a.column(c), b.column(c))) {
      return false;
    }
  }
  return true;
}

[[noreturn]] void round_trip_failed(const std::string& written, const char* why) {
  std::fprintf(stderr, "CSV round trip failed: %s\n--- written by write_csv ---\n%s---\n", why,
               written.c_str());
  std::abort();
}

// write_csv may refuse a table with a sluice error; what it writes must read back equal.
void check_round_trip(const sluice::Table& table) {
  std::string written;
  try {
    written = sluice::write_csv_string(table);
  } catch (const sluice::Error&) {
    return;
  }
  std::optional<sluice::Table> again;
  try {
    again = sluice::read_csv_string(written, "written.csv");
  } catch (const sluice::Error& error) {
    round_trip_failed(written, error.what());
  }
  if (!same_table(table, *again)) {
    round_trip_failed(written, "the table read back differs");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::optional<sluice::Table> table;
  sluice::fuzz::allow_sluice_errors(
      [&] { table = sluice::read_csv_string(sluice::fuzz::as_text(data, size), "fuzz.csv"); });
  if (table) {
    check_round_trip(*table);
  }
  return 0;
}
