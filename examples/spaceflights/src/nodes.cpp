#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <spaceflights/nodes.hpp>
#include <spdlog/spdlog.h>

#include <sluice/core/error.hpp>
#include <sluice/core/log.hpp>

namespace spaceflights {
namespace {

using sluice::Table;

std::vector<std::int64_t> flags(const std::vector<std::string>& values) {
  std::vector<std::int64_t> out;
  out.reserve(values.size());
  for (const auto& value : values) {
    out.push_back(value == "t" ? 1 : 0);
  }
  return out;
}

// "90%" -> 0.9; "" -> NaN.
double percent(const std::string& text) {
  if (text.empty()) {
    return std::nan("");
  }
  return std::stod(text.substr(0, text.find('%'))) / 100.0;
}

// "$1,325.0" -> 1325.0.
double money(const std::string& text) {
  std::string digits;
  for (const char c : text) {
    if (c != '$' && c != ',') {
      digits += c;
    }
  }
  return std::stod(digits);
}

// A numeric column as doubles.
std::vector<double> numbers(const Table& table, const std::string& name) {
  const Table::Column& column = table.column(name);
  if (const auto* doubles = std::get_if<std::vector<double>>(&column)) {
    return *doubles;
  }
  if (const auto* integers = std::get_if<std::vector<std::int64_t>>(&column)) {
    return {integers->begin(), integers->end()};
  }
  throw sluice::Error(fmt::format("column '{}' holds text, not numbers", name));
}

}  // namespace

Table preprocess_companies(const Table& companies) {
  std::vector<double> ratings;
  for (const auto& rating : companies.column_as<std::string>("company_rating")) {
    ratings.push_back(percent(rating));
  }
  Table out;
  out.add_column("id", companies.column_as<std::int64_t>("id"));
  out.add_column("company_rating", std::move(ratings));
  out.add_column("iata_approved", flags(companies.column_as<std::string>("iata_approved")));
  out.add_column("total_fleet_count", numbers(companies, "total_fleet_count"));
  return out;
}

Table preprocess_shuttles(const Table& shuttles) {
  std::vector<double> prices;
  for (const auto& price : shuttles.column_as<std::string>("price")) {
    prices.push_back(money(price));
  }
  Table out;
  out.add_column("id", shuttles.column_as<std::int64_t>("id"));
  out.add_column("engines", shuttles.column_as<std::int64_t>("engines"));
  out.add_column("passenger_capacity", shuttles.column_as<std::int64_t>("passenger_capacity"));
  out.add_column("crew", numbers(shuttles, "crew"));
  out.add_column("d_check_complete", flags(shuttles.column_as<std::string>("d_check_complete")));
  out.add_column("moon_clearance_complete",
                 flags(shuttles.column_as<std::string>("moon_clearance_complete")));
  out.add_column("price", std::move(prices));
  out.add_column("company_id", shuttles.column_as<std::int64_t>("company_id"));
  return out;
}

Table parse_reviews(const sluice::Json& reviews) {
  std::vector<std::int64_t> ids;
  std::vector<double> ratings;
  for (const auto& review : reviews) {
    ids.push_back(review.at("shuttle_id").get<std::int64_t>());
    ratings.push_back(review.at("review_scores_rating").get<double>());
  }
  Table out;
  out.add_column("shuttle_id", std::move(ids));
  out.add_column("review_scores_rating", std::move(ratings));
  return out;
}

Table create_model_input_table(const Table& shuttles, const Table& companies,
                               const Table& reviews) {
  std::map<std::int64_t, std::size_t> company_row, review_row;
  const auto& company_ids = companies.column_as<std::int64_t>("id");
  for (std::size_t i = 0; i < company_ids.size(); ++i) {
    company_row[company_ids[i]] = i;
  }
  const auto& review_ids = reviews.column_as<std::int64_t>("shuttle_id");
  for (std::size_t i = 0; i < review_ids.size(); ++i) {
    review_row[review_ids[i]] = i;
  }
  const auto& ids = shuttles.column_as<std::int64_t>("id");
  const auto& owners = shuttles.column_as<std::int64_t>("company_id");
  const auto& ratings = companies.column_as<double>("company_rating");
  std::vector<std::size_t> kept;
  std::vector<double> company_rating, review_rating;
  std::vector<std::int64_t> iata;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto company = company_row.find(owners[i]);
    const auto review = review_row.find(ids[i]);
    if (company == company_row.end() || review == review_row.end() ||
        std::isnan(ratings[company->second])) {
      continue;  // a value missing: the row is dropped (pandas' dropna)
    }
    kept.push_back(i);
    company_rating.push_back(ratings[company->second]);
    iata.push_back(companies.column_as<std::int64_t>("iata_approved")[company->second]);
    review_rating.push_back(reviews.column_as<double>("review_scores_rating")[review->second]);
  }
  Table out = shuttles.take_rows(kept).drop("company_id");
  out.add_column("company_rating", std::move(company_rating));
  out.add_column("iata_approved", std::move(iata));
  out.add_column("review_scores_rating", std::move(review_rating));
  return out;
}

std::tuple<Table, Table, std::vector<double>, std::vector<double>> split_data(
    const Table& data, const sluice::Param& options) {
  const double test_size = options.at("test_size").as<double>("model_options.test_size");
  if (!(test_size > 0 && test_size < 1)) {
    throw sluice::Error(
        fmt::format("model_options.test_size must be between 0 and 1, got {}", test_size));
  }
  const auto seed = options.at("random_state").as<std::uint32_t>("model_options.random_state");
  const auto features =
      options.at("features").as<std::vector<std::string>>("model_options.features");
  std::vector<std::size_t> order(data.num_rows());
  std::iota(order.begin(), order.end(), 0);
  // A Fisher-Yates shuffle of our own: std::shuffle's draws differ between standard libraries.
  std::mt19937 random(seed);
  for (std::size_t i = order.size(); i > 1; --i) {
    std::swap(order[i - 1], order[random() % i]);
  }
  const auto tests =
      static_cast<std::size_t>(std::lround(test_size * static_cast<double>(order.size())));
  const std::vector<std::size_t> test_rows(order.begin(),
                                           order.begin() + static_cast<std::ptrdiff_t>(tests));
  const std::vector<std::size_t> train_rows(order.begin() + static_cast<std::ptrdiff_t>(tests),
                                            order.end());
  auto features_of = [&](const std::vector<std::size_t>& rows) {
    Table out;
    for (const auto& name : features) {
      const std::vector<double> column = numbers(data, name);
      std::vector<double> picked;
      for (const auto row : rows) {
        picked.push_back(column[row]);
      }
      out.add_column(name, std::move(picked));
    }
    return out;
  };
  auto prices_of = [&](const std::vector<std::size_t>& rows) {
    const std::vector<double> prices = numbers(data, "price");
    std::vector<double> picked;
    for (const auto row : rows) {
      picked.push_back(prices[row]);
    }
    return picked;
  };
  return {features_of(train_rows), features_of(test_rows), prices_of(train_rows),
          prices_of(test_rows)};
}

std::vector<double> train_model(const Table& X_train, const std::vector<double>& y_train) {
  // The normal equations (A^T A) w = A^T y with a column of ones, by Gaussian elimination with
  // partial pivoting; a tiny ridge keeps a constant feature from making them singular.
  const std::size_t n = X_train.num_columns() + 1;
  std::vector<std::vector<double>> columns{std::vector<double>(X_train.num_rows(), 1.0)};
  for (std::size_t j = 0; j < X_train.num_columns(); ++j) {
    columns.push_back(X_train.column_as<double>(X_train.column_names()[j]));
  }
  std::vector<std::vector<double>> system(n, std::vector<double>(n + 1, 0.0));
  for (std::size_t a = 0; a < n; ++a) {
    for (std::size_t b = 0; b < n; ++b) {
      system[a][b] =
          std::inner_product(columns[a].begin(), columns[a].end(), columns[b].begin(), 0.0);
    }
    system[a][a] += 1e-9;
    system[a][n] = std::inner_product(columns[a].begin(), columns[a].end(), y_train.begin(), 0.0);
  }
  for (std::size_t pivot = 0; pivot < n; ++pivot) {
    std::size_t best = pivot;
    for (std::size_t row = pivot + 1; row < n; ++row) {
      if (std::abs(system[row][pivot]) > std::abs(system[best][pivot])) {
        best = row;
      }
    }
    std::swap(system[pivot], system[best]);
    for (std::size_t row = 0; row < n; ++row) {
      if (row != pivot && system[pivot][pivot] != 0) {
        const double factor = system[row][pivot] / system[pivot][pivot];
        for (std::size_t col = pivot; col <= n; ++col) {
          system[row][col] -= factor * system[pivot][col];
        }
      }
    }
  }
  std::vector<double> weights(n);
  for (std::size_t i = 0; i < n; ++i) {
    weights[i] = system[i][i] == 0 ? 0 : system[i][n] / system[i][i];
  }
  return weights;
}

sluice::Json evaluate_model(const std::vector<double>& regressor, const Table& X_test,
                            const std::vector<double>& y_test) {
  if (regressor.size() != X_test.num_columns() + 1) {
    throw sluice::Error(fmt::format("the model has {} coefficients for {} features",
                                    regressor.size(), X_test.num_columns()));
  }
  const double mean =
      std::accumulate(y_test.begin(), y_test.end(), 0.0) / static_cast<double>(y_test.size());
  double residual = 0, total = 0, absolute = 0, worst = 0;
  for (std::size_t row = 0; row < y_test.size(); ++row) {
    double predicted = regressor[0];
    for (std::size_t j = 0; j < X_test.num_columns(); ++j) {
      predicted += regressor[j + 1] * X_test.column_as<double>(X_test.column_names()[j])[row];
    }
    const double error = y_test[row] - predicted;
    residual += error * error;
    total += (y_test[row] - mean) * (y_test[row] - mean);
    absolute += std::abs(error);
    worst = std::max(worst, std::abs(error));
  }
  const double r2 = 1.0 - residual / total;
  sluice::logger().info("Model has a coefficient R^2 of {:.3f} on test data.", r2);
  return sluice::Json{{"r2_score", r2},
                      {"mae", absolute / static_cast<double>(y_test.size())},
                      {"max_error", worst},
                      {"test_rows", y_test.size()}};
}

sluice::Json report_capacity(const Table& model_input_table, const Table& capacity_by_engines) {
  sluice::Json by_engines = sluice::Json::array();
  const auto engines = numbers(capacity_by_engines, "engines");
  const auto capacity = numbers(capacity_by_engines, "mean_capacity");
  const auto shuttles = numbers(capacity_by_engines, "shuttles");
  for (std::size_t i = 0; i < engines.size(); ++i) {
    by_engines.push_back(
        {{"engines", engines[i]}, {"mean_capacity", capacity[i]}, {"shuttles", shuttles[i]}});
  }
  return sluice::Json{{"shuttles", model_input_table.num_rows()}, {"by_engines", by_engines}};
}

}  // namespace spaceflights
