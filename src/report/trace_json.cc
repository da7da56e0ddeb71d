#include "report/trace_json.h"

#include <cmath>
#include <cstdint>

#include <fmt/format.h>

#include "base/json_writer.h"

namespace fanout {

namespace {

constexpr int kBuildPid = 1;

std::int64_t Micros(double seconds) { return std::llround(seconds * 1e6); }

/// A metadata event: `name` is the kind ("thread_name"), `arg` its one argument.
void Metadata(std::string* out, const char* name, int tid, const char* arg_key,
              const std::string* text, int number) {
  JsonWriter w(out);
  w.BeginObject();
  w.Key("name");
  w.String(name);
  w.Key("ph");
  w.String("M");
  w.Key("pid");
  w.Int(kBuildPid);
  w.Key("tid");
  w.Int(tid);
  w.Key("args");
  w.BeginObject();
  w.Key(arg_key);
  if (text) {
    w.String(*text);
  } else {
    w.Int(number);
  }
  w.EndObject();
  w.EndObject();
}

/// A bar as a complete event on its slot's thread; `category` is the pool's ("no pool"), or
/// "post-submit" for the post-submit step.
void Complete(std::string* out, const TimelineBar& b, const std::string& category) {
  JsonWriter w(out);
  w.BeginObject();
  w.Key("name");
  w.String(b.name);
  w.Key("cat");
  w.String(category);
  w.Key("ph");
  w.String("X");
  w.Key("ts");
  w.Int(Micros(b.start));
  w.Key("dur");
  w.Int(Micros(b.duration));
  w.Key("pid");
  w.Int(kBuildPid);
  w.Key("tid");
  w.Int(b.slot + 1);
  w.Key("args");
  w.BeginObject();
  w.Key("status");
  w.String(StatusName(b.status));
  w.Key("pool");
  w.String(b.pool);
  w.Key("attempts");
  w.Int(b.attempts);
  w.Key("exit_code");
  if (b.exit_code) {
    w.Int(*b.exit_code);
  } else {
    w.Null();
  }
  w.Key("critical");
  w.Bool(b.critical);
  w.Key("message");
  w.String(b.message);
  w.EndObject();
  w.EndObject();
}

}  // namespace

std::string TimelineToTraceJson(const Timeline& tl) {
  std::vector<std::string> events;
  std::string e;
  const std::string process = "fanout build: " + tl.summary;
  Metadata(&e, "process_name", 0, "name", &process, 0);
  events.push_back(std::move(e));
  for (int s = 0; s < tl.slots; ++s) {
    const std::string slot = fmt::format("slot {}", s + 1);
    e.clear();
    Metadata(&e, "thread_name", s + 1, "name", &slot, 0);
    events.push_back(e);
    e.clear();
    Metadata(&e, "thread_sort_index", s + 1, "sort_index", nullptr, s);
    events.push_back(e);
  }
  for (const TimelineBar& b : tl.bars) {
    e.clear();
    Complete(&e, b, b.pool.empty() ? "no pool" : b.pool);
    events.push_back(e);
  }
  if (tl.post_submit) {
    // A thread of its own, after the slots.
    const int tid = tl.post_submit->slot + 1;
    const std::string thread = "post-submit";
    e.clear();
    Metadata(&e, "thread_name", tid, "name", &thread, 0);
    events.push_back(e);
    e.clear();
    Metadata(&e, "thread_sort_index", tid, "sort_index", nullptr, tl.post_submit->slot);
    events.push_back(e);
    e.clear();
    Complete(&e, *tl.post_submit, "post-submit");
    events.push_back(e);
  }

  std::string out = "{\"traceEvents\":[\n";
  for (size_t i = 0; i < events.size(); ++i) {
    out += events[i];
    out += i + 1 < events.size() ? ",\n" : "\n";
  }
  out += "],\n\"displayTimeUnit\":\"ms\",\n\"otherData\":";
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("build_started_at_us");
  w.Int(Micros(tl.origin));
  w.Key("build_duration_us");
  w.Int(Micros(tl.span));
  w.Key("critical_path");
  w.StringArray(tl.critical_path);
  w.Key("summary");
  w.String(tl.summary);
  w.EndObject();
  out += "}\n";
  return out;
}

}  // namespace fanout
