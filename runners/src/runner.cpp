#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sluice/core/catalog_view.hpp>
#include <sluice/core/log.hpp>
#include <sluice/runners/node_error.hpp>
#include <sluice/runners/resume.hpp>
#include <sluice/runners/runner.hpp>

namespace sluice {
namespace {

// A failing run's error, with what hooks found not persisted while the run was failing (a
// tee's background write that failed after the node error): the error lists every loss.
void add_not_persisted(const std::exception& error, const std::vector<std::string>& lost) {
  if (lost.empty()) {
    return;
  }
  if (const auto* resumable = dynamic_cast<const ResumableError*>(&error)) {
    resumable->throw_with_other_failures(lost);
  }
  throw Error(with_other_failures(error.what(), lost));
}

}  // namespace

std::vector<std::string> not_persisted_datasets(const std::exception& error) {
  if (const auto* lost = dynamic_cast<const NotPersistedError*>(&error)) {
    return lost->datasets();
  }
  const auto* nested = dynamic_cast<const std::nested_exception*>(&error);
  if (nested == nullptr || !nested->nested_ptr()) {
    return {};
  }
  try {
    nested->rethrow_nested();
  } catch (const std::exception& inner) {
    return not_persisted_datasets(inner);
  } catch (...) {  // not a std::exception: nothing to read
  }
  return {};
}

namespace {

std::string message_of(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (...) {
    return current_exception_message();
  }
}

// The loads or saves of one for_each_io call, shared with the pool threads helping: a helper
// that starts after every task was taken finds nothing to do and touches only this.
struct IoBatch {
  std::size_t count = 0;
  ThreadPool* pool = nullptr;
  std::function<void(std::size_t)> run;  // runs a task and counts it done; see for_each_io
  std::atomic<std::size_t> next{0};      // the next task to take
  std::mutex mutex;
  std::condition_variable all_done;
  std::size_t done = 0;  // guarded by mutex
};

void wake_helper(const std::shared_ptr<IoBatch>& batch);

// Takes tasks until none is left; wakes the next helper while others are left after the first
// it takes.
void take_tasks(const std::shared_ptr<IoBatch>& batch, bool wake) {
  for (std::size_t i = batch->next.fetch_add(1); i < batch->count; i = batch->next.fetch_add(1)) {
    if (wake && i + 1 < batch->count) {
      wake_helper(batch);
    }
    wake = false;
    batch->run(i);
  }
}

void wake_helper(const std::shared_ptr<IoBatch>& batch) {
  try {
    batch->pool->submit([batch] { take_tasks(batch, true); });
  } catch (...) {  // not submitted (no memory): the threads already on the batch do its tasks
  }
}

// Runs task(0..count-1): in turn, or with `pool` (async I/O) concurrently: the calling thread
// and pool helpers take tasks in turn until none is left. One helper is woken first, and each
// helper, when it takes a task, wakes the next while tasks are left: on slow storage every
// task soon has its own thread; on fast storage the calling thread takes them all and waits
// for no thread (a helper woken late finds nothing). No thread is started per task. Waits for
// every task; one failure is rethrown as it is, several become one Error listing each
// (list_failures, in task order), so that no failed dataset goes unmentioned.
template <class Task>
void for_each_io(ThreadPool* pool, std::size_t count, std::string_view what, Task&& task) {
  if (pool == nullptr || count < 2) {
    for (std::size_t i = 0; i < count; ++i) {
      task(i);
    }
    return;
  }
  std::vector<std::exception_ptr> errors(count);  // by task; each written by its own task
  auto batch = std::make_shared<IoBatch>();
  batch->count = count;
  batch->pool = pool;
  // Touches this frame only for a task taken, which this call waits for.
  batch->run = [&task, &errors, count, &tasks = *batch](std::size_t i) {
    try {
      task(i);
    } catch (...) {
      errors[i] = std::current_exception();
    }
    const std::lock_guard lock(tasks.mutex);
    if (++tasks.done == count) {
      tasks.all_done.notify_one();
    }
  };
  wake_helper(batch);
  take_tasks(batch, false);
  {
    std::unique_lock lock(batch->mutex);
    batch->all_done.wait(lock, [&] { return batch->done == count; });
  }
  std::erase(errors, nullptr);
  if (errors.size() == 1) {
    std::rethrow_exception(errors.front());
  }
  if (errors.size() > 1) {
    std::vector<std::string> messages;
    for (const auto& error : errors) {
      messages.push_back(message_of(error));
    }
    throw Error(list_failures(fmt::format("{} of its {} {} failed:", errors.size(), count, what),
                              messages));
  }
}

// The datasets of the run, or RunError naming the free inputs the catalog does not have.
std::shared_ptr<const Catalog::Datasets> bind_datasets(const Pipeline& pipeline, Catalog& catalog) {
  std::vector<std::uint32_t> missing_ids;
  auto datasets = catalog.bind(pipeline, missing_ids);
  if (datasets) {
    return datasets;
  }
  std::vector<std::string> missing;
  for (const std::uint32_t id : missing_ids) {
    const auto& first_reader = pipeline.nodes()[pipeline.consumers_of(id).front()];
    missing.push_back(
        fmt::format("'{}' (read by node '{}')", pipeline.dataset_name(id), first_reader.name()));
  }
  std::sort(missing.begin(), missing.end());
  throw RunError(fmt::format(
      "pipeline input{} {} {} not in the catalog; add {} to conf/base/catalog.yml (or "
      "parameters.yml for params:), or run the nodes that produce {} too",
      missing.size() == 1 ? "" : "s", fmt::join(missing, ", "), missing.size() == 1 ? "is" : "are",
      missing.size() == 1 ? "it" : "them", missing.size() == 1 ? "it" : "them"));
}

// A thread's vectors for a node's input and output values, reused from node to node so that
// running a node allocates nothing once they have grown. A node that runs a pipeline itself
// (a nested run on the same thread) gets vectors of its own.
struct NodeBuffers {
  std::vector<Value> inputs;
  std::vector<Value> outputs;
  bool in_use = false;
};
thread_local NodeBuffers thread_buffers;

// Lends the thread's buffers, or, when they are lent already (a nested run on this thread),
// buffers of its own made in `spare`; empties them after.
class BorrowedBuffers {
 public:
  explicit BorrowedBuffers(std::optional<NodeBuffers>& spare)
      : buffers_(thread_buffers.in_use ? spare.emplace() : thread_buffers) {
    buffers_.in_use = true;
  }
  BorrowedBuffers(const BorrowedBuffers&) = delete;
  BorrowedBuffers& operator=(const BorrowedBuffers&) = delete;
  ~BorrowedBuffers() {
    buffers_.inputs.clear();  // no value outlives the node in a thread's buffers
    buffers_.outputs.clear();
    buffers_.in_use = false;
  }
  NodeBuffers* operator->() const { return &buffers_; }

 private:
  NodeBuffers& buffers_;
};

// Starts Dataset::prepare_save of every dataset the plan saves that outlives the process (a
// file's writer lock: a round trip on a remote filesystem) on `pool`, at once: they overlap
// the first nodes' loads instead of each waiting in front of its first save.
void prepare_saves(const RunState& state, std::optional<ThreadPool>& pool) {
  constexpr std::size_t kMostAtOnce = 64;
  for (std::size_t node = 0; node < state.plan.node_count(); ++node) {
    for (const Plan::DatasetId id : state.plan.outputs_of(node)) {
      std::shared_ptr<Dataset> dataset = (*state.datasets)[id];
      if (dataset->is_ephemeral()) {
        continue;
      }
      if (!pool) {
        pool.emplace(1, kMostAtOnce, "claim");
      }
      pool->submit([dataset = std::move(dataset)] { dataset->prepare_save(); });
    }
  }
}

}  // namespace

RunState::RunState(const Plan& plan_, Catalog& catalog_,
                   std::shared_ptr<const Catalog::Datasets> datasets_, bool async_io_,
                   bool keep_inputs_)
    : plan(plan_),
      catalog(catalog_),
      hooks(catalog_.hooks()),
      async_io(async_io_),
      keep_inputs(keep_inputs_),
      datasets(std::move(datasets_)) {
  if (async_io) {
    // Grows to the most loads or saves in flight at once; one thread until then.
    io_pool = std::make_unique<ThreadPool>(1, ThreadPool::max_threads, "I/O");
  }
}

std::map<std::string, Value> Runner::run(const Pipeline& pipeline, Catalog& catalog, RunInfo info) {
  if (info.runner.empty()) {
    info.runner = name();
  }
  info.rank = rank();
  info.ranks = ranks();
  LocalRankMail mail(info.rank);
  info.mail = &mail;
  const HookManager* hooks = catalog.hooks();
  const HookManager::RunScope run_scope(hooks);  // no hook is added until the run ends
  // Under a runner of several processes, the pipeline events are rank 0's and the rank events
  // the runner's own (from run_plan).
  const bool pipeline_events = hooks != nullptr && info.rank == 0;
  const bool rank_events = hooks != nullptr && info.ranks == 1;
  bool rank_open = false;
  std::map<std::string, Value> outputs;
  std::vector<std::uint8_t> finished;  // by node, once the plan runs
  try {
    if (pipeline_events) {
      hooks->before_pipeline_run(info, pipeline, CatalogView(catalog));
    }
    // Both are made once per pipeline and kept: the plan with the pipeline, the binding of
    // its datasets in the catalog.
    auto datasets = bind_datasets(pipeline, catalog);
    const Plan plan(pipeline);
    RunState state(plan, catalog, std::move(datasets), async_io_, keep_inputs_);
    state.run = &info;
    state.mail = &mail;
    finished.assign(plan.node_count(), 0);
    // Under a runner of several processes, each saves as itself: the ranks claim on their own.
    std::optional<ThreadPool> preparing;  // joined before the state goes
    if (info.ranks == 1) {
      prepare_saves(state, preparing);
    }
    if (rank_events) {
      rank_open = true;
      hooks->before_rank_run(info, pipeline, CatalogView(catalog));
    }
    try {
      run_plan(state, finished);
    } catch (const NodeError& error) {
      const std::vector<bool> done(finished.begin(), finished.end());
      throw NodeError(error.node(), error.phase(), error.cause_message(),
                      resume_nodes(pipeline, catalog, done, error.unreadable_inputs()),
                      error.cause(), error.unreadable_inputs(), error.other_failures());
    }
    if (rank_events) {
      // A hook found at the end of the rank's share that the run failed (a background write):
      // on_rank_error follows, with that error.
      hooks->after_rank_run(info, pipeline, CatalogView(catalog));
      rank_open = false;
    }
    for (Plan::DatasetId id = 0; id < plan.dataset_count(); ++id) {
      if (plan.is_free_output(id) && state.dataset(id).is_ephemeral()) {
        outputs.emplace(pipeline.dataset_name(id),
                        catalog.load(pipeline.dataset_name(id), state.dataset(id)));
      }
    }
  } catch (const std::exception& error) {
    fail(info, pipeline, catalog, error, finished, rank_open);
  }
  if (pipeline_events) {
    try {
      hooks->after_pipeline_run(info, pipeline, CatalogView(catalog));
    } catch (const std::exception& error) {
      // A hook found at the end that the run failed: observers hear it.
      fail(info, pipeline, catalog, error, finished, false);
    }
  }
  if (info.rank == 0) {
    logger().info("Pipeline execution completed successfully.");
  }
  return outputs;
}

namespace {
// `error` with what hooks reported not persisted while the run was failing, when they did.
std::exception_ptr with_lost(const std::exception_ptr& error,
                             const std::vector<std::string>& lost) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& current) {
    try {
      add_not_persisted(current, lost);
    } catch (...) {
      return std::current_exception();
    }
  }
  return error;
}
}  // namespace

void Runner::fail(const RunInfo& info, const Pipeline& pipeline, const Catalog& catalog,
                  const std::exception& error, const std::vector<std::uint8_t>& finished,
                  bool rank_open) const {
  std::exception_ptr run_error = with_resume_suggestion(error, pipeline, catalog, finished);
  const HookManager* hooks = catalog.hooks();
  auto emit = [&](auto&& event) {
    try {
      std::rethrow_exception(run_error);
    } catch (const std::exception& current) {
      run_error = with_lost(run_error, event(current));
    }
  };
  if (hooks != nullptr && rank_open) {
    emit([&](const std::exception& current) {
      return hooks->on_rank_error(info, pipeline, CatalogView(catalog), current);
    });
  }
  if (hooks != nullptr && info.rank == 0) {
    emit([&](const std::exception& current) {
      return hooks->on_pipeline_error(info, pipeline, CatalogView(catalog), current);
    });
  }
  std::rethrow_exception(run_error);
}

void Runner::emit_before_rank_run(const RunState& state) {
  if (state.hooks != nullptr && state.run != nullptr) {
    state.hooks->before_rank_run(*state.run, state.plan.pipeline(), CatalogView(state.catalog));
  }
}

void Runner::emit_after_rank_run(const RunState& state) {
  if (state.hooks != nullptr && state.run != nullptr) {
    state.hooks->after_rank_run(*state.run, state.plan.pipeline(), CatalogView(state.catalog));
  }
}

std::vector<std::string> Runner::emit_rank_error(const RunState& state,
                                                 const std::exception& error) {
  if (state.hooks == nullptr || state.run == nullptr) {
    return {};
  }
  return state.hooks->on_rank_error(*state.run, state.plan.pipeline(), CatalogView(state.catalog),
                                    error);
}

std::exception_ptr Runner::with_resume_suggestion(const std::exception& error,
                                                  const Pipeline& pipeline, const Catalog& catalog,
                                                  const std::vector<std::uint8_t>& finished) const {
  const auto* resumable = dynamic_cast<const ResumableError*>(&error);
  if (resumable != nullptr && !resumable->resume_nodes().empty()) {
    return std::current_exception();  // a node's error: it has its suggestion
  }
  // Before any node finished there is nothing to resume from: the run starts over.
  if (std::find(finished.begin(), finished.end(), 1) == finished.end()) {
    return std::current_exception();
  }
  std::vector<bool> done(finished.begin(), finished.end());
  // Nodes whose outputs were not all persisted count as unfinished.
  std::vector<std::string> lost = not_persisted_datasets(error);
  for (const auto& dataset : lost) {
    if (const auto producer = pipeline.producer_of(dataset)) {
      done[*producer] = false;
    }
  }
  std::vector<std::string> starts = resume_nodes(pipeline, catalog, done, {});
  if (starts.empty()) {
    return std::current_exception();
  }
  const std::string summary = resumable != nullptr ? resumable->summary() : error.what();
  if (!lost.empty()) {
    return std::make_exception_ptr(NotPersistedError(summary, std::move(lost), std::move(starts)));
  }
  return std::make_exception_ptr(ResumableError(summary, std::move(starts)));
}

std::vector<std::string> Runner::resume_nodes(const Pipeline& pipeline, const Catalog& catalog,
                                              const std::vector<bool>& finished,
                                              const std::vector<std::string>& unreadable) const {
  std::vector<std::string> starts = find_resume_nodes(pipeline, catalog, finished, unreadable);
  // An unreadable free input whose producer is in the pipeline this one was filtered from:
  // the search goes on there, from the starts found, everything above them counting as run.
  const bool produced_outside =
      source_ && std::any_of(unreadable.begin(), unreadable.end(), [&](const std::string& name) {
        return !pipeline.producer_of(name) && source_->producer_of(name);
      });
  if (!produced_outside || starts.empty()) {
    return starts;
  }
  const Pipeline upstream = source_->to_nodes(starts);
  std::vector<bool> upstream_finished(upstream.size(), true);
  for (std::size_t i = 0; i < upstream.size(); ++i) {
    const auto& name = upstream.nodes()[i].name();
    upstream_finished[i] = std::find(starts.begin(), starts.end(), name) == starts.end();
  }
  return find_resume_nodes(upstream, catalog, upstream_finished, unreadable);
}

void Runner::run_node(const RunState& state, std::size_t index) {
  const Pipeline& pipeline = state.plan.pipeline();
  const Node& node = pipeline.nodes()[index];
  const HookManager* hooks = state.hooks;
  const CatalogView catalog(state.catalog);
  std::vector<std::string> unreadable;  // inputs whose load failed
  auto fail = [&](NodePhase phase) {
    const std::string message = current_exception_message();
    if (hooks != nullptr) {
      try {
        throw;
      } catch (const std::exception& error) {
        hooks->on_node_error(node, catalog, error, phase);
      } catch (...) {
        hooks->on_node_error(node, catalog, std::runtime_error(message), phase);
      }
    }
    throw NodeError(node.name(), phase, message, {}, std::current_exception(), unreadable);
  };
  const auto& input_ids = pipeline.input_ids(index);
  std::optional<NodeBuffers> spare;  // made only for a nested run
  const BorrowedBuffers buffers(spare);
  std::vector<Value>& inputs = buffers->inputs;
  inputs.resize(input_ids.size());
  std::mutex unreadable_mutex;
  try {
    for_each_io(state.io_pool.get(), input_ids.size(), "loads", [&](std::size_t i) {
      const std::string& name = pipeline.dataset_name(input_ids[i]);
      try {
        inputs[i] = state.catalog.load(name, state.dataset(input_ids[i]), &node);
      } catch (...) {
        const std::lock_guard lock(unreadable_mutex);
        unreadable.push_back(name);
        throw;
      }
    });
  } catch (...) {
    fail(NodePhase::load);
  }
  if (auto& log = logger(); log.should_log(spdlog::level::info)) {
    log.info("Running node: {}([{}]) -> [{}]", node.name(), fmt::join(node.inputs(), ","),
             fmt::join(node.outputs(), ","));
  }
  std::vector<Value>& outputs = buffers->outputs;
  try {
    if (hooks != nullptr) {
      hooks->before_node_run(node, catalog, inputs);
    }
    node.run(inputs, outputs);
    if (hooks != nullptr) {
      hooks->after_node_run(node, catalog, inputs, outputs);
    }
  } catch (...) {
    fail(NodePhase::run);
  }
  inputs.clear();
  try {
    const auto& output_ids = pipeline.output_ids(index);
    for_each_io(state.io_pool.get(), outputs.size(), "saves", [&](std::size_t i) {
      state.catalog.save(pipeline.dataset_name(output_ids[i]), state.dataset(output_ids[i]),
                         outputs[i], &node);
    });
  } catch (...) {
    fail(NodePhase::save);
  }
}

ReleaseTracker::ReleaseTracker(const RunState& state, bool concurrent)
    : state_(state),
      concurrent_(concurrent),
      remaining_(std::make_unique<std::atomic<std::uint32_t>[]>(state.plan.dataset_count())) {
  const Plan& plan = state.plan;
  for (Plan::DatasetId id = 0; id < plan.dataset_count(); ++id) {
    // A kept input never reaches zero: one more consumer than it has.
    const bool kept = state.keep_inputs && plan.is_free_input(id);
    remaining_[id].store(plan.consumer_count(id) + (kept ? 1 : 0), std::memory_order_relaxed);
  }
}

void ReleaseTracker::node_finished(std::size_t node) {
  const Plan& plan = state_.plan;
  for (Plan::DatasetId id : plan.inputs_of(node)) {
    auto& remaining = remaining_[id];
    // acq_rel: the releasing thread sees every other consumer's work on the dataset done. On
    // one thread a plain decrement does (relaxed load and store: no locked instruction).
    std::uint32_t before = 0;
    if (concurrent_) {
      before = remaining.fetch_sub(1, std::memory_order_acq_rel);
    } else {
      before = remaining.load(std::memory_order_relaxed);
      remaining.store(before - 1, std::memory_order_relaxed);
    }
    if (before == 1 && !plan.is_free_output(id)) {
      state_.catalog.release(plan.dataset_name(id), state_.dataset(id));
    }
  }
}

}  // namespace sluice
