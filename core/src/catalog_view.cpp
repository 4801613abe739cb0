#include <sluice/core/catalog.hpp>
#include <sluice/core/catalog_view.hpp>

namespace sluice {

std::vector<std::string> CatalogView::names() const {
  return catalog_->list();
}

bool CatalogView::contains(std::string_view name) const {
  return catalog_->contains(name);
}

std::string CatalogView::describe(std::string_view name) const {
  return catalog_->get(name)->describe();
}

bool CatalogView::is_ephemeral(std::string_view name) const {
  const auto dataset = catalog_->find(name);
  return dataset != nullptr && dataset->is_ephemeral();
}

bool CatalogView::exists(std::string_view name) const {
  return catalog_->exists(name);
}

bool CatalogView::write_pending(std::string_view name) const {
  const auto dataset = catalog_->find(name);
  return dataset != nullptr && dataset->write_pending();
}

void CatalogView::wait_for_writes(std::string_view name) const {
  if (const auto dataset = catalog_->find(name)) {
    dataset->wait_for_writes();
  }
}

std::vector<Value> CatalogView::held_values(std::string_view name) const {
  std::vector<Value> values;
  if (const auto dataset = catalog_->find(name)) {
    dataset->held_values(values);
  }
  return values;
}

std::uint64_t CatalogView::held_bytes() const {
  return sluice::held_bytes(*catalog_);
}

std::optional<Param> CatalogView::parameters() const {
  const auto dataset = catalog_->find("parameters");
  if (dataset == nullptr) {
    return std::nullopt;
  }
  const Value tree = dataset->load();
  if (!tree.holds<Param>()) {
    return std::nullopt;
  }
  return tree.get<Param>();
}

}  // namespace sluice
