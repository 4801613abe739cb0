#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <sluice/core/error.hpp>
#include <sluice/core/export.hpp>
#include <sluice/core/names.hpp>
#include <sluice/core/param.hpp>
#include <sluice/core/value.hpp>

namespace sluice {

struct NodeOptions {
  std::vector<std::string> tags = {};
  /// Prefixes the node's name: namespace "training" and name "fit" give "training.fit".
  std::string namespace_name = {};
};

/// A named function with named inputs and outputs. Immutable; copies share one definition.
///
/// Build nodes with sluice::node(), which adapts any typed callable. The parallel runner calls
/// different nodes at the same time, so a node's function must not touch unsynchronised
/// shared state.
class SLUICE_API Node {
 public:
  /// Runs the function on values given in input order and returns values in output order.
  using Function = std::function<std::vector<Value>(const std::vector<Value>& inputs,
                                                    const std::vector<std::string>& input_names)>;
  /// The same, appending the values to `outputs` (empty on entry) instead of returning a new
  /// vector: a runner that reuses one `outputs` vector allocates nothing per node. What
  /// sluice::node() builds, and what a node stores.
  using Body =
      std::function<void(const std::vector<Value>& inputs,
                         const std::vector<std::string>& input_names, std::vector<Value>& outputs)>;

  Node(std::string name, std::vector<std::string> inputs, std::vector<std::string> outputs,
       Function function, NodeOptions options = {});
  Node(std::string name, std::vector<std::string> inputs, std::vector<std::string> outputs,
       Body body, NodeOptions options = {});

  Node(const Node& other) noexcept : impl_(other.impl_) { share(); }
  Node(Node&& other) noexcept : impl_(std::exchange(other.impl_, nullptr)) {}
  Node& operator=(const Node& other) noexcept {
    Node copy(other);
    std::swap(impl_, copy.impl_);
    return *this;
  }
  Node& operator=(Node&& other) noexcept {
    std::swap(impl_, other.impl_);
    return *this;
  }
  ~Node() { drop(); }

  /// The full name, namespace included.
  const std::string& name() const { return impl_->name; }
  const std::string& namespace_name() const;
  const std::vector<std::string>& inputs() const { return impl_->inputs; }
  const std::vector<std::string>& outputs() const { return impl_->outputs; }
  const std::vector<std::string>& tags() const;
  bool has_tag(std::string_view tag) const;

  /// Calls the function. Throws sluice::Error if `inputs` does not match the declared inputs
  /// or the function returns the wrong number of values; anything the function throws passes
  /// through unchanged.
  std::vector<Value> run(const std::vector<Value>& inputs) const;
  /// The same into `outputs` (cleared first; its capacity is kept, so reusing one vector
  /// across calls allocates nothing).
  void run(const std::vector<Value>& inputs, std::vector<Value>& outputs) const;

  /// Same definition (copies of one node).
  bool same_as(const Node& other) const { return impl_ == other.impl_; }

  /// The same function under another full name (not prefixed again by the namespace of
  /// `options`), inputs, outputs and options: what pipeline() (modular_pipeline.hpp) makes.
  /// The checks of the constructor apply.
  Node renamed(std::string name, std::vector<std::string> inputs, std::vector<std::string> outputs,
               NodeOptions options) const;

  /// The same node (name, inputs, outputs, tags) running `function` instead.
  Node with_function(Function function) const;
  Node with_function(Body body) const;

 private:
  Node() = default;

  // One block per node, shared by its copies, which count their references in it (a pipeline
  // of 1M nodes holds 1M of these: no separate control block, and a Node of one pointer). Most
  // nodes have no tags and no namespace, so the options are kept out of line, and only when
  // not empty (8 bytes instead of 56).
  struct Impl {
    std::string name;
    std::vector<std::string> inputs;
    std::vector<std::string> outputs;
    Body body;
    std::unique_ptr<const NodeOptions> options;  // null when empty
    mutable std::atomic<std::uint32_t> references{1};
  };
  void share() const noexcept {
    if (impl_ != nullptr) {
      impl_->references.fetch_add(1, std::memory_order_relaxed);
    }
  }
  void drop() noexcept {
    if (impl_ != nullptr && impl_->references.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      destroy(impl_);
    }
  }
  static void destroy(const Impl* impl) noexcept;
  explicit Node(const Impl* impl) noexcept : impl_(impl) {}

  const Impl* impl_ = nullptr;
};

namespace detail {

template <class F>
struct callable_traits : callable_traits<decltype(&F::operator())> {};
template <class R, class... A>
struct callable_traits<R(A...)> {
  using result = R;
  using args = std::tuple<std::decay_t<A>...>;
};
template <class R, class... A>
struct callable_traits<R (*)(A...)> : callable_traits<R(A...)> {};
template <class R, class... A>
struct callable_traits<R (*)(A...) noexcept> : callable_traits<R(A...)> {};
template <class C, class R, class... A>
struct callable_traits<R (C::*)(A...)> : callable_traits<R(A...)> {};
template <class C, class R, class... A>
struct callable_traits<R (C::*)(A...) const> : callable_traits<R(A...)> {};
template <class C, class R, class... A>
struct callable_traits<R (C::*)(A...) noexcept> : callable_traits<R(A...)> {};
template <class C, class R, class... A>
struct callable_traits<R (C::*)(A...) const noexcept> : callable_traits<R(A...)> {};

template <class T>
struct is_tuple : std::false_type {};
template <class... T>
struct is_tuple<std::tuple<T...>> : std::true_type {};

template <class R>
constexpr std::size_t output_count() {
  if constexpr (std::is_void_v<R>) {
    return 0;
  } else if constexpr (is_tuple<R>::value) {
    return std::tuple_size_v<R>;
  } else {
    return 1;
  }
}

// Shares the input's data when the type matches (no copy); converts parameters to the plain
// C++ type a node asks for (`double` from `params:ratio`).
template <class T>
std::shared_ptr<const T> bind_input(const Value& value, const std::string& dataset) {
  if constexpr (!std::is_same_v<T, Param> && is_param_convertible<T>::value) {
    if (value.holds<Param>()) {
      return std::make_shared<const T>(value.get<Param>().as<T>(dataset));
    }
  }
  return value.share<T>(dataset);
}

template <class T>
Value wrap_output(T&& output) {
  if constexpr (std::is_same_v<std::decay_t<T>, Value>) {
    return std::forward<T>(output);
  } else {
    return Value::of<std::decay_t<T>>(std::forward<T>(output));
  }
}

template <class F, class Args, std::size_t... I>
void invoke_node(F& function, const std::vector<Value>& inputs,
                 const std::vector<std::string>& names, std::vector<Value>& outputs,
                 std::index_sequence<I...>) {
  // Bind every input first so a type mismatch is reported before the function runs.
  auto bound = std::make_tuple([&]() -> decltype(auto) {
    using Arg = std::tuple_element_t<I, Args>;
    if constexpr (std::is_same_v<Arg, Value>) {
      return inputs[I];
    } else {
      return bind_input<Arg>(inputs[I], names[I]);
    }
  }()...);
  auto argument = [](const auto& holder) -> decltype(auto) {
    if constexpr (std::is_same_v<std::decay_t<decltype(holder)>, Value>) {
      return holder;
    } else {
      return *holder;
    }
  };
  using R = std::invoke_result_t<F&, decltype(argument(std::get<I>(bound)))...>;
  if constexpr (std::is_void_v<R>) {
    std::invoke(function, argument(std::get<I>(bound))...);
  } else if constexpr (is_tuple<R>::value) {
    R result = std::invoke(function, argument(std::get<I>(bound))...);
    std::apply(
        [&outputs](auto&&... values) { (outputs.push_back(wrap_output(std::move(values))), ...); },
        std::move(result));
  } else {
    outputs.push_back(wrap_output(std::invoke(function, argument(std::get<I>(bound))...)));
  }
}

// A class whose operator() can be named without arguments: one, not a template, not overloaded.
template <class F>
concept has_one_call_operator = std::is_class_v<F> && requires {
  &F::operator();
};

[[noreturn]] SLUICE_API void throw_arity_mismatch(const std::string& node, const char* what,
                                                  std::size_t function_count,
                                                  const std::vector<std::string>& declared);

}  // namespace detail

/// What sluice::node() accepts: a function, a function pointer, or a function object (a lambda)
/// with exactly one operator() whose argument types are concrete, since the node binds each
/// input to its argument's type. A generic lambda (`auto` parameters) or an overloaded
/// operator() has no such types.
template <class F>
concept NodeFunction = std::is_function_v<std::remove_pointer_t<std::decay_t<F>>> ||
    detail::has_one_call_operator<std::decay_t<F>>;

namespace detail {

template <class F>
Node make_node(std::string name, F function, Names inputs, Names outputs, NodeOptions options) {
  using Traits = detail::callable_traits<std::decay_t<F>>;
  using Args = typename Traits::args;
  constexpr std::size_t arity = std::tuple_size_v<Args>;
  constexpr std::size_t produced = detail::output_count<typename Traits::result>();
  if (inputs.items.size() != arity) {
    detail::throw_arity_mismatch(name, "input", arity, inputs.items);
  }
  if (outputs.items.size() != produced) {
    detail::throw_arity_mismatch(name, "output", produced, outputs.items);
  }
  Node::Body erased = [function = std::move(function)](const std::vector<Value>& values,
                                                       const std::vector<std::string>& names,
                                                       std::vector<Value>& values_out) mutable {
    detail::invoke_node<F, Args>(function, values, names, values_out,
                                 std::make_index_sequence<arity>{});
  };
  return Node(std::move(name), std::move(inputs.items), std::move(outputs.items), std::move(erased),
              std::move(options));
}

}  // namespace detail

/// Builds a node from a typed callable (see NodeFunction).
///
/// Each argument receives the input of the same position: `const T&` (shared, never copied),
/// `T` (copied), `sluice::Value` (untyped) or, for `params:` inputs, a plain type such as
/// `double`. A function returning `std::tuple<A, B>` has two outputs; `void` has none.
/// A mismatch between the function's arity and the declared names throws PipelineError
/// naming the node.
template <class F>
Node node(std::string name, F function, Names inputs, Names outputs, NodeOptions options = {}) {
  static_assert(NodeFunction<F>,
                "sluice::node needs a callable with concrete argument types: a function, a "
                "function pointer or a lambda with one non-template operator(), e.g. "
                "[](const Table& table) {...}, not [](const auto& table) {...} (a generic "
                "lambda) nor an overloaded function object; each argument's type is the type "
                "its input is bound to");
  if constexpr (NodeFunction<F>) {
    return detail::make_node(std::move(name), std::move(function), std::move(inputs),
                             std::move(outputs), std::move(options));
  } else {
    std::terminate();  // not reached: the static_assert above stops the build
  }
}

}  // namespace sluice
