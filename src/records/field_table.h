// The mechanism behind every typed record (docs/architecture.md, "Files between stages"): a
// record lists its fields once, as a table of {name, required, member}, and that one table
// drives both writing the record as JSON and reading it back, with the type of every value
// checked. A record type R declares `static const std::vector<records::Field<R>>& Fields();`.
//
// Reading never throws: a missing required field or a value of the wrong type is a
// FieldProblem naming the field's path in the file ("sandbox.tier", "artifacts[2].size").
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/expected.h"
#include "records/target_status.h"

namespace fanout::records {

using Json = nlohmann::json;

/// What is wrong with one value: where it is (empty: the value itself) and what is wrong.
struct FieldProblem {
  std::string field;    ///< "sandbox.tier", "artifacts[2].size"; empty: the value itself
  std::string problem;  ///< "is missing", "is not a string"
};
using MaybeProblem = std::optional<FieldProblem>;

/// One field of the record type R.
template <class R>
struct Field {
  const char* name;
  /// Required fields are always written and must be present when read (a nullable one may be
  /// null). Optional fields are written only when set, and read as unset when missing.
  bool required;
  std::function<std::optional<Json>(const R&)> write;  ///< nullopt: left out
  std::function<MaybeProblem(const Json&, R&)> read;
};

/// A type that lists its fields.
template <class T>
concept Record = requires {
  T::Fields();
};

/// How a value of type T is written and read; specialized below for every type a record holds.
template <class T>
struct Codec;

namespace detail {

/// `outer` then `inner`'s path: "sandbox" + "tier" -> "sandbox.tier"; "artifacts" + "[2]".
inline FieldProblem Within(std::string outer, FieldProblem inner) {
  if (!inner.field.empty()) outer += inner.field.front() == '[' ? inner.field : "." + inner.field;
  return {std::move(outer), std::move(inner.problem)};
}

/// The problem of a value that is not `what` ("a string").
inline MaybeProblem NotA(const char* what) {
  return FieldProblem{"", std::string("is not ") + what};
}

}  // namespace detail

template <>
struct Codec<std::string> {
  static Json Write(const std::string& v) { return v; }
  static MaybeProblem Read(const Json& j, std::string& v) {
    if (!j.is_string()) return detail::NotA("a string");
    v = j.get<std::string>();
    return std::nullopt;
  }
};

template <>
struct Codec<bool> {
  static Json Write(bool v) { return v; }
  static MaybeProblem Read(const Json& j, bool& v) {
    if (!j.is_boolean()) return detail::NotA("true or false");
    v = j.get<bool>();
    return std::nullopt;
  }
};

template <>
struct Codec<int> {
  static Json Write(int v) { return v; }
  static MaybeProblem Read(const Json& j, int& v) {
    if (!j.is_number_integer()) return detail::NotA("an integer");
    const std::int64_t n = j.get<std::int64_t>();
    if (n < INT32_MIN || n > INT32_MAX) return detail::NotA("an integer in range");
    v = static_cast<int>(n);
    return std::nullopt;
  }
};

template <>
struct Codec<std::uint64_t> {
  static Json Write(std::uint64_t v) { return v; }
  static MaybeProblem Read(const Json& j, std::uint64_t& v) {
    if (!j.is_number_unsigned()) return detail::NotA("a non-negative integer");
    v = j.get<std::uint64_t>();
    return std::nullopt;
  }
};

template <>
struct Codec<double> {
  static Json Write(double v) { return v; }
  static MaybeProblem Read(const Json& j, double& v) {
    if (!j.is_number()) return detail::NotA("a number");
    v = j.get<double>();
    return std::nullopt;
  }
};

template <>
struct Codec<TargetStatus> {
  static Json Write(TargetStatus v) { return std::string(StatusName(v)); }
  static MaybeProblem Read(const Json& j, TargetStatus& v) {
    auto status = j.is_string() ? ParseStatus(j.get<std::string>()) : std::nullopt;
    if (!status) return detail::NotA("a status (succeeded, flaky, failed, ...)");
    v = *status;
    return std::nullopt;
  }
};

/// null when unset.
template <class T>
struct Codec<std::optional<T>> {
  static Json Write(const std::optional<T>& v) { return v ? Codec<T>::Write(*v) : Json(nullptr); }
  static MaybeProblem Read(const Json& j, std::optional<T>& v) {
    if (j.is_null()) {
      v.reset();
      return std::nullopt;
    }
    T value{};
    if (auto p = Codec<T>::Read(j, value)) return p;
    v = std::move(value);
    return std::nullopt;
  }
};

template <class T>
struct Codec<std::vector<T>> {
  static Json Write(const std::vector<T>& v) {
    Json out = Json::array();
    for (const T& e : v) out.push_back(Codec<T>::Write(e));
    return out;
  }
  static MaybeProblem Read(const Json& j, std::vector<T>& v) {
    if (!j.is_array()) return detail::NotA("a list");
    v.clear();
    for (size_t i = 0; i < j.size(); ++i) {
      T value{};
      if (auto p = Codec<T>::Read(j[i], value)) {
        std::string index = "[";  // not "[" + ...: a GCC 12 -O3 -Wrestrict false positive
        index += std::to_string(i);
        index += ']';
        return detail::Within(index, std::move(*p));
      }
      v.push_back(std::move(value));
    }
    return std::nullopt;
  }
};

template <class T>
struct Codec<std::map<std::string, T>> {
  static Json Write(const std::map<std::string, T>& v) {
    Json out = Json::object();
    for (const auto& [k, e] : v) out[k] = Codec<T>::Write(e);
    return out;
  }
  static MaybeProblem Read(const Json& j, std::map<std::string, T>& v) {
    if (!j.is_object()) return detail::NotA("an object");
    v.clear();
    for (const auto& [k, e] : j.items()) {
      T value{};
      if (auto p = Codec<T>::Read(e, value)) return detail::Within(k, std::move(*p));
      v.emplace(k, std::move(value));
    }
    return std::nullopt;
  }
};

/// A nested record: an object of its fields.
template <Record R>
struct Codec<R> {
  static Json Write(const R& r) {
    Json out = Json::object();
    for (const Field<R>& f : R::Fields()) {
      if (auto v = f.write(r)) out[f.name] = std::move(*v);
    }
    return out;
  }
  static MaybeProblem Read(const Json& j, R& r) {
    if (!j.is_object()) return detail::NotA("an object");
    for (const Field<R>& f : R::Fields()) {
      auto it = j.find(f.name);
      if (it == j.end()) {
        if (f.required) return FieldProblem{f.name, "is missing"};
        continue;
      }
      if (auto p = f.read(*it, r)) return detail::Within(f.name, std::move(*p));
    }
    return std::nullopt;
  }
};

/// A field that is always written and must be present (null when T is an unset optional).
template <class R, class T>
Field<R> Required(const char* name, T R::*member) {
  return {name, true,
          [member](const R& r) -> std::optional<Json> { return Codec<T>::Write(r.*member); },
          [member](const Json& j, R& r) { return Codec<T>::Read(j, r.*member); }};
}

/// A field written only when set, and unset when missing (or null) in the file.
template <class R, class T>
Field<R> Optional(const char* name, std::optional<T> R::*member) {
  return {name, false,
          [member](const R& r) -> std::optional<Json> {
            if (!(r.*member)) return std::nullopt;
            return Codec<T>::Write(*(r.*member));
          },
          [member](const Json& j, R& r) { return Codec<std::optional<T>>::Read(j, r.*member); }};
}

/// The text of a versioned record file: {"version": N, ...fields}, indented, ending in a
/// newline; invalid UTF-8 (a log tail) is replaced, never an exception.
std::string VersionedText(Json fields, int version);

/// Parses the text of the versioned record file at `path` (named in errors) and checks its
/// version. Every error says the path, what is wrong and `remedy` (what to do).
Expected<Json> ParseVersioned(const std::string& text, const std::string& path, int version,
                              std::string_view remedy);

/// The error for a field of the file at `path`.
Error FieldError(const std::string& path, const FieldProblem& problem, std::string_view remedy);

/// The record R as the text of a versioned file.
template <Record R>
std::string ToText(const R& record, int version) {
  return VersionedText(Codec<R>::Write(record), version);
}

/// The record R from the text of the versioned file at `path`.
template <Record R>
Expected<R> FromText(const std::string& text, const std::string& path, int version,
                     std::string_view remedy) {
  auto j = ParseVersioned(text, path, version, remedy);
  if (!j.ok()) return j.error();
  j->erase("version");
  R record{};
  if (auto p = Codec<R>::Read(*j, record)) return FieldError(path, *p, remedy);
  return record;
}

/// Reads the file at `path`: its text, or an error naming it with `remedy`.
Expected<std::string> ReadRecordText(const std::string& path, std::string_view remedy);

/// Reads the versioned file at `path` into the record R; a missing file is an error too.
template <Record R>
Expected<R> ReadRecordFile(const std::string& path, int version, std::string_view remedy) {
  auto text = ReadRecordText(path, remedy);
  if (!text.ok()) return text.error();
  return FromText<R>(*text, path, version, remedy);
}

}  // namespace fanout::records
