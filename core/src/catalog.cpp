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

namespace {

// A copy of `name` in a block of its own in `names`, which keeps it in place.
std::string_view keep_name(std::vector<std::unique_ptr<char[]>>& names, std::string_view name) {
  char* kept = names.emplace_back(std::make_unique_for_overwrite<char[]>(name.size())).get();
  std::copy(name.begin(), name.end(), kept);
  return {kept, name.size()};
}

}  // namespace

struct Catalog::Binding {
  std::weak_ptr<const void> pipeline;  // Pipeline::identity()
  // The datasets by dataset id when last bound; null since a dataset was replaced (so that a
  // replaced dataset is not kept alive here): the next bind looks the names up again.
  std::shared_ptr<const Datasets> datasets;
};

Catalog::Catalog(Catalog&& other) noexcept {
  std::scoped_lock lock(other.bindings_mutex_, other.mutex_);
  datasets_ = std::move(other.datasets_);
  names_ = std::move(other.names_);
  hooks_ = std::move(other.hooks_);
  bindings_ = std::move(other.bindings_);
  other.bindings_.clear();
}

Catalog& Catalog::operator=(Catalog&& other) noexcept {
  if (this != &other) {
    std::scoped_lock lock(bindings_mutex_, other.bindings_mutex_, mutex_, other.mutex_);
    datasets_ = std::move(other.datasets_);
    names_ = std::move(other.names_);
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
  const auto at = datasets_.find(std::string_view(name));
  if (at == datasets_.end()) {
    datasets_.emplace(keep_name(names_, name), std::move(dataset));
  } else {
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
  auto at = datasets_.find(name);
  if (at == datasets_.end()) {
    at = datasets_.emplace(keep_name(names_, name), std::make_shared<MemoryDataset>()).first;
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
    if ((*same)->datasets) {
      std::rotate(bindings_.begin(), same, same + 1);  // most recent first
      return bindings_.front()->datasets;
    }
    bindings_.erase(same);  // a dataset was replaced: bound again below
  }

  // First time: look every name up once.
  const auto count = static_cast<std::uint32_t>(pipeline.dataset_count());
  auto binding = std::make_shared<Binding>();
  binding->pipeline = identity;
  auto datasets = std::make_shared<Datasets>(count);
  const std::unique_lock lock(mutex_);
  std::uint32_t unnamed = 0;  // intermediates and outputs nobody named
  for (std::uint32_t id = 0; id < count; ++id) {
    const auto found = datasets_.find(std::string_view(pipeline.dataset_name(id)));
    if (found != datasets_.end()) {
      (*datasets)[id] = found->second;
    } else if (!pipeline.producer_of(id)) {
      missing.push_back(id);
    } else {
      ++unnamed;
    }
  }
  if (!missing.empty()) {
    return nullptr;
  }
  if (unnamed > 0) {
    // Their memory datasets share one allocation (a million-node pipeline makes a million of
    // them), freed when the last of them is dropped.
    const auto block = std::make_shared<std::unique_ptr<MemoryDataset[]>>(
        std::make_unique<MemoryDataset[]>(unnamed));
    // So do their names.
    std::size_t characters = 0;
    for (std::uint32_t id = 0; id < count; ++id) {
      if (!(*datasets)[id]) {
        characters += pipeline.dataset_name(id).size();
      }
    }
    char* name = names_.emplace_back(std::make_unique_for_overwrite<char[]>(characters)).get();
    datasets_.reserve(datasets_.size() + unnamed);
    std::uint32_t next = 0;
    for (std::uint32_t id = 0; id < count; ++id) {
      if (!(*datasets)[id]) {
        std::shared_ptr<Dataset> dataset(block, &(*block)[next++]);
        (*datasets)[id] = dataset;
        const std::string& dataset_name = pipeline.dataset_name(id);
        std::copy(dataset_name.begin(), dataset_name.end(), name);
        datasets_.emplace(std::string_view(name, dataset_name.size()), std::move(dataset));
        name += dataset_name.size();
      }
    }
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
      names.emplace_back(name);
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
    visit(std::string(name), *dataset);
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
