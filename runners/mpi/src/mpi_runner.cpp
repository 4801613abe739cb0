#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include <fmt/format.h>
#include <mpi.h>
#include <spdlog/spdlog.h>

#include <sluice/core/error.hpp>
#include <sluice/core/log.hpp>
#include <sluice/runners/mpi/mpi_runner.hpp>
#include <sluice/runners/node_error.hpp>

namespace sluice {
namespace {

// What a message on the control communicator says (its first header word).
enum Control : std::uint64_t { kRun = 1, kStop = 2, kDoneOk = 3, kDoneFailed = 4, kReport = 5 };
// Tags on the service communicator, which each rank's progress thread serves.
enum Service : int { kFetch = 1, kRelease = 2, kQuit = 3 };
constexpr int kControlTag = 1;
// Replies to fetches go on the data communicator, each on a tag of its own from here on.
constexpr int kFirstReplyTag = 16;

// MPI, initialised once per process with MPI_THREAD_MULTIPLE and finalised when the process
// (or the plugin, when it is unloaded) ends, unless someone else initialised it.
class MpiWorld {
 public:
  static MpiWorld& get() {
    static MpiWorld world;
    return world;
  }
  MpiWorld(const MpiWorld&) = delete;
  MpiWorld& operator=(const MpiWorld&) = delete;
  ~MpiWorld() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (initialized_here_ && finalized == 0) {
      MPI_Finalize();
    }
  }

  int rank = 0;
  int size = 1;
  int tag_ub = 32767;

 private:
  MpiWorld() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    int provided = 0;
    if (initialized == 0) {
      MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided);
      initialized_here_ = true;
    } else {
      MPI_Query_thread(&provided);
    }
    if (provided < MPI_THREAD_MULTIPLE) {
      throw RunError(
          "runner 'mpi': the MPI library does not provide MPI_THREAD_MULTIPLE (each rank "
          "serves fetches from a thread of its own while it runs a node); use an MPI built "
          "with thread support (Debian's Open MPI is), or run with --runner parallel");
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    void* value = nullptr;
    int found = 0;
    MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &value, &found);
    if (found != 0) {
      tag_ub = *static_cast<int*>(value);
    }
  }

  bool initialized_here_ = false;
};

// Length-prefixed fields in a byte string, for the runner's own messages.
class Writer {
 public:
  Writer& number(std::uint64_t value) {
    bytes_.append(reinterpret_cast<const char*>(&value), sizeof value);
    return *this;
  }
  Writer& text(std::string_view value) {
    number(value.size());
    bytes_.append(value);
    return *this;
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  std::uint64_t number() {
    std::uint64_t value = 0;
    std::memcpy(&value, take(sizeof value).data(), sizeof value);
    return value;
  }
  std::string text() { return std::string(take(number())); }

 private:
  std::string_view take(std::size_t count) {
    if (count > bytes_.size()) {
      throw Error(
          "runner 'mpi': a message between ranks is truncated (ranks of different builds?)");
    }
    const std::string_view part = bytes_.substr(0, count);
    bytes_.remove_prefix(count);
    return part;
  }
  std::string_view bytes_;
};

// Waits for a request without holding a core: Open MPI's blocking calls poll without pause, and
// a rank's two threads (the node's and the progress thread) plus more ranks than cores (the
// usual test setup, --oversubscribe) would take turns at spinning. Polls briefly, then sleeps
// between polls (up to ~0.1 ms added to a wait that lasts longer than the spin).
void wait_for(MPI_Request& request, MPI_Status* status) {
  int done = 0;
  for (int polls = 0;; ++polls) {
    MPI_Test(&request, &done, status);
    if (done != 0) {
      return;
    }
    if (polls >= 64) {
      std::this_thread::sleep_for(std::chrono::microseconds(polls < 4096 ? 10 : 100));
    }
  }
}

void send(const void* data, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm) {
  MPI_Request request = MPI_REQUEST_NULL;
  MPI_Isend(data, count, type, dest, tag, comm, &request);
  wait_for(request, MPI_STATUS_IGNORE);
}

void receive(void* data, int count, MPI_Datatype type, int source, int tag, MPI_Comm comm,
             MPI_Status* status) {
  MPI_Request request = MPI_REQUEST_NULL;
  MPI_Irecv(data, count, type, source, tag, comm, &request);
  wait_for(request, status);
}

// A message: a header {kind, size}, then the bytes in chunks (message_chunks). The chunks of
// one message follow its header from the same rank on the same tag, and MPI does not reorder
// those.
void send_message(MPI_Comm comm, int dest, int tag, std::uint64_t kind, std::string_view bytes,
                  std::size_t max_chunk) {
  std::uint64_t header[2] = {kind, bytes.size()};
  send(header, 2, MPI_UINT64_T, dest, tag, comm);
  for (const mpi::Chunk& chunk : mpi::message_chunks(bytes.size(), max_chunk)) {
    send(bytes.data() + chunk.offset, chunk.count, MPI_BYTE, dest, tag, comm);
  }
}

struct Message {
  std::uint64_t kind = 0;
  std::string bytes;
  int source = 0;
};

Message receive_message(MPI_Comm comm, int source, int tag, std::size_t max_chunk) {
  std::uint64_t header[2] = {0, 0};
  MPI_Status status;
  receive(header, 2, MPI_UINT64_T, source, tag, comm, &status);
  Message message;
  message.kind = header[0];
  message.source = status.MPI_SOURCE;
  message.bytes.resize(header[1]);
  for (const mpi::Chunk& chunk : mpi::message_chunks(header[1], max_chunk)) {
    receive(message.bytes.data() + chunk.offset, chunk.count, MPI_BYTE, message.source, tag, comm,
            MPI_STATUS_IGNORE);
  }
  return message;
}

// The same, from `root` to every rank (a collective: every rank calls it).
std::string broadcast(MPI_Comm comm, int root, std::string bytes, std::size_t max_chunk) {
  std::uint64_t size = bytes.size();
  MPI_Request request = MPI_REQUEST_NULL;
  MPI_Ibcast(&size, 1, MPI_UINT64_T, root, comm, &request);
  wait_for(request, MPI_STATUS_IGNORE);
  bytes.resize(size);
  for (const mpi::Chunk& chunk : mpi::message_chunks(size, max_chunk)) {
    MPI_Ibcast(bytes.data() + chunk.offset, chunk.count, MPI_BYTE, root, comm, &request);
    wait_for(request, MPI_STATUS_IGNORE);
  }
  return bytes;
}

// The communicators of one run: control (scheduler and workers), service (fetch and release
// requests, served by the progress threads) and data (fetch replies).
struct Communicators {
  Communicators() {
    for (MPI_Comm* comm : {&control, &service, &data}) {
      MPI_Request request = MPI_REQUEST_NULL;
      MPI_Comm_idup(MPI_COMM_WORLD, comm, &request);
      wait_for(request, MPI_STATUS_IGNORE);
    }
  }
  Communicators(const Communicators&) = delete;
  Communicators& operator=(const Communicators&) = delete;
  ~Communicators() {
    MPI_Comm_free(&data);
    MPI_Comm_free(&service);
    MPI_Comm_free(&control);
  }
  MPI_Comm control{};
  MPI_Comm service{};
  MPI_Comm data{};
};

// What every rank shares in one run.
struct Context {
  const RunState& state;
  const CodecRegistry& codecs;
  const Communicators& comms;
  std::size_t max_chunk;
  int rank;
  int tag_ub;
  std::atomic<int> next_reply_tag{kFirstReplyTag};

  int reply_tag() {
    const int span = tag_ub - kFirstReplyTag + 1;
    const int drawn = next_reply_tag.fetch_add(1, std::memory_order_relaxed);
    return kFirstReplyTag + (drawn - kFirstReplyTag) % span;
  }
};

// A dataset a node of this run produces, as a worker rank sees it: it loads from the rank that
// produced it (set before the consuming node runs), locally when that is this rank.
class RankDataset final : public Dataset {
 public:
  RankDataset(Context& context, Plan::DatasetId id, std::shared_ptr<Dataset> local)
      : context_(context), id_(id), local_(std::move(local)) {}

  void set_owner(int rank) { owner_.store(rank, std::memory_order_relaxed); }

  Value load() override {
    const int owner = owner_.load(std::memory_order_relaxed);
    if (owner < 0 || owner == context_.rank) {
      return local_->load();
    }
    const int tag = context_.reply_tag();
    std::uint64_t request[2] = {id_, static_cast<std::uint64_t>(tag)};
    send(request, 2, MPI_UINT64_T, owner, kFetch, context_.comms.service);
    Message codec = receive_message(context_.comms.data, owner, tag, context_.max_chunk);
    if (codec.kind != 0) {
      throw DatasetError(
          fmt::format("{} (fetching it from rank {}, which produced it)", codec.bytes, owner));
    }
    const Message value = receive_message(context_.comms.data, owner, tag, context_.max_chunk);
    return context_.codecs.by_name(codec.bytes).decode(value.bytes);
  }
  void save(const Value& value) override { local_->save(value); }
  bool exists() const override { return owner_.load() >= 0 || local_->exists(); }
  void release() override { local_->release(); }
  std::string dataset_type() const override { return local_->dataset_type(); }
  std::string describe() const override { return local_->describe(); }
  bool is_ephemeral() const override { return local_->is_ephemeral(); }
  void prepare_save() override { local_->prepare_save(); }
  void held_values(std::vector<Value>& out) const override { local_->held_values(out); }
  bool write_pending() const override { return local_->write_pending(); }
  void wait_for_writes() const override { local_->wait_for_writes(); }

 private:
  Context& context_;
  Plan::DatasetId id_;
  std::shared_ptr<Dataset> local_;
  std::atomic<int> owner_{-1};
};

// A worker rank's progress thread: serves fetches of the values this rank produced, and
// releases them when rank 0 says their last consumer finished, until rank 0 says quit.
void serve(Context& context) {
  const RunState& state = context.state;
  for (;;) {
    std::uint64_t request[2] = {0, 0};
    MPI_Status status;
    receive(request, 2, MPI_UINT64_T, MPI_ANY_SOURCE, MPI_ANY_TAG, context.comms.service, &status);
    if (status.MPI_TAG == kQuit) {
      return;
    }
    const auto id = static_cast<Plan::DatasetId>(request[0]);
    const std::string& name = state.plan.dataset_name(id);
    if (status.MPI_TAG == kRelease) {
      try {
        state.catalog.release(name, state.dataset(id));
      } catch (...) {
        logger().warn("runner 'mpi': releasing dataset '{}' failed: {}", name,
                      current_exception_message());
      }
      continue;
    }
    const int tag = static_cast<int>(request[1]);
    std::string bytes;
    std::uint64_t failed = 0;
    std::string codec_name;
    try {
      const Value value = state.dataset(id).load();
      const Codec& codec = context.codecs.for_type(value.type(), name);
      codec_name = codec.name;
      bytes = codec.encode(value);
    } catch (...) {
      failed = 1;
      codec_name = current_exception_message();
    }
    send_message(context.comms.data, status.MPI_SOURCE, tag, failed, codec_name, context.max_chunk);
    if (failed == 0) {
      send_message(context.comms.data, status.MPI_SOURCE, tag, 0, bytes, context.max_chunk);
    }
  }
}

// How the run ended, as rank 0 tells every rank.
struct Outcome {
  std::vector<std::uint8_t> finished;
  std::vector<std::int64_t> owners;  // by dataset: the rank that produced it, or -1
  bool failed = false;
  std::string node;
  std::uint64_t phase = 0;
  std::string message;
  std::vector<std::string> unreadable;
  std::vector<std::string> others;
  // A failure outside any node: a hook's rank event on some rank (the first one's message; the
  // others are in `others`), and the datasets hooks said were not persisted.
  std::string rank_failure;
  std::vector<std::string> lost;

  std::string encode() const {
    Writer out;
    out.text(std::string_view(reinterpret_cast<const char*>(finished.data()), finished.size()));
    out.number(owners.size());
    for (const std::int64_t owner : owners) {
      out.number(static_cast<std::uint64_t>(owner));
    }
    out.number(failed ? 1 : 0).text(node).number(phase).text(message);
    out.number(unreadable.size());
    for (const auto& name : unreadable) {
      out.text(name);
    }
    out.number(others.size());
    for (const auto& other : others) {
      out.text(other);
    }
    out.text(rank_failure).number(lost.size());
    for (const auto& name : lost) {
      out.text(name);
    }
    return out.bytes();
  }
  static Outcome decode(std::string_view bytes) {
    Reader in(bytes);
    Outcome outcome;
    const std::string finished = in.text();
    outcome.finished.assign(finished.begin(), finished.end());
    outcome.owners.resize(in.number());
    for (auto& owner : outcome.owners) {
      owner = static_cast<std::int64_t>(in.number());
    }
    outcome.failed = in.number() != 0;
    outcome.node = in.text();
    outcome.phase = in.number();
    outcome.message = in.text();
    outcome.unreadable.resize(in.number());
    for (auto& name : outcome.unreadable) {
      name = in.text();
    }
    outcome.others.resize(in.number());
    for (auto& other : outcome.others) {
      other = in.text();
    }
    outcome.rank_failure = in.text();
    outcome.lost.resize(in.number());
    for (auto& name : outcome.lost) {
      name = in.text();
    }
    return outcome;
  }
};

// How one rank's share of the run ended, as its rank events saw it: after_rank_run failed (its
// message, and the datasets it said were not persisted), and what on_rank_error reported not
// persisted. A worker sends it to rank 0 with what its hooks posted.
struct RankEnd {
  bool failed = false;
  std::string message;
  std::vector<std::string> lost;
  std::vector<std::string> lost_messages;

  void write(Writer& out) const {
    out.number(failed ? 1 : 0).text(message).number(lost.size());
    for (const auto& name : lost) {
      out.text(name);
    }
    out.number(lost_messages.size());
    for (const auto& text : lost_messages) {
      out.text(text);
    }
  }
  static RankEnd read(Reader& in) {
    RankEnd end;
    end.failed = in.number() != 0;
    end.message = in.text();
    end.lost.resize(in.number());
    for (auto& name : end.lost) {
      name = in.text();
    }
    end.lost_messages.resize(in.number());
    for (auto& text : end.lost_messages) {
      text = in.text();
    }
    return end;
  }
};

// Rank 0: sends each node to a free rank once its inputs exist, tracks where each value is,
// releases values after their last consumer, and stops the workers when nothing runs.
class Scheduler {
 public:
  // `refused`: why rank 0's before_rank_run failed (then no node is sent), or "".
  Scheduler(Context& context, int size, std::string refused)
      : context_(context), plan_(context.state.plan) {
    outcome_.rank_failure = std::move(refused);
    const std::size_t nodes = plan_.node_count();
    outcome_.finished.assign(nodes, 0);
    outcome_.owners.assign(plan_.dataset_count(), -1);
    waiting_.resize(nodes);
    for (std::size_t node = 0; node < nodes; ++node) {
      for (const Plan::DatasetId id : plan_.inputs_of(node)) {
        waiting_[node] += plan_.is_free_input(id) ? 0 : 1;
      }
      if (waiting_[node] == 0) {
        ready_.push_back(node);
      }
    }
    remaining_.resize(plan_.dataset_count());
    readers_.resize(plan_.dataset_count());
    for (Plan::DatasetId id = 0; id < plan_.dataset_count(); ++id) {
      const bool kept = context.state.keep_inputs && plan_.is_free_input(id);
      remaining_[id] = plan_.consumer_count(id) + (kept ? 1 : 0);
    }
    for (int rank = 1; rank < size; ++rank) {
      idle_.push_back(rank);
    }
    workers_ = size - 1;
  }

  // Runs the nodes, then stops every worker, telling it whether the run failed and why.
  void run() {
    std::size_t running = 0;
    for (;;) {
      while (!failed() && !ready_.empty() && !idle_.empty()) {
        dispatch(ready_.front(), idle_.front());
        ready_.pop_front();
        idle_.pop_front();
        ++running;
      }
      if (running == 0) {
        break;
      }
      const Message done =
          receive_message(context_.comms.control, MPI_ANY_SOURCE, kControlTag, context_.max_chunk);
      --running;
      idle_.push_back(done.source);
      finish(done);
    }
    Writer stop;
    stop.number(failed() ? 1 : 0).text(summary());
    for (int rank = 1; rank <= workers_; ++rank) {
      send_message(context_.comms.control, rank, kControlTag, kStop, stop.bytes(),
                   context_.max_chunk);
      std::uint64_t quit[2] = {0, 0};
      send(quit, 2, MPI_UINT64_T, rank, kQuit, context_.comms.service);
    }
  }

  bool failed() const { return outcome_.failed || !outcome_.rank_failure.empty(); }
  // The run's error so far, for the ranks' on_rank_error.
  std::string summary() const {
    if (outcome_.failed) {
      return NodeError(outcome_.node, static_cast<NodePhase>(outcome_.phase), outcome_.message, {},
                       nullptr)
          .what();
    }
    return outcome_.rank_failure;
  }

  // How `rank`'s share ended (rank 0's own, or a worker's report).
  void add_end(const RankEnd& end) {
    if (end.failed && failed()) {
      outcome_.others.push_back(end.message);
    } else if (end.failed) {
      outcome_.rank_failure = end.message;
    }
    outcome_.lost.insert(outcome_.lost.end(), end.lost.begin(), end.lost.end());
    outcome_.others.insert(outcome_.others.end(), end.lost_messages.begin(),
                           end.lost_messages.end());
  }

  // Every worker's report, after it was stopped: how its share ended, and what its hooks
  // posted (into rank 0's mail).
  void collect_reports(LocalRankMail* mail) {
    for (int rank = 1; rank <= workers_; ++rank) {
      const Message report =
          receive_message(context_.comms.control, rank, kControlTag, context_.max_chunk);
      if (report.kind != kReport) {
        throw Error(fmt::format("runner 'mpi': rank {} sent message {} where its report was due",
                                rank, report.kind));
      }
      Reader in(report.bytes);
      add_end(RankEnd::read(in));
      const std::uint64_t posts = in.number();
      for (std::uint64_t i = 0; i < posts; ++i) {
        std::string key = in.text();
        std::string bytes = in.text();
        if (mail != nullptr) {
          mail->add(rank, key, std::move(bytes));
        }
      }
    }
  }

  const Outcome& outcome() const { return outcome_; }

 private:
  void dispatch(std::size_t node, int rank) {
    Writer out;
    out.number(node);
    const auto inputs = plan_.inputs_of(node);
    out.number(inputs.size());
    for (const Plan::DatasetId id : inputs) {
      out.number(id).number(static_cast<std::uint64_t>(outcome_.owners[id]));
      if (plan_.is_free_input(id)) {
        readers_[id].push_back(rank);
      }
    }
    send_message(context_.comms.control, rank, kControlTag, kRun, out.bytes(), context_.max_chunk);
  }

  void finish(const Message& done) {
    Reader in(done.bytes);
    const auto node = static_cast<std::size_t>(in.number());
    if (done.kind == kDoneFailed) {
      const std::uint64_t phase = in.number();
      std::string message = in.text();
      std::vector<std::string> unreadable(in.number());
      for (auto& name : unreadable) {
        name = in.text();
      }
      outcome_.unreadable.insert(outcome_.unreadable.end(), unreadable.begin(), unreadable.end());
      const std::string& name = plan_.pipeline().nodes()[node].name();
      if (!outcome_.failed) {
        outcome_.failed = true;
        outcome_.node = name;
        outcome_.phase = phase;
        outcome_.message = std::move(message);
      } else {
        outcome_.others.push_back(
            NodeError(name, static_cast<NodePhase>(phase), message, {}, nullptr).what());
      }
      return;
    }
    outcome_.finished[node] = 1;
    ++completed_;
    if (auto& log = logger(); log.should_log(spdlog::level::info)) {
      log.info("Completed {} out of {} tasks (on rank {})", completed_, plan_.node_count(),
               done.source);
    }
    for (const Plan::DatasetId id : plan_.outputs_of(node)) {
      outcome_.owners[id] = done.source;
      for (const std::size_t consumer : plan_.pipeline().consumers_of(id)) {
        if (--waiting_[consumer] == 0) {
          ready_.push_back(consumer);
        }
      }
    }
    for (const Plan::DatasetId id : plan_.inputs_of(node)) {
      if (--remaining_[id] == 0 && !plan_.is_free_output(id)) {
        release(id);
      }
    }
  }

  // Tells the rank holding the value (for a free input, every rank that loaded it) to drop it.
  void release(Plan::DatasetId id) {
    std::vector<int> holders = readers_[id];
    if (!plan_.is_free_input(id)) {
      holders.assign(1, static_cast<int>(outcome_.owners[id]));
    }
    std::sort(holders.begin(), holders.end());
    holders.erase(std::unique(holders.begin(), holders.end()), holders.end());
    for (const int rank : holders) {
      std::uint64_t request[2] = {id, 0};
      send(request, 2, MPI_UINT64_T, rank, kRelease, context_.comms.service);
    }
  }

  Context& context_;
  const Plan& plan_;
  Outcome outcome_;
  std::vector<std::uint32_t> waiting_;     // by node: inputs still to be produced
  std::vector<std::uint32_t> remaining_;   // by dataset: consumers still to finish
  std::vector<std::vector<int>> readers_;  // by free input: the ranks that loaded it
  std::deque<std::size_t> ready_;
  std::deque<int> idle_;
  int workers_ = 0;
  std::size_t completed_ = 0;
};

// A worker rank's main thread: runs the nodes rank 0 sends until it says stop.
// `refused`: why this rank's before_rank_run failed (then each node sent fails with it), or "".
// Returns whether the run failed (a node here, or what rank 0 says when it stops this rank) and
// the run's error as rank 0 summed it up.
std::pair<bool, std::string> work(Context& context, const RunState& local,
                                  const std::vector<std::shared_ptr<RankDataset>>& produced,
                                  void (*run_node)(const RunState&, std::size_t),
                                  const std::string& refused) {
  bool failed_here = false;
  for (;;) {
    const Message order = receive_message(context.comms.control, 0, kControlTag, context.max_chunk);
    if (order.kind == kStop) {
      Reader stop(order.bytes);
      const bool failed = stop.number() != 0;
      return {failed || failed_here, stop.text()};
    }
    Reader in(order.bytes);
    const auto node = static_cast<std::size_t>(in.number());
    const std::uint64_t inputs = in.number();
    for (std::uint64_t i = 0; i < inputs; ++i) {
      const auto id = static_cast<Plan::DatasetId>(in.number());
      const auto owner = static_cast<std::int64_t>(in.number());
      if (produced[id]) {
        produced[id]->set_owner(static_cast<int>(owner));
      }
    }
    Writer out;
    out.number(node);
    std::uint64_t kind = kDoneOk;
    try {
      if (!refused.empty()) {
        throw Error(refused);
      }
      run_node(local, node);
      for (const Plan::DatasetId id : local.plan.outputs_of(node)) {
        produced[id]->set_owner(context.rank);
      }
    } catch (const NodeError& error) {
      kind = kDoneFailed;
      out.number(static_cast<std::uint64_t>(error.phase())).text(error.cause_message());
      out.number(error.unreadable_inputs().size());
      for (const auto& name : error.unreadable_inputs()) {
        out.text(name);
      }
    } catch (...) {
      kind = kDoneFailed;
      out.number(static_cast<std::uint64_t>(NodePhase::run)).text(current_exception_message());
      out.number(0);
    }
    failed_here = failed_here || kind == kDoneFailed;
    send_message(context.comms.control, 0, kControlTag, kind, out.bytes(), context.max_chunk);
  }
}

// Every free output held in memory, from the rank that produced it to every other rank, so
// that each rank's run returns it. A collective: every rank calls it with the same outcome.
void share_free_outputs(const Context& context, const Outcome& outcome) {
  const Plan& plan = context.state.plan;
  for (Plan::DatasetId id = 0; id < plan.dataset_count(); ++id) {
    const int owner = static_cast<int>(outcome.owners[id]);
    Dataset& dataset = context.state.dataset(id);
    if (!plan.is_free_output(id) || owner < 0 || !dataset.is_ephemeral()) {
      continue;
    }
    const std::string& name = plan.dataset_name(id);
    Writer encoded;
    if (context.rank == owner) {
      try {
        const Value value = dataset.load();
        const Codec& codec = context.codecs.for_type(value.type(), name);
        encoded.number(0).text(codec.name).text(codec.encode(value));
      } catch (...) {
        encoded = Writer();
        encoded.number(1).text(current_exception_message());
      }
    }
    const std::string bytes =
        broadcast(context.comms.data, owner, encoded.bytes(), context.max_chunk);
    Reader in(bytes);
    if (in.number() != 0) {
      throw RunError(fmt::format(
          "runner 'mpi': the pipeline output '{}' cannot be sent from rank {} to the other "
          "ranks: {}",
          name, owner, in.text()));
    }
    const std::string codec = in.text();
    if (context.rank != owner) {
      dataset.save(context.codecs.by_name(codec).decode(in.text()));
    }
  }
}

// A failure outside any node (a message between ranks that does not parse: ranks of different
// builds) leaves the other ranks waiting for this one: the job is aborted instead of hanging.
[[noreturn]] void abort_job(const std::string& where) {
  logger().error("runner 'mpi': {} failed outside any node, aborting the MPI job: {}", where,
                 current_exception_message());
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::abort();
}

}  // namespace

MpiRunner::MpiRunner(const CodecRegistry& codecs, bool async_io, std::size_t max_message_bytes)
    : Runner(async_io), codecs_(codecs), max_message_bytes_(max_message_bytes) {
  const MpiWorld& world = MpiWorld::get();
  rank_ = world.rank;
  size_ = world.size;
  if (size_ < 2) {
    throw RunError(
        "runner 'mpi': this process is the only rank of its MPI job (started without mpirun, "
        "or with -np 1), and the mpi runner needs at least 2: rank 0 schedules, the others run "
        "nodes; start it as `mpirun -np 3 sluice run --runner mpi ...`, or use --runner "
        "sequential or parallel on one machine");
  }
}

void MpiRunner::run_plan(const RunState& state, std::vector<std::uint8_t>& finished) {
  const Communicators comms;
  Context context{state, codecs_, comms, max_message_bytes_, rank_, MpiWorld::get().tag_ub};
  // This rank's share begins: a hook's failure here fails the run (no node runs on this rank).
  std::string refused;
  try {
    emit_before_rank_run(state);
  } catch (...) {
    refused = fmt::format("rank {}: {}", rank_, current_exception_message());
  }
  // ... and ends: after_rank_run, or on_rank_error when the run failed (or after_rank_run did).
  auto end_share = [&](bool failed, const std::string& summary) {
    RankEnd end;
    if (failed) {
      end.lost_messages = emit_rank_error(state, RunError(summary));
      return end;
    }
    try {
      emit_after_rank_run(state);
    } catch (const std::exception& error) {
      end.failed = true;
      end.message = ranks() > 1 ? fmt::format("rank {}: {}", rank_, error.what()) : error.what();
      end.lost = not_persisted_datasets(error);
      end.lost_messages = emit_rank_error(state, error);
    }
    return end;
  };
  Outcome outcome;
  if (rank_ == 0) {
    try {
      Scheduler scheduler(context, size_, refused);
      scheduler.run();
      scheduler.add_end(end_share(scheduler.failed(), scheduler.summary()));
      scheduler.collect_reports(state.mail);
      outcome = scheduler.outcome();
    } catch (...) {
      abort_job("the scheduler (rank 0)");
    }
  } else {
    // This rank's view of the run's datasets: those a node produces load from their rank.
    auto datasets = std::make_shared<Catalog::Datasets>(*state.datasets);
    std::vector<std::shared_ptr<RankDataset>> produced(state.plan.dataset_count());
    for (Plan::DatasetId id = 0; id < state.plan.dataset_count(); ++id) {
      if (!state.plan.is_free_input(id)) {
        produced[id] = std::make_shared<RankDataset>(context, id, (*datasets)[id]);
        (*datasets)[id] = produced[id];
      }
    }
    const RunState local(state.plan, state.catalog, datasets, state.async_io, state.keep_inputs);
    std::thread progress([&context] { serve(context); });
    try {
      const auto [failed, summary] = work(context, local, produced, &run_node, refused);
      Writer report;
      end_share(failed, summary).write(report);
      const auto posts = state.mail != nullptr ? state.mail->posted()
                                               : std::vector<std::pair<std::string, std::string>>{};
      report.number(posts.size());
      for (const auto& [key, bytes] : posts) {
        report.text(key).text(bytes);
      }
      send_message(comms.control, 0, kControlTag, kReport, report.bytes(), max_message_bytes_);
    } catch (...) {
      abort_job(fmt::format("rank {}", rank_));
    }
    progress.join();
  }
  outcome = Outcome::decode(broadcast(comms.control, 0, outcome.encode(), max_message_bytes_));
  finished = outcome.finished;
  if (outcome.failed) {
    throw NodeError(outcome.node, static_cast<NodePhase>(outcome.phase), outcome.message, {},
                    nullptr, outcome.unreadable, outcome.others);
  }
  if (!outcome.rank_failure.empty()) {
    const std::string message = with_other_failures(outcome.rank_failure, outcome.others);
    if (!outcome.lost.empty()) {
      throw NotPersistedError(message, outcome.lost);
    }
    throw RunError(message);
  }
  share_free_outputs(context, outcome);
}

}  // namespace sluice
