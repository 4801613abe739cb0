#include <fmt/format.h>
#include <fmt/ranges.h>

#include <sluice/core/error.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/plugin.hpp>
#include <sluice/core/util/files.hpp>
#include <sluice/storage/sql_dataset.hpp>

namespace sluice {
namespace {

namespace fs = std::filesystem;

// Runs `body` with the connection, opened on first use; a failure drops it, so the next call
// connects again (a server that restarted, a database file that was replaced).
template <class Body>
auto with_connection(std::unique_ptr<SqlConnection>& connection, const std::string& con,
                     const fs::path& root, Body&& body) {
  if (!connection) {
    connection = connect_sql(con, root);
  }
  try {
    return body(*connection);
  } catch (...) {
    connection.reset();
    throw;
  }
}

}  // namespace

SQLTableDataset::SQLTableDataset(std::string name, std::string table, std::string con,
                                 fs::path root, IfExists if_exists,
                                 std::vector<std::string> columns)
    : name_(std::move(name)),
      table_(std::move(table)),
      con_(std::move(con)),
      root_(std::move(root)),
      if_exists_(if_exists),
      columns_(std::move(columns)) {}

SQLTableDataset::~SQLTableDataset() = default;

Value SQLTableDataset::load() {
  std::lock_guard lock(mutex_);
  return with_connection(connection_, con_, root_, [&](SqlConnection& connection) {
    if (!connection.has_table(table_)) {
      throw DatasetError(
          fmt::format("there is no table '{}' in {}; run the node that saves '{}' first (or fix "
                      "table_name)",
                      table_, connection.safe_url(), name_));
    }
    std::string columns = "*";
    if (!columns_.empty()) {
      std::vector<std::string> quoted;
      for (const auto& column : columns_) {
        quoted.push_back(quote_sql_identifier(column));
      }
      columns = fmt::format("{}", fmt::join(quoted, ", "));
    }
    return Value::of(
        connection.query(fmt::format("SELECT {} FROM {}", columns, quote_sql_identifier(table_))));
  });
}

void SQLTableDataset::save(const Value& value) {
  if (!value.holds<Table>()) {
    throw DatasetError(fmt::format(
        "SQLTableDataset '{}' saves a sluice::Table, not {}; return a Table from the node", name_,
        value.type_name()));
  }
  std::lock_guard lock(mutex_);
  with_connection(connection_, con_, root_, [&](SqlConnection& connection) {
    if (if_exists_ == IfExists::fail && connection.has_table(table_)) {
      throw DatasetError(fmt::format(
          "the table '{}' exists in {}, and save_args' if_exists is 'fail' (pandas' default); "
          "set save_args: {{if_exists: replace}} (or append) in the entry of '{}'",
          table_, connection.safe_url(), name_));
    }
    connection.write_table(table_, value.get<Table>(), if_exists_ == IfExists::replace);
  });
}

bool SQLTableDataset::exists() const {
  std::lock_guard lock(mutex_);
  return with_connection(connection_, con_, root_,
                         [&](SqlConnection& connection) { return connection.has_table(table_); });
}

std::string SQLTableDataset::describe() const {
  return fmt::format("SQLTableDataset(table_name={}, con={})", table_, redact_sql_url(con_));
}

SQLQueryDataset::SQLQueryDataset(std::string name, std::string sql, std::string con, fs::path root)
    : name_(std::move(name)), sql_(std::move(sql)), con_(std::move(con)), root_(std::move(root)) {}

SQLQueryDataset::~SQLQueryDataset() = default;

Value SQLQueryDataset::load() {
  std::lock_guard lock(mutex_);
  return with_connection(connection_, con_, root_, [&](SqlConnection& connection) {
    return Value::of(connection.query(sql_));
  });
}

void SQLQueryDataset::save(const Value&) {
  throw DatasetError(
      fmt::format("SQLQueryDataset '{}' is read-only (a query has no place to write); save to a "
                  "SQLTableDataset instead",
                  name_));
}

bool SQLQueryDataset::exists() const {
  std::lock_guard lock(mutex_);
  try {
    with_connection(connection_, con_, root_, [](SqlConnection&) { return 0; });
    return true;
  } catch (const Error&) {
    return false;
  }
}

std::string SQLQueryDataset::describe() const {
  const std::string line = sql_.substr(0, sql_.find('\n'));
  return fmt::format("SQLQueryDataset(sql={}{}, con={})", line.substr(0, 60),
                     line.size() > 60 || line.size() < sql_.size() ? "..." : "",
                     redact_sql_url(con_));
}

namespace {

// The `con` of the entry's credentials (Kedro's layout: credentials: {con: URL}).
std::string con_of(const DatasetContext& context, const std::string& type) {
  if (context.credentials.is_null()) {
    throw ConfigError(fmt::format(
        "{}{}dataset '{}' ({}): needs credentials with 'con', the database URL: add "
        "`credentials: db` to the entry and `db: {{con: sqlite:///data/db.sqlite}}` (or "
        "postgresql://user:password@host:5432/database) to conf/local/credentials.yml",
        context.mark.str(), context.mark.known() ? ": " : "", context.name, type));
  }
  OptionReader reader(context.credentials, fmt::format("the credentials '{}' of dataset '{}'",
                                                       context.credentials_name, context.name));
  std::string con = reader.required_string("con");
  reader.finish();
  return con;
}

// Opens nothing: a URL of another database is refused when the catalog is built.
void check_con(const std::string& con, const DatasetContext& context, const std::string& type) {
  const std::size_t separator = con.find("://");
  std::string scheme = separator == std::string::npos ? "" : con.substr(0, separator);
  scheme = scheme.substr(0, scheme.find('+'));
  if (scheme != "sqlite" && scheme != "postgresql" && scheme != "postgres") {
    throw ConfigError(fmt::format(
        "{}{}dataset '{}' ({}): credentials '{}': con '{}' is not a database URL sluice "
        "opens; write sqlite:///data/db.sqlite or postgresql://user:password@host:port/database",
        context.mark.str(), context.mark.known() ? ": " : "", context.name, type,
        context.credentials_name, redact_sql_url(con)));
  }
}

}  // namespace

std::shared_ptr<Dataset> make_sql_table_dataset(const DatasetContext& context) {
  DatasetOptions reader(context, "SQLTableDataset");
  const std::string table = reader.required_string("table_name");
  std::vector<std::string> columns;
  if (const Param* load = reader.optional_map("load_args")) {
    OptionReader args(*load, reader.where() + " load_args");
    columns = args.strings("columns", {});
    args.finish();
  }
  IfExists if_exists = IfExists::fail;
  if (const Param* save = reader.optional_map("save_args")) {
    OptionReader args(*save, reader.where() + " save_args");
    const std::string choice = args.choice("if_exists", {"fail", "replace", "append"}, "fail");
    if_exists = choice == "replace"  ? IfExists::replace
                : choice == "append" ? IfExists::append
                                     : IfExists::fail;
    if (args.flag("index", false)) {
      throw ConfigError(args.where("index") +
                        ": a sluice::Table has no index to write; leave index out (or false)");
    }
    args.finish();
  }
  reader.finish();
  std::string con = con_of(context, "SQLTableDataset");
  check_con(con, context, "SQLTableDataset");
  return std::make_shared<SQLTableDataset>(context.name, table, std::move(con), context.root,
                                           if_exists, std::move(columns));
}

std::shared_ptr<Dataset> make_sql_query_dataset(const DatasetContext& context) {
  DatasetOptions reader(context, "SQLQueryDataset");
  const auto sql = reader.optional_string("sql");
  const auto file = reader.optional_string("filepath");
  if (sql.has_value() == file.has_value()) {
    throw ConfigError(reader.where() +
                      ": give the query as 'sql' (the text) or 'filepath' (a .sql file), one of "
                      "them");
  }
  if (const Param* load = reader.optional_map("load_args")) {
    OptionReader(*load, reader.where() + " load_args").finish();
  }
  reader.finish();
  std::string text;
  if (sql) {
    text = *sql;
  } else {
    const fs::path path = fs::path(*file).is_absolute() ? fs::path(*file) : context.root / *file;
    try {
      text = read_file(path);
    } catch (const Error& error) {
      throw ConfigError(
          fmt::format("{}: the query file: {}", reader.where("filepath"), error.what()));
    }
  }
  std::string con = con_of(context, "SQLQueryDataset");
  check_con(con, context, "SQLQueryDataset");
  return std::make_shared<SQLQueryDataset>(context.name, std::move(text), std::move(con),
                                           context.root);
}

void register_sql(Registrar& registrar) {
  registrar.add_dataset_type("SQLTableDataset", make_sql_table_dataset);
  registrar.add_dataset_type("pandas.SQLTableDataset", make_sql_table_dataset);
  registrar.add_dataset_type("SQLQueryDataset", make_sql_query_dataset);
  registrar.add_dataset_type("pandas.SQLQueryDataset", make_sql_query_dataset);
}

}  // namespace sluice
