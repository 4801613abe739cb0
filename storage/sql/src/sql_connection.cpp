// The two SQL backends behind SqlConnection: SQLite (libsqlite3) and PostgreSQL (libpq). Their
// headers stay in this file.

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <variant>

#include <fmt/format.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <sluice/core/error.hpp>
#include <sluice/storage/sql_dataset.hpp>

namespace sluice {

SqlConnection::~SqlConnection() = default;

namespace {

namespace fs = std::filesystem;

// One value of a result, before its column's type is known.
using Cell = std::variant<std::monostate, std::int64_t, double, std::string>;

// A column's values typed as documented on SqlConnection: int64 when all are integers, double
// when one is a real or an integer column has a NULL, string when one is text. `declared`
// ("int", "real", "text" or "") decides for a column without values.
Table::Column typed_column(std::vector<Cell>& cells, const std::string& declared) {
  bool text = false;
  bool real = false;
  bool null = false;
  bool integer = false;
  for (const Cell& cell : cells) {
    text = text || std::holds_alternative<std::string>(cell);
    real = real || std::holds_alternative<double>(cell);
    null = null || std::holds_alternative<std::monostate>(cell);
    integer = integer || std::holds_alternative<std::int64_t>(cell);
  }
  if (!text && !real && !integer) {  // no values, or NULLs only
    text = declared == "text";
    real = declared != "text";
  }
  if (text) {
    std::vector<std::string> column;
    column.reserve(cells.size());
    for (Cell& cell : cells) {
      if (auto* value = std::get_if<std::string>(&cell)) {
        column.push_back(std::move(*value));
      } else if (const auto* number = std::get_if<std::int64_t>(&cell)) {
        column.push_back(std::to_string(*number));
      } else if (const auto* floating = std::get_if<double>(&cell)) {
        column.push_back(fmt::format("{}", *floating));
      } else {
        column.emplace_back();
      }
    }
    return column;
  }
  if (real || null) {
    std::vector<double> column;
    column.reserve(cells.size());
    for (const Cell& cell : cells) {
      if (const auto* number = std::get_if<std::int64_t>(&cell)) {
        column.push_back(static_cast<double>(*number));
      } else if (const auto* floating = std::get_if<double>(&cell)) {
        column.push_back(*floating);
      } else {
        column.push_back(std::nan(""));
      }
    }
    return column;
  }
  std::vector<std::int64_t> column;
  column.reserve(cells.size());
  for (const Cell& cell : cells) {
    column.push_back(std::get<std::int64_t>(cell));
  }
  return column;
}

Table make_table(const std::vector<std::string>& names, std::vector<std::vector<Cell>>& columns,
                 const std::vector<std::string>& declared) {
  Table table;
  for (std::size_t i = 0; i < names.size(); ++i) {
    table.add_column(names[i], typed_column(columns[i], declared[i]));
  }
  return table;
}

// "int", "real", "text" or "" from a declared SQLite column type (its affinity rules).
std::string sqlite_affinity(const char* declared) {
  if (declared == nullptr) {
    return "";
  }
  std::string type(declared);
  for (char& c : type) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (type.find("INT") != std::string::npos) {
    return "int";
  }
  if (type.find("CHAR") != std::string::npos || type.find("CLOB") != std::string::npos ||
      type.find("TEXT") != std::string::npos) {
    return "text";
  }
  return "real";
}

// ---- SQLite

class SqliteConnection final : public SqlConnection {
 public:
  SqliteConnection(const std::string& path, std::string safe_url) {
    safe_url_ = std::move(safe_url);
    if (path != ":memory:") {
      std::error_code ignored;
      fs::create_directories(fs::path(path).parent_path(), ignored);
    }
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      const std::string why = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close_v2(db_);
      db_ = nullptr;
      throw DatasetError(fmt::format(
          "cannot open the SQLite database '{}' ({}): {}; check 'con' in credentials.yml and "
          "that the folder is writable",
          path, safe_url_, why));
    }
    sqlite3_busy_timeout(db_, 10000);  // another process writing: wait for it
  }
  ~SqliteConnection() override { sqlite3_close_v2(db_); }

  Table query(const std::string& sql) override {
    sqlite3_stmt* statement = prepare(sql);
    const int count = sqlite3_column_count(statement);
    std::vector<std::string> names, declared;
    for (int i = 0; i < count; ++i) {
      names.emplace_back(sqlite3_column_name(statement, i));
      declared.push_back(sqlite_affinity(sqlite3_column_decltype(statement, i)));
    }
    std::vector<std::vector<Cell>> columns(static_cast<std::size_t>(count));
    int status = SQLITE_ROW;
    while ((status = sqlite3_step(statement)) == SQLITE_ROW) {
      for (int i = 0; i < count; ++i) {
        auto& column = columns[static_cast<std::size_t>(i)];
        switch (sqlite3_column_type(statement, i)) {
          case SQLITE_INTEGER:
            column.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(statement, i)));
            break;
          case SQLITE_FLOAT:
            column.emplace_back(sqlite3_column_double(statement, i));
            break;
          case SQLITE_NULL:
            column.emplace_back(std::monostate{});
            break;
          default: {
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, i));
            column.emplace_back(
                std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(statement, i))));
          }
        }
      }
    }
    if (status != SQLITE_DONE) {
      const std::string why = sqlite3_errmsg(db_);
      sqlite3_finalize(statement);
      throw DatasetError(fmt::format("the query failed on {}: {}", safe_url_, why));
    }
    sqlite3_finalize(statement);
    return make_table(names, columns, declared);
  }

  bool has_table(const std::string& table) override {
    sqlite3_stmt* statement =
        prepare("SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?");
    sqlite3_bind_text(statement, 1, table.c_str(), static_cast<int>(table.size()),
                      SQLITE_TRANSIENT);
    const int status = sqlite3_step(statement);
    sqlite3_finalize(statement);
    if (status != SQLITE_ROW && status != SQLITE_DONE) {
      throw DatasetError(
          fmt::format("cannot read the tables of {}: {}", safe_url_, sqlite3_errmsg(db_)));
    }
    return status == SQLITE_ROW;
  }

  void write_table(const std::string& name, const Table& table, bool replace) override {
    execute("BEGIN IMMEDIATE");
    try {
      const std::string quoted = quote_sql_identifier(name);
      if (replace) {
        execute("DROP TABLE IF EXISTS " + quoted);
      }
      std::string columns, names, marks;
      for (std::size_t i = 0; i < table.num_columns(); ++i) {
        const std::string_view type = Table::type_label(table.column(i));
        const std::string column = quote_sql_identifier(table.column_names()[i]);
        columns += fmt::format("{}{} {}", i == 0 ? "" : ", ", column,
                               type == "int64"    ? "INTEGER"
                               : type == "double" ? "REAL"
                                                  : "TEXT");
        names += (i == 0 ? "" : ", ") + column;
        marks += i == 0 ? "?" : ", ?";
      }
      execute(fmt::format("CREATE TABLE IF NOT EXISTS {} ({})", quoted, columns));
      sqlite3_stmt* insert =
          prepare(fmt::format("INSERT INTO {} ({}) VALUES ({})", quoted, names, marks));
      for (std::size_t row = 0; row < table.num_rows(); ++row) {
        for (std::size_t i = 0; i < table.num_columns(); ++i) {
          const int at = static_cast<int>(i) + 1;
          std::visit(
              [&](const auto& values) {
                using T = typename std::decay_t<decltype(values)>::value_type;
                if constexpr (std::is_same_v<T, double>) {
                  std::isnan(values[row]) ? sqlite3_bind_null(insert, at)
                                          : sqlite3_bind_double(insert, at, values[row]);
                } else if constexpr (std::is_same_v<T, std::int64_t>) {
                  sqlite3_bind_int64(insert, at, values[row]);
                } else {
                  sqlite3_bind_text(insert, at, values[row].data(),
                                    static_cast<int>(values[row].size()), SQLITE_STATIC);
                }
              },
              table.column(i));
        }
        if (sqlite3_step(insert) != SQLITE_DONE) {
          const std::string why = sqlite3_errmsg(db_);
          sqlite3_finalize(insert);
          throw DatasetError(
              fmt::format("cannot insert into table '{}' of {}: {}", name, safe_url_, why));
        }
        sqlite3_reset(insert);
      }
      sqlite3_finalize(insert);
      execute("COMMIT");
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

 private:
  sqlite3_stmt* prepare(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    const char* tail = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &statement, &tail) !=
        SQLITE_OK) {
      throw DatasetError(fmt::format("the SQL is refused by {}: {} (SQL: {})", safe_url_,
                                     sqlite3_errmsg(db_), sql.substr(0, 200)));
    }
    if (statement == nullptr) {
      throw DatasetError(fmt::format("the SQL is empty (SQL: '{}')", sql.substr(0, 200)));
    }
    return statement;
  }

  void execute(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      const std::string why = error != nullptr ? error : "unknown error";
      sqlite3_free(error);
      throw DatasetError(fmt::format("'{}' failed on {}: {}", sql.substr(0, 200), safe_url_, why));
    }
  }

  sqlite3* db_ = nullptr;
};

// ---- PostgreSQL

// libpq's messages end with a new line, and may run over several.
std::string one_line(const char* message) {
  std::string text = message == nullptr ? "" : message;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  for (char& c : text) {
    c = c == '\n' ? ' ' : c;
  }
  return text;
}

// The text COPY reads: backslash escapes, \N for NULL.
void append_copy_text(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
}

// Built-in type OIDs (pg_type.dat), for the columns of a result.
constexpr Oid kBool = 16, kInt8 = 20, kInt2 = 21, kInt4 = 23, kFloat4 = 700, kFloat8 = 701,
              kNumeric = 1700;

class PostgresConnection final : public SqlConnection {
 public:
  PostgresConnection(const std::string& url, std::string safe_url) {
    safe_url_ = std::move(safe_url);
    // A server that does not answer fails the connection after 10 s, not the system's minutes.
    std::string target = url;
    if (target.find("connect_timeout=") == std::string::npos) {
      target +=
          target.find('?') == std::string::npos ? "?connect_timeout=10" : "&connect_timeout=10";
    }
    connection_ = PQconnectdb(target.c_str());
    if (PQstatus(connection_) != CONNECTION_OK) {
      const std::string why = one_line(PQerrorMessage(connection_));
      PQfinish(connection_);
      connection_ = nullptr;
      throw DatasetError(fmt::format(
          "cannot connect to the PostgreSQL server at {}: {}; is the server running and "
          "reachable there? check 'con' in credentials.yml",
          safe_url_, why));
    }
    // NOTICEs (DROP TABLE IF EXISTS of a missing table...) are not for the run's output.
    PQsetNoticeProcessor(
        connection_, [](void*, const char*) {}, nullptr);
  }
  ~PostgresConnection() override { PQfinish(connection_); }

  Table query(const std::string& sql) override {
    PGresult* result = run(sql, {});
    const int rows = PQntuples(result);
    const int count = PQnfields(result);
    std::vector<std::string> names, declared;
    std::vector<std::vector<Cell>> columns(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
      names.emplace_back(PQfname(result, i));
      const Oid type = PQftype(result, i);
      declared.emplace_back(type == kInt2 || type == kInt4 || type == kInt8 || type == kBool ? "int"
                            : type == kFloat4 || type == kFloat8 || type == kNumeric ? "real"
                                                                                     : "text");
    }
    for (int row = 0; row < rows; ++row) {
      for (int i = 0; i < count; ++i) {
        auto& column = columns[static_cast<std::size_t>(i)];
        if (PQgetisnull(result, row, i) != 0) {
          column.emplace_back(std::monostate{});
          continue;
        }
        const char* text = PQgetvalue(result, row, i);
        const std::string_view value(text, static_cast<std::size_t>(PQgetlength(result, row, i)));
        const std::string& kind = declared[static_cast<std::size_t>(i)];
        if (PQftype(result, i) == kBool) {
          column.emplace_back(std::int64_t{value == "t" ? 1 : 0});
        } else if (kind == "int") {
          std::int64_t number = 0;
          std::from_chars(value.data(), value.data() + value.size(), number);
          column.emplace_back(number);
        } else if (kind == "real") {
          column.emplace_back(std::strtod(std::string(value).c_str(), nullptr));  // NaN, Infinity
        } else {
          column.emplace_back(std::string(value));
        }
      }
    }
    PQclear(result);
    return make_table(names, columns, declared);
  }

  bool has_table(const std::string& table) override {
    PGresult* result = run("SELECT to_regclass($1) IS NOT NULL", {quote_sql_identifier(table)});
    const bool found = PQntuples(result) == 1 && std::string_view(PQgetvalue(result, 0, 0)) == "t";
    PQclear(result);
    return found;
  }

  void write_table(const std::string& name, const Table& table, bool replace) override {
    PQclear(run("BEGIN", {}));
    try {
      const std::string quoted = quote_sql_identifier(name);
      if (replace) {
        PQclear(run("DROP TABLE IF EXISTS " + quoted, {}));
      }
      std::string columns, names;
      for (std::size_t i = 0; i < table.num_columns(); ++i) {
        const std::string_view type = Table::type_label(table.column(i));
        const std::string column = quote_sql_identifier(table.column_names()[i]);
        columns += fmt::format("{}{} {}", i == 0 ? "" : ", ", column,
                               type == "int64"    ? "BIGINT"
                               : type == "double" ? "DOUBLE PRECISION"
                                                  : "TEXT");
        names += (i == 0 ? "" : ", ") + column;
      }
      PQclear(run(fmt::format("CREATE TABLE IF NOT EXISTS {} ({})", quoted, columns), {}));
      copy_rows(fmt::format("COPY {} ({}) FROM STDIN", quoted, names), table);
      PQclear(run("COMMIT", {}));
    } catch (...) {
      PQclear(PQexec(connection_, "ROLLBACK"));
      throw;
    }
  }

 private:
  // Runs one statement; DatasetError with the server's message when it fails. The caller
  // clears the result.
  PGresult* run(const std::string& sql, const std::vector<std::string>& parameters) {
    if (PQstatus(connection_) != CONNECTION_OK) {
      PQreset(connection_);  // the server went away and may be back
    }
    std::vector<const char*> values;
    for (const auto& parameter : parameters) {
      values.push_back(parameter.c_str());
    }
    PGresult* result = PQexecParams(connection_, sql.c_str(), static_cast<int>(values.size()),
                                    nullptr, values.data(), nullptr, nullptr, 0);
    const ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      const std::string why =
          one_line(result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(connection_));
      PQclear(result);
      throw DatasetError(fmt::format("the PostgreSQL server at {} refused '{}': {}", safe_url_,
                                     sql.substr(0, 200), why));
    }
    return result;
  }

  void copy_rows(const std::string& copy, const Table& table) {
    PGresult* started = PQexec(connection_, copy.c_str());
    if (PQresultStatus(started) != PGRES_COPY_IN) {
      const std::string why = one_line(PQresultErrorMessage(started));
      PQclear(started);
      throw DatasetError(
          fmt::format("the PostgreSQL server at {} refused '{}': {}", safe_url_, copy, why));
    }
    PQclear(started);
    std::string buffer;
    auto flush = [&] {
      if (PQputCopyData(connection_, buffer.data(), static_cast<int>(buffer.size())) != 1) {
        throw DatasetError(fmt::format("cannot send rows to the PostgreSQL server at {}: {}",
                                       safe_url_, one_line(PQerrorMessage(connection_))));
      }
      buffer.clear();
    };
    for (std::size_t row = 0; row < table.num_rows(); ++row) {
      for (std::size_t i = 0; i < table.num_columns(); ++i) {
        buffer += i == 0 ? "" : "\t";
        std::visit(
            [&](const auto& values) {
              using T = typename std::decay_t<decltype(values)>::value_type;
              if constexpr (std::is_same_v<T, double>) {
                const double value = values[row];
                buffer += std::isnan(value)   ? std::string("\\N")
                          : std::isinf(value) ? std::string(value > 0 ? "Infinity" : "-Infinity")
                                              : fmt::format("{}", value);
              } else if constexpr (std::is_same_v<T, std::int64_t>) {
                buffer += std::to_string(values[row]);
              } else {
                append_copy_text(buffer, values[row]);
              }
            },
            table.column(i));
      }
      buffer += '\n';
      if (buffer.size() > (1U << 20U)) {
        flush();
      }
    }
    if (!buffer.empty()) {
      flush();
    }
    if (PQputCopyEnd(connection_, nullptr) != 1) {
      throw DatasetError(fmt::format("cannot finish sending rows to {}: {}", safe_url_,
                                     one_line(PQerrorMessage(connection_))));
    }
    PGresult* done = PQgetResult(connection_);
    const bool ok = PQresultStatus(done) == PGRES_COMMAND_OK;
    const std::string why = ok ? "" : one_line(PQresultErrorMessage(done));
    PQclear(done);
    while (PGresult* more = PQgetResult(connection_)) {
      PQclear(more);
    }
    if (!ok) {
      throw DatasetError(
          fmt::format("the PostgreSQL server at {} refused the rows: {}", safe_url_, why));
    }
  }

  PGconn* connection_ = nullptr;
};

}  // namespace

std::string quote_sql_identifier(const std::string& name) {
  std::string quoted = "\"";
  for (const char c : name) {
    quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  }
  return quoted + "\"";
}

std::string redact_sql_url(const std::string& url) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string::npos) {
    return url;
  }
  const std::size_t begin = scheme + 3;
  const std::size_t end = std::min(url.find('/', begin), url.size());
  const std::size_t at = url.rfind('@', end);
  std::string redacted = url;
  if (at != std::string::npos && at >= begin) {
    const std::size_t colon = url.find(':', begin);
    if (colon != std::string::npos && colon < at) {
      redacted = url.substr(0, colon) + url.substr(at);
    }
  }
  // libpq also takes ?password=... in the query.
  if (const std::size_t password = redacted.find("password="); password != std::string::npos) {
    const std::size_t stop = std::min(redacted.find('&', password), redacted.size());
    redacted = redacted.substr(0, password) + "password=***" + redacted.substr(stop);
  }
  return redacted;
}

std::unique_ptr<SqlConnection> connect_sql(const std::string& url, const fs::path& root) {
  const std::string safe = redact_sql_url(url);
  const std::size_t separator = url.find("://");
  std::string scheme = separator == std::string::npos ? std::string() : url.substr(0, separator);
  scheme = scheme.substr(0, scheme.find('+'));  // SQLAlchemy's dialect+driver
  if (scheme == "sqlite") {
    const std::string rest = url.substr(separator + 3);
    if (rest.empty() || rest == "/:memory:") {
      return std::make_unique<SqliteConnection>(":memory:", safe);
    }
    if (!rest.starts_with("/")) {
      throw ConfigError(
          fmt::format("con '{}': a SQLite URL is sqlite:///relative/path.db (three slashes) or "
                      "sqlite:////absolute/path.db (four)",
                      safe));
    }
    const fs::path path = rest.substr(1);
    return std::make_unique<SqliteConnection>((path.is_absolute() ? path : root / path).string(),
                                              safe);
  }
  if (scheme == "postgresql" || scheme == "postgres") {
    return std::make_unique<PostgresConnection>("postgresql" + url.substr(separator), safe);
  }
  throw ConfigError(
      fmt::format("con '{}': {}; write sqlite:///data/db.sqlite (a file of the project) or "
                  "postgresql://user:password@host:port/database",
                  safe,
                  scheme.empty() ? std::string("not a URL")
                                 : fmt::format("the database '{}' is not supported", scheme)));
}

}  // namespace sluice
