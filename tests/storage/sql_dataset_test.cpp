// SQLTableDataset and SQLQueryDataset on SQLite (a file in a scratch folder) and on a real
// PostgreSQL server the test starts (tests/support/postgres_server.hpp), and their catalog
// entries.

#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/catalog.hpp>
#include <sluice/core/config_loader.hpp>
#include <sluice/core/plugin.hpp>
#include <sluice/storage/sql_dataset.hpp>

#include "support/postgres_server.hpp"
#include "support/temp_dir.hpp"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TempDir;
using ::testing::ThrowsMessage;

// Every column type, with what a writer must escape: tabs, new lines, quotes, backslashes,
// non-ASCII text, NaN and infinities.
Table awkward_table() {
  Table table;
  table.add_column("id",
                   std::vector<std::int64_t>{1, -2, std::numeric_limits<std::int64_t>::max()});
  table.add_column("score", std::vector<double>{0.5, std::nan(""), -1e300});
  table.add_column("name",
                   std::vector<std::string>{"plain", "tab\there\nnew line \\ \"q\" 'a'", "Zoë ☃"});
  table.add_column("weird \"column\"",
                   std::vector<double>{std::numeric_limits<double>::infinity(), 1.0 / 3.0, 0});
  return table;
}

// A value's table (Value::get refuses a temporary Value).
Table as_table(const Value& value) {
  return value.get<Table>();
}

Table numbers(std::vector<std::int64_t> values) {
  Table table;
  table.add_column("n", std::move(values));
  return table;
}

// The backends behave the same: each test runs on both.
class SqlDatasets : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    if (std::string(GetParam()) == "postgresql") {
      SLUICE_REQUIRE_SERVER(testing::postgres_missing());
      server.emplace(folder.path());
      con = server->url("not-a-real-secret");
    } else {
      con = "sqlite:///data/db.sqlite";
    }
  }

  SQLTableDataset table(const std::string& name, IfExists if_exists = IfExists::fail,
                        std::vector<std::string> columns = {}) const {
    return SQLTableDataset(name, name, con, folder.path(), if_exists, std::move(columns));
  }

  TempDir folder;
  std::optional<testing::PostgresServer> server;
  std::string con;
};

TEST_P(SqlDatasets, ATableRoundTripsWithItsTypesAndEscapes) {
  SQLTableDataset dataset = table("companies");
  EXPECT_FALSE(dataset.exists());
  dataset.save(Value::of(awkward_table()));
  EXPECT_TRUE(dataset.exists());
  const Value loaded = dataset.load();
  EXPECT_EQ(loaded.get<Table>(), awkward_table());
  // A fresh dataset (another process, say) reads the same.
  EXPECT_EQ(as_table(table("companies").load()), awkward_table());
  EXPECT_EQ(as_table(table("companies", IfExists::fail, {"name", "id"}).load()),
            awkward_table().select({"name", "id"}));
}

TEST_P(SqlDatasets, IfExistsFailsReplacesOrAppends) {
  table("t").save(Value::of(numbers({1, 2})));
  EXPECT_THAT([&] { table("t").save(Value::of(numbers({3}))); },
              ThrowsMessage<DatasetError>(
                  AllOf(HasSubstr("the table 't' exists in"),
                        HasSubstr("set save_args: {if_exists: replace} (or append) in the entry "
                                  "of 't'"))));
  table("t", IfExists::append).save(Value::of(numbers({3})));
  EXPECT_EQ(as_table(table("t").load()), numbers({1, 2, 3}));
  table("t", IfExists::replace).save(Value::of(numbers({9})));
  EXPECT_EQ(as_table(table("t").load()), numbers({9}));
  // A save that fails half way (these columns do not fit the table) changes nothing.
  Table other;
  other.add_column("m", std::vector<std::string>{"x"});
  EXPECT_THROW(table("t", IfExists::append).save(Value::of(other)), DatasetError);
  EXPECT_EQ(as_table(table("t").load()), numbers({9}));
}

TEST_P(SqlDatasets, QueriesReadRowsAndAreReadOnly) {
  table("sales", IfExists::replace).save(Value::of(awkward_table()));
  SQLQueryDataset query("top", "SELECT id, name FROM sales WHERE id > 0 ORDER BY id", con,
                        folder.path());
  EXPECT_TRUE(query.exists());
  const Table rows = as_table(query.load());
  EXPECT_EQ(rows.num_rows(), 2U);
  EXPECT_EQ(rows.column_as<std::int64_t>("id").front(), 1);
  EXPECT_THAT([&] { query.save(Value::of(rows)); },
              ThrowsMessage<DatasetError>(HasSubstr("SQLQueryDataset 'top' is read-only")));
  // NULLs: an integer column with one reads as double (NaN), a text column as "".
  SQLQueryDataset nulls("nulls",
                        "SELECT CAST(NULL AS INTEGER) AS i, CAST(NULL AS TEXT) AS s UNION ALL "
                        "SELECT 7, 'x'",
                        con, folder.path());
  const Table with_nulls = as_table(nulls.load());
  EXPECT_TRUE(std::isnan(with_nulls.column_as<double>("i")[0]));
  EXPECT_DOUBLE_EQ(with_nulls.column_as<double>("i")[1], 7.0);
  EXPECT_EQ(with_nulls.column_as<std::string>("s")[0], "");
  SQLQueryDataset broken("broken", "SELEC nonsense", con, folder.path());
  EXPECT_THROW(broken.load(), DatasetError);
}

TEST_P(SqlDatasets, AMissingTableNamesTheDatasetAndWhatToDo) {
  EXPECT_THAT([&] { table("nothing").load(); },
              ThrowsMessage<DatasetError>(AllOf(HasSubstr("there is no table 'nothing' in"),
                                                HasSubstr("run the node that saves 'nothing' "
                                                          "first"))));
  EXPECT_THAT([&] { table("t").save(Value::of(3)); },
              ThrowsMessage<DatasetError>(HasSubstr("saves a sluice::Table, not int")));
}

INSTANTIATE_TEST_SUITE_P(Backends, SqlDatasets, ::testing::Values("sqlite", "postgresql"));

TEST(SqlUrls, PasswordsNeverShowAndUnknownDatabasesAreRefused) {
  EXPECT_EQ(redact_sql_url("postgresql://me:s3cret@db.example:5432/sales"),
            "postgresql://me@db.example:5432/sales");
  EXPECT_EQ(redact_sql_url("postgresql://db/sales?user=me&password=s3cret&sslmode=require"),
            "postgresql://db/sales?user=me&password=***&sslmode=require");
  EXPECT_EQ(redact_sql_url("sqlite:///data/db.sqlite"), "sqlite:///data/db.sqlite");
  EXPECT_THAT([] { connect_sql("mysql://me:s3cret@db/sales", "/tmp"); },
              ThrowsMessage<ConfigError>(AllOf(HasSubstr("con 'mysql://me@db/sales': the database "
                                                         "'mysql' is not supported"),
                                               Not(HasSubstr("s3cret")))));
  EXPECT_THAT([] { connect_sql("sqlite:data.db", "/tmp"); },
              ThrowsMessage<ConfigError>(HasSubstr("not a URL")));
}

TEST(PostgresServerDown, IsAnErrorSayingWhereAndWhatToCheckAndTheNextCallReconnects) {
  SLUICE_REQUIRE_SERVER(testing::postgres_missing());
  TempDir folder;
  testing::PostgresServer server(folder.path());
  SQLTableDataset dataset("t", "t", server.url("hunter2"), folder.path(), IfExists::replace);
  dataset.save(Value::of(numbers({1})));
  server.stop();
  try {
    dataset.load();
    FAIL() << "loaded from a stopped server";
  } catch (const DatasetError& error) {
    const std::string message = error.what();
    EXPECT_THAT(message, Not(HasSubstr("hunter2")));
    EXPECT_THAT(message, HasSubstr(fmt::format("127.0.0.1:{}", server.port())));
  }
  // A new connection to a server that is down says what to check.
  SQLTableDataset fresh("t", "t", server.url("hunter2"), folder.path());
  EXPECT_THAT([&] { fresh.load(); },
              ThrowsMessage<DatasetError>(
                  AllOf(HasSubstr(fmt::format("cannot connect to the PostgreSQL server at "
                                              "postgresql://sluice@127.0.0.1:{}/postgres",
                                              server.port())),
                        HasSubstr("is the server running and reachable there? check 'con' in "
                                  "credentials.yml"),
                        Not(HasSubstr("hunter2")))));
  server.start();
  EXPECT_EQ(as_table(dataset.load()), numbers({1}));
}

class SqlCatalog : public ::testing::Test {
 protected:
  SqlCatalog() {
    register_builtins(registry);
    Registrar registrar(registry);
    register_sql(registrar);
  }

  Catalog catalog(const std::string& catalog_yml, const std::string& credentials_yml) const {
    CatalogOptions options;
    options.root = folder.path();
    return make_catalog(parse_yaml(catalog_yml, "conf/base/catalog.yml"),
                        parse_yaml(credentials_yml, "conf/local/credentials.yml"), Param(),
                        registry, options);
  }

  std::string error_of(const std::string& catalog_yml, const std::string& credentials_yml) const {
    try {
      catalog(catalog_yml, credentials_yml);
    } catch (const ConfigError& error) {
      return error.what();
    }
    return "no error";
  }

  Registry registry;
  TempDir folder;
};

TEST_F(SqlCatalog, KedrosEntriesWithCredentialsAndAQueryFile) {
  folder.write("sql/top.sql", "SELECT n FROM numbers WHERE n > 1\n");
  Catalog made = catalog(
      "numbers:\n  type: pandas.SQLTableDataset\n  table_name: numbers\n  credentials: db\n"
      "  save_args: {if_exists: replace, index: false}\n"
      "top:\n  type: SQLQueryDataset\n  filepath: sql/top.sql\n  credentials: db\n",
      "db: {con: sqlite:///data/db.sqlite}\n");
  made.save("numbers", Value::of(numbers({1, 2, 3})));
  EXPECT_TRUE(fs::exists(folder / "data/db.sqlite"));
  EXPECT_EQ(as_table(made.load("top")), numbers({2, 3}));
  EXPECT_EQ(made.get("numbers")->describe(),
            "SQLTableDataset(table_name=numbers, con=sqlite:///data/db.sqlite)");
}

TEST_F(SqlCatalog, EntryErrorsNameTheLineAndWhatToWrite) {
  EXPECT_THAT(error_of("t:\n  type: SQLTableDataset\n  table_name: t\n", ""),
              AllOf(HasSubstr("conf/base/catalog.yml:2:3: dataset 't' (SQLTableDataset): needs "
                              "credentials with 'con'"),
                    HasSubstr("`db: {con: sqlite:///data/db.sqlite}`")));
  EXPECT_THAT(error_of("t: {type: SQLTableDataset, table_name: t, credentials: db}\n",
                       "db: {con: 'mysql://u:pw@h/d'}\n"),
              AllOf(HasSubstr("con 'mysql://u@h/d' is not a database URL sluice opens"),
                    Not(HasSubstr("pw"))));
  EXPECT_THAT(
      error_of("t: {type: SQLTableDataset, credentials: db}\n", "db: {con: 'sqlite:///x.db'}\n"),
      HasSubstr("table_name"));
  EXPECT_THAT(error_of("t: {type: SQLTableDataset, table_name: t, credentials: db, save_args: "
                       "{if_exists: replcae}}\n",
                       "db: {con: 'sqlite:///x.db'}\n"),
              HasSubstr("if_exists"));
  EXPECT_THAT(error_of("q: {type: SQLQueryDataset, sql: 'SELECT 1', filepath: q.sql, "
                       "credentials: db}\n",
                       "db: {con: 'sqlite:///x.db'}\n"),
              HasSubstr("give the query as 'sql' (the text) or 'filepath' (a .sql file), one of "
                        "them"));
  EXPECT_THAT(error_of("q: {type: SQLQueryDataset, filepath: missing.sql, credentials: db}\n",
                       "db: {con: 'sqlite:///x.db'}\n"),
              AllOf(HasSubstr("option 'filepath': the query file"), HasSubstr("missing.sql")));
}

}  // namespace
}  // namespace sluice
