#include <algorithm>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sluice/core/catalog.hpp>
#include <sluice/core/clock.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/core/log.hpp>
#include <sluice/core/pipeline.hpp>
#include <sluice/core/registry.hpp>
#include <sluice/core/util/suggest.hpp>

namespace sluice {

struct Catalog::Binding {
  std::weak_ptr<const void> pipeline;                    // Pipeline::identity()
  std::vector<const std::shared_ptr<Dataset>*> entries;  // by dataset id, into datasets_
  // The entries' datasets when last bound; null since a dataset was replaced (so that a
  // replaced dataset is not kept alive here).
  std::shared_ptr<const Datasets> datasets;
};

Catalog::Catalog(Catalog&& other) noexcept {
  std::scoped_lock lock(other.bindings_mutex_, other.mutex_);
  datasets_ = std::move(other.datasets_);
  hooks_ = std::move(other.hooks_);
  bindings_ = std::move(other.bindings_);  // their entries moved along with datasets_
  other.bindings_.clear();
}

Catalog& Catalog::operator=(Catalog&& other) noexcept {
  if (this != &other) {
    std::scoped_lock lock(bindings_mutex_, other.bindings_mutex_, mutex_, other.mutex_);
    datasets_ = std::move(other.datasets_);
    hooks_ = std::move(other.hooks_);
    bindings_ = std::move(other.bindings_);
    other.bindings_.clear();
  }
  return *this;
}

void Catalog::attach(std::shared_ptr<const HookManager> hooks) {
  hooks_ = std::move(hooks);
  if (hooks_) {
    hooks_->after_catalog_created(*this);
  }
}

Catalog::~Catalog() = default;

void Catalog::add(std::string name, std::shared_ptr<Dataset> dataset, bool replace) {
  if (!dataset) {
    throw DatasetError(fmt::format("cannot add dataset '{}': it is null", name));
  }
  const std::lock_guard bindings_lock(bindings_mutex_);
  std::unique_lock lock(mutex_);
  auto [at, fresh] = datasets_.try_emplace(std::move(name), dataset);
  if (!fresh) {
    if (!replace) {
      throw DatasetError(fmt::format(
          "dataset '{}' is already in the catalog; pass replace=true to swap it", at->first));
    }
    at->second = std::move(dataset);
    for (const auto& binding : bindings_) {
      binding->datasets = nullptr;  // the next bind takes the current datasets
    }
  }
}

bool Catalog::contains(std::string_view name) const {
  return find(name) != nullptr;
}

std::shared_ptr<Dataset> Catalog::find(std::string_view name) const {
  std::shared_lock lock(mutex_);
  auto found = datasets_.find(name);
  return found == datasets_.end() ? nullptr : found->second;
}

std::shared_ptr<Dataset> Catalog::get(std::string_view name) const {
  if (auto dataset = find(name)) {
    return dataset;
  }
  throw DatasetError(
      fmt::format("dataset '{}' is not in the catalog{}", name, did_you_mean(name, list())));
}

std::shared_ptr<Dataset> Catalog::get_or_add_default(std::string_view name) {
  if (auto dataset = find(name)) {
    return dataset;
  }
  std::unique_lock lock(mutex_);
  auto [at, fresh] = datasets_.try_emplace(std::string(name), nullptr);
  if (fresh) {
    at->second = std::make_shared<MemoryDataset>();
  }
  return at->second;
}

std::shared_ptr<const Catalog::Datasets> Catalog::bind(const Pipeline& pipeline,
                                                       std::vector<std::uint32_t>& missing) {
  missing.clear();
  const std::weak_ptr<const void> identity = pipeline.identity();
  const std::lock_guard bindings_lock(bindings_mutex_);
  std::erase_if(bindings_, [](const auto& binding) { return binding->pipeline.expired(); });
  const auto same = std::find_if(bindings_.begin(), bindings_.end(), [&](const auto& binding) {
    return !binding->pipeline.owner_before(identity) && !identity.owner_before(binding->pipeline);
  });
  if (same != bindings_.end()) {
    std::rotate(bindings_.begin(), same, same + 1);  // most recent first
    Binding& binding = *bindings_.front();
    const std::shared_lock lock(mutex_);
    if (!binding.datasets) {
      auto datasets = std::make_shared<Datasets>();
      datasets->reserve(binding.entries.size());
      for (const auto* entry : binding.entries) {
        datasets->push_back(*entry);
      }
      binding.datasets = std::move(datasets);
    }
    return binding.datasets;
  }

  // First time: look every name up once.
  const auto count = static_cast<std::uint32_t>(pipeline.dataset_count());
  auto binding = std::make_shared<Binding>();
  binding->pipeline = identity;
  binding->entries.resize(count);
  const std::unique_lock lock(mutex_);
  for (std::uint32_t id = 0; id < count; ++id) {
    const auto found = datasets_.find(std::string_view(pipeline.dataset_name(id)));
    if (found != datasets_.end()) {
      binding->entries[id] = &found->second;
    } else if (!pipeline.producer_of(id)) {
      missing.push_back(id);
    }
  }
  if (!missing.empty()) {
    return nullptr;
  }
  auto datasets = std::make_shared<Datasets>(count);
  for (std::uint32_t id = 0; id < count; ++id) {
    if (binding->entries[id] == nullptr) {  // an intermediate or output nobody named
      auto [at, fresh] =
          datasets_.try_emplace(pipeline.dataset_name(id), std::make_shared<MemoryDataset>());
      binding->entries[id] = &at->second;
    }
    (*datasets)[id] = *binding->entries[id];
  }
  binding->datasets = std::move(datasets);
  constexpr std::size_t kKept = 4;
  if (bindings_.size() >= kKept) {
    bindings_.pop_back();
  }
  bindings_.insert(bindings_.begin(), binding);
  return binding->datasets;
}

std::vector<std::string> Catalog::list() const {
  std::vector<std::string> names;
  {
    std::shared_lock lock(mutex_);
    names.reserve(datasets_.size());
    for (const auto& [name, dataset] : datasets_) {
      names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

namespace {

template <class Action>
auto with_dataset_error(std::string_view verb, std::string_view name, const Dataset& dataset,
                        Action&& action) {
  try {
    return action();
  } catch (const std::exception& error) {
    throw DatasetError(fmt::format("failed to {} dataset '{}' ({}): {}", verb, name,
                                   dataset.describe(), error.what()));
  }
}

}  // namespace

Value Catalog::load(std::string_view name) {
  return load(name, *get(name));
}

void Catalog::save(std::string_view name, const Value& value) {
  save(name, *get_or_add_default(name), value);
}

void Catalog::release(std::string_view name) {
  if (const auto dataset = find(name)) {
    release(name, *dataset);
  }
}

Value Catalog::load(std::string_view name, Dataset& dataset, const Node* node) {
  if (hooks_) {
    hooks_->before_dataset_loaded(name, node);
  }
  auto& log = logger();
  if (log.should_log(spdlog::level::info)) {
    log.info("Loading data from '{}' ({})...", name, dataset.dataset_type());
  }
  Value value = with_dataset_error("load", name, dataset, [&] { return dataset.load(); });
  if (hooks_) {
    hooks_->after_dataset_loaded(name, node, value);
  }
  return value;
}

void Catalog::save(std::string_view name, Dataset& dataset, const Value& value, const Node* node) {
  if (hooks_) {
    hooks_->before_dataset_saved(name, node, value);
  }
  auto& log = logger();
  if (log.should_log(spdlog::level::info)) {
    log.info("Saving data to '{}' ({})...", name, dataset.dataset_type());
  }
  with_dataset_error("save", name, dataset, [&] { dataset.save(value); });
  if (hooks_) {
    hooks_->after_dataset_saved(name, node, value);
  }
}

void Catalog::release(std::string_view name, Dataset& dataset) {
  logger().debug("Releasing '{}'", name);
  with_dataset_error("release", name, dataset, [&] { dataset.release(); });
  if (hooks_) {
    hooks_->on_dataset_released(name);
  }
}

bool Catalog::exists(std::string_view name) const {
  const auto dataset = find(name);
  if (!dataset) {
    return false;
  }
  return with_dataset_error("check", name, *dataset, [&] { return dataset->exists(); });
}

bool Catalog::is_parameter(std::string_view name) {
  return name == "parameters" || name.starts_with("params:");
}

void Catalog::for_each(const std::function<void(const std::string&, const Dataset&)>& visit) const {
  std::shared_lock lock(mutex_);
  for (const auto& [name, dataset] : datasets_) {
    visit(name, *dataset);
  }
}

std::uint64_t held_bytes(const Catalog& catalog) {
  std::vector<Value> values;
  catalog.for_each([&](const std::string& name, const Dataset& dataset) {
    if (!Catalog::is_parameter(name)) {
      dataset.held_values(values);
    }
  });
  return distinct_bytes(std::move(values));
}

std::uint64_t distinct_bytes(std::vector<Value> values) {
  // A value may be held twice (a node passing its input through as an output): count it once.
  std::sort(values.begin(), values.end(),
            [](const Value& a, const Value& b) { return std::less<>{}(a.raw(), b.raw()); });
  std::uint64_t bytes = 0;
  const void* previous = nullptr;
  for (const Value& value : values) {
    if (value.raw() != previous) {
      bytes += value.byte_size();
      previous = value.raw();
    }
  }
  return bytes;
}

namespace {

void add_nested_parameters(Catalog& catalog, const Param& tree, const std::string& prefix) {
  for (const auto& [key, value] : tree.as_map()) {
    const std::string dotted = prefix.empty() ? key : prefix + "." + key;
    catalog.add("params:" + dotted, std::make_shared<ParameterDataset>(Value::of(value)), true);
    if (value.is_map()) {
      add_nested_parameters(catalog, value, dotted);
    }
  }
}

}  // namespace

void Catalog::add_parameters(const Param& parameters) {
  const Param tree = parameters.is_null() ? Param(Param::Map{}) : parameters;
  add("parameters", std::make_shared<ParameterDataset>(Value::of(tree)), true);
  if (tree.is_map()) {
    add_nested_parameters(*this, tree, "");
  }
}

void set_dotted(Param& tree, std::string_view dotted_key, Param value) {
  if (dotted_key.empty() || dotted_key.front() == '.' || dotted_key.back() == '.' ||
      dotted_key.find("..") != std::string_view::npos) {
    throw ConfigError(fmt::format(
        "parameter key '{}' has an empty part between dots; write keys such as model.alpha",
        dotted_key));
  }
  const auto dot = dotted_key.find('.');
  const std::string head(dotted_key.substr(0, dot));
  if (dot == std::string_view::npos) {
    tree.set(head, std::move(value));
    return;
  }
  if (tree.is_null()) {
    tree = Param(Param::Map{});
  }
  const Param* existing = tree.find(head);
  Param child = existing != nullptr && existing->is_map() ? *existing : Param(Param::Map{});
  set_dotted(child, dotted_key.substr(dot + 1), std::move(value));
  tree.set(head, std::move(child));
}

Catalog make_catalog(const Param& catalog_config, const Param& credentials, const Param& parameters,
                     const Registry& registry, const CatalogOptions& options) {
  Catalog catalog;
  for (const auto& [name, version] : options.load_versions) {
    const Param* entry = catalog_config.is_map() ? catalog_config.find(name) : nullptr;
    const Param* versioned =
        entry != nullptr && entry->is_map() ? entry->find("versioned") : nullptr;
    if (entry == nullptr) {
      throw ConfigError(fmt::format("--load-versions: dataset '{}' is not in the catalog", name));
    }
    if (versioned == nullptr || versioned->kind() != Param::Kind::boolean ||
        !versioned->as_bool()) {
      throw ConfigError(fmt::format(
          "{}: --load-versions names dataset '{}', which is not versioned; add 'versioned: "
          "true' to its entry",
          entry->mark().str(), name));
    }
  }
  const std::string save_version =
      options.save_version.empty()
          ? make_run_id(options.clock != nullptr ? *options.clock : system_clock())
          : options.save_version;
  if (!catalog_config.is_null()) {
    if (!catalog_config.is_map()) {
      throw ConfigError(fmt::format("{}: the catalog must be a map of dataset name to entry",
                                    catalog_config.mark().str()));
    }
    for (const auto& [name, entry] : catalog_config.as_map()) {
      const std::string where = fmt::format("{}{}dataset '{}'", entry.mark().str(),
                                            entry.mark().known() ? ": " : "", name);
      if (!entry.is_map()) {
        throw ConfigError(fmt::format("{}: an entry must be a map with a 'type' (got {})", where,
                                      entry.to_string()));
      }
      DatasetContext context;
      context.name = name;
      context.mark = entry.mark();
      context.codecs = &registry.codecs;
      context.types = &registry.dataset_types;
      context.root = options.root;
      context.save_version = save_version;
      context.clock = options.clock;
      context.storages = &registry.storages;
      context.fsync = options.fsync;
      if (auto version = options.load_versions.find(name); version != options.load_versions.end()) {
        context.load_version = version->second;
      }
      std::string type;
      Param::Map rest;
      for (const auto& [key, value] : entry.as_map()) {
        if (key == "type") {
          type = value.as<std::string>(fmt::format("the type of dataset '{}'", name));
        } else if (key == "credentials") {
          if (value.kind() != Param::Kind::string) {  // never echo what may hold a secret
            throw ConfigError(fmt::format(
                "{}{}dataset '{}': 'credentials' is a {}, but it must be the name of an entry "
                "in credentials.yml (for instance credentials: db_credentials); move the user "
                "and password to conf/local/credentials.yml and refer to them by that name",
                value.mark().known() ? value.mark().str() : entry.mark().str(),
                value.mark().known() || entry.mark().known() ? ": " : "", name,
                Param::kind_name(value.kind())));
          }
          const auto& credentials_name = value.as_string();
          const Param* found = credentials.find(credentials_name);
          if (found == nullptr) {
            std::vector<std::string> known;
            if (credentials.is_map()) {
              for (const auto& [known_name, secret] : credentials.as_map()) {
                known.push_back(known_name);
              }
            }
            throw ConfigError(fmt::format(
                "{}: refers to credentials '{}', which credentials.yml does not define{}", where,
                credentials_name, did_you_mean(credentials_name, known)));
          }
          context.credentials = *found;
          context.credentials_name = credentials_name;
        } else {
          rest.emplace_back(key, value);
        }
      }
      if (type.empty()) {
        throw ConfigError(fmt::format("{}: the entry has no 'type'; known types: {}", where,
                                      fmt::join(registry.dataset_types.names(), ", ")));
      }
      context.options = Param(std::move(rest));
      context.options.set_mark(entry.mark());
      catalog.add(name, registry.dataset_types.create(type, context));
    }
  }
  Param merged_parameters = parameters.is_null() ? Param(Param::Map{}) : parameters;
  if (options.runtime_params.is_map()) {
    for (const auto& [key, value] : options.runtime_params.as_map()) {
      set_dotted(merged_parameters, key, value);
    }
  }
  catalog.add_parameters(merged_parameters);
  return catalog;
}

}  // namespace sluice
