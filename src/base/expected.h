// Expected<T>: a value or an Error, returned across module boundaries instead of exceptions.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

#include "base/exit_codes.h"

namespace fanout {

/// An error a user can act on: `message` says where, what, and what to do; `exit_code` is the
/// process exit code it maps to (see exit_codes.h).
struct Error {
  std::string message;
  int exit_code = kExitUsage;
};

/// Makes an Error with the given exit code.
inline Error MakeError(std::string message, int exit_code = kExitUsage) {
  return Error{std::move(message), exit_code};
}

/// Holds either a T or an Error. Check with ok() (or bool) before reading value().
template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : value_(std::move(value)) {}      // NOLINT: implicit by design
  Expected(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design
  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Error& error() const {
    assert(!ok());
    return error_;
  }

 private:
  std::optional<T> value_;
  Error error_;
};

/// Expected<void>: success, or an Error.
template <>
class [[nodiscard]] Expected<void> {
 public:
  Expected() = default;
  Expected(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    assert(failed_);
    return error_;
  }

 private:
  Error error_;
  bool failed_ = false;
};

using Status = Expected<void>;

/// Returns early from the enclosing function with the error of `expr` if it failed.
#define FANOUT_TRY(expr)                                             \
  do {                                                               \
    auto fanout_try_result_ = (expr);                                \
    if (!fanout_try_result_.ok()) return fanout_try_result_.error(); \
  } while (0)

#define FANOUT_TRY_CONCAT_INNER_(a, b) a##b
#define FANOUT_TRY_CONCAT_(a, b) FANOUT_TRY_CONCAT_INNER_(a, b)
/// `FANOUT_TRY_ASSIGN(T x, expr);` declares x from the value of the Expected `expr`, or
/// returns its error from the enclosing function.
#define FANOUT_TRY_ASSIGN(decl, expr) \
  FANOUT_TRY_ASSIGN_IMPL_(FANOUT_TRY_CONCAT_(fanout_try_value_, __LINE__), decl, expr)
#define FANOUT_TRY_ASSIGN_IMPL_(tmp, decl, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.error();             \
  decl = std::move(*tmp)

}  // namespace fanout
