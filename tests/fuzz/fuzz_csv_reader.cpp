// Fuzzes the CSV reader (sluice::read_csv_string). A table it reads must also survive a round
// trip: write_csv writes CSV "that read_csv reads back into an equal table" (table.hpp), so
// written CSV that reads back different, or not at all, is a crash too.
//
// An input starting with the byte 0xFF is read with load_args: its second byte picks them
// (options_from below), the rest is the CSV, and the round trip writes and reads back with the
// same sep and quotechar. Other inputs are read with the defaults.

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

constexpr std::uint8_t kOptionsMarker = 0xFF;

// One bit per option: sep (2 bits), no header, no default NA strings, extra NA strings, a
// comment character, quotechar ', one skipped row.
sluice::CsvReadOptions options_from(std::uint8_t bits) {
  sluice::CsvReadOptions options;
  options.sep = ",;\t|"[bits & 3U];
  options.header = (bits & 4U) == 0;
  options.keep_default_na = (bits & 8U) == 0;
  if ((bits & 16U) != 0) {
    options.na_values = {"x", "-1"};
  }
  if ((bits & 32U) != 0) {
    options.comment = '#';
  }
  if ((bits & 64U) != 0) {
    options.quotechar = '\'';
  }
  options.skiprows = (bits & 128U) != 0 ? 1 : 0;
  return options;
}

// write_csv may refuse a table with a sluice error; what it writes (with `read`'s sep and
// quotechar) must read back equal with them.
void check_round_trip(const sluice::Table& table, const sluice::CsvReadOptions& read) {
  sluice::CsvWriteOptions save;
  save.sep = read.sep;
  save.quotechar = read.quotechar;
  sluice::CsvReadOptions load;
  load.sep = read.sep;
  load.quotechar = read.quotechar;
  std::string written;
  try {
    written = sluice::write_csv_string(table, save);
  } catch (const sluice::Error&) {
    return;
  }
  std::optional<sluice::Table> again;
  try {
    again = sluice::read_csv_string(written, "written.csv", load);
  } catch (const sluice::Error& error) {
    round_trip_failed(written, error.what());
  }
  if (!same_table(table, *again)) {
    round_trip_failed(written, "the table read back differs");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sluice::CsvReadOptions options;
  if (size >= 2 && data[0] == kOptionsMarker) {
    options = options_from(data[1]);
    data += 2;
    size -= 2;
  }
  std::optional<sluice::Table> table;
  sluice::fuzz::allow_sluice_errors([&] {
    table = sluice::read_csv_string(sluice::fuzz::as_text(data, size), "fuzz.csv", options);
  });
  if (table) {
    check_round_trip(*table, options);
  }
  return 0;
}
