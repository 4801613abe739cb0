#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <sluice/core/dataset.hpp>
#include <sluice/core/dataset_registry.hpp>
#include <sluice/core/table.hpp>

namespace sluice {

class Registrar;

/// A connection to a SQL database, opened from a SQLAlchemy-style URL (Kedro's `con`):
///
/// - `sqlite:///data/db.sqlite` (relative to the project folder), `sqlite:////abs/db.sqlite`,
///   `sqlite://` or `sqlite:///:memory:` (in memory): SQLite (libsqlite3), the embedded default;
/// - `postgresql://user:password@host:port/database` (also `postgres://` and SQLAlchemy's
///   `postgresql+psycopg2://`): PostgreSQL through libpq.
///
/// Tables are sluice::Table: int64 columns are INTEGER (BIGINT), double columns REAL (DOUBLE
/// PRECISION, NaN as NULL), string columns TEXT. Reading, a column is int64 when every value is
/// an integer, double when one is a real or an integer column has a NULL (as pandas), and
/// string otherwise (a NULL in it is ""); booleans read as 0/1.
///
/// Not thread-safe: SQLTableDataset and SQLQueryDataset use theirs under a mutex.
class SqlConnection {
 public:
  virtual ~SqlConnection();

  /// Runs a query and returns its rows. DatasetError on failure, with the server's message.
  virtual Table query(const std::string& sql) = 0;
  /// Whether the table exists.
  virtual bool has_table(const std::string& table) = 0;
  /// Creates the table from the columns of `table` and inserts its rows, in one transaction;
  /// `replace` drops an existing table first (in the same transaction), otherwise the rows are
  /// appended to it (created when missing).
  virtual void write_table(const std::string& name, const Table& table, bool replace) = 0;
  /// The URL without the password, for messages.
  const std::string& safe_url() const { return safe_url_; }

 protected:
  std::string safe_url_;
};

/// Opens `url`; a relative SQLite path is relative to `root`. ConfigError for a URL of another
/// scheme or a malformed one (naming what is accepted); DatasetError when the database cannot be
/// opened or the server does not answer, with the server's reason and what to check.
std::unique_ptr<SqlConnection> connect_sql(const std::string& url,
                                           const std::filesystem::path& root);
/// `name` as a double-quoted SQL identifier (a quote in it doubled), for SQLite and PostgreSQL.
std::string quote_sql_identifier(const std::string& name);
/// The URL with its password left out: postgresql://user@host:5432/db.
std::string redact_sql_url(const std::string& url);

/// What to do when SQLTableDataset saves to a table that exists (pandas' `if_exists`).
enum class IfExists { fail, replace, append };

/// Kedro's `pandas.SQLTableDataset`: a sluice::Table in a database table. `credentials` name an
/// entry of credentials.yml with `con` (the URL). `load_args: {columns: [...]}` reads some
/// columns; `save_args: {if_exists: fail|replace|append}` (pandas' default `fail`: an existing
/// table is an error saying to set it). A save is one transaction: a failed one leaves the table
/// as it was.
class SQLTableDataset : public Dataset {
 public:
  SQLTableDataset(std::string name, std::string table, std::string con, std::filesystem::path root,
                  IfExists if_exists = IfExists::fail, std::vector<std::string> columns = {});
  ~SQLTableDataset() override;

  Value load() override;
  void save(const Value& value) override;
  bool exists() const override;
  std::string dataset_type() const override { return "SQLTableDataset"; }
  std::string describe() const override;

 private:
  SqlConnection& connection() const;

  std::string name_;
  std::string table_;
  std::string con_;
  std::filesystem::path root_;
  IfExists if_exists_;
  std::vector<std::string> columns_;
  mutable std::mutex mutex_;
  mutable std::unique_ptr<SqlConnection> connection_;
};

/// Kedro's `pandas.SQLQueryDataset`: the rows of a query (`sql`, or a `filepath` to a .sql file),
/// as a sluice::Table. Read-only: a save is an error naming the dataset.
class SQLQueryDataset : public Dataset {
 public:
  SQLQueryDataset(std::string name, std::string sql, std::string con, std::filesystem::path root);
  ~SQLQueryDataset() override;

  Value load() override;
  void save(const Value& value) override;
  /// True when the database answers: a query always has rows to give (maybe none).
  bool exists() const override;
  std::string dataset_type() const override { return "SQLQueryDataset"; }
  std::string describe() const override;

 private:
  std::string name_;
  std::string sql_;
  std::string con_;
  std::filesystem::path root_;
  mutable std::mutex mutex_;
  mutable std::unique_ptr<SqlConnection> connection_;
};

/// Builds the datasets from catalog entries (`table_name`, `sql` or `filepath`, `load_args`,
/// `save_args`, `credentials` with `con`); errors name the entry's file:line.
std::shared_ptr<Dataset> make_sql_table_dataset(const DatasetContext& context);
std::shared_ptr<Dataset> make_sql_query_dataset(const DatasetContext& context);

/// Adds SQLTableDataset and SQLQueryDataset, also under Kedro's names
/// `pandas.SQLTableDataset` and `pandas.SQLQueryDataset`.
void register_sql(Registrar& registrar);

}  // namespace sluice
