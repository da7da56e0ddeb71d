#include "report/duration_history.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <boost/filesystem.hpp>

#include "base/file_util.h"
#include "records/manifest.h"

namespace fanout {

namespace {

namespace fs = boost::filesystem;

constexpr std::string_view kNinjaLogHeader = "# ninja log v";

bool IsNinjaLog(const std::string& text) { return text.rfind(kNinjaLogHeader, 0) == 0; }

Status ReadManifestHistory(const std::string& text, const std::string& path,
                           DurationHistory* history) {
  auto manifest = records::ParseManifest(text, path);
  if (!manifest.ok()) {
    return MakeError(fmt::format("{}: neither a manifest.json nor a .ninja_log: {}", path,
                                 manifest.error().message));
  }
  for (const records::ManifestTarget& t : manifest->targets) {
    if (t.status != TargetStatus::kSucceeded && t.status != TargetStatus::kFlaky) continue;
    if (t.duration_seconds) history->seconds[t.name].push_back(*t.duration_seconds);
  }
  return {};
}

Status ReadHistoryFile(const std::string& path, DurationHistory* history) {
  auto text = ReadFile(path);
  if (!text.ok()) return MakeError(fmt::format("--history: {}", text.error().message));
  history->files.push_back(path);
  if (IsNinjaLog(*text)) return ParseNinjaLog(*text, path, history);
  return ReadManifestHistory(*text, path, history);
}

bool ParseMilliseconds(const std::string& text, long long* value) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *value);
  return ec == std::errc() && ptr == end && *value >= 0;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace

Status ParseNinjaLog(const std::string& text, const std::string& path, DurationHistory* history) {
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  const std::string version = line.substr(std::min(line.size(), kNinjaLogHeader.size()));
  if (!IsNinjaLog(line) || (version != "5" && version != "6")) {
    return MakeError(
        fmt::format("{}:1: not a .ninja_log of format v5 or v6 (first line '{}')", path, line));
  }
  int line_no = 1;
  const std::string prefix = "targets/", suffix = "/result.json";
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    // start, end, restat mtime, output, command hash: tab-separated, times in milliseconds.
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (std::size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1) {
      fields.push_back(line.substr(start, tab - start));
    }
    fields.push_back(line.substr(start));
    long long begin_ms = 0, end_ms = 0;
    if (fields.size() != 5 || !ParseMilliseconds(fields[0], &begin_ms) ||
        !ParseMilliseconds(fields[1], &end_ms) || end_ms < begin_ms) {
      return MakeError(fmt::format(
          "{}:{}: not a .ninja_log entry (start, end, mtime, output, hash separated by tabs); "
          "leave the file out of --history, or delete it and let ninja write a new one",
          path, line_no));
    }
    const std::string& output = fields[3];
    if (output.size() <= prefix.size() + suffix.size() || output.rfind(prefix, 0) != 0 ||
        output.compare(output.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;  // another edge: the snapshot, the gather step
    }
    const std::string name =
        output.substr(prefix.size(), output.size() - prefix.size() - suffix.size());
    history->seconds[name].push_back(static_cast<double>(end_ms - begin_ms) / 1000.0);
  }
  return {};
}

Expected<DurationHistory> ReadDurationHistory(const std::vector<std::string>& paths) {
  DurationHistory history;
  for (const std::string& path : paths) {
    boost::system::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
      return MakeError(
          fmt::format("--history: '{}' does not exist; give manifests, .ninja_log "
                      "files, or directories holding them",
                      path));
    }
    if (!fs::is_directory(status)) {
      FANOUT_TRY(ReadHistoryFile(path, &history));
      continue;
    }
    // Sorted, so that the files are read in the same order on every machine.
    std::set<std::string> manifests, logs;
    for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
      if (!fs::is_regular_file(it->status())) continue;
      const std::string name = it->path().filename().string();
      if (name == "manifest.json") manifests.insert(it->path().string());
      if (name == ".ninja_log") logs.insert(it->path().string());
    }
    if (ec) return MakeError(fmt::format("--history: cannot read '{}': {}", path, ec.message()));
    for (const std::string& m : manifests) FANOUT_TRY(ReadHistoryFile(m, &history));
    for (const std::string& l : logs) {
      if (manifests.count(fs::path(l).parent_path().string() + "/manifest.json")) continue;
      FANOUT_TRY(ReadHistoryFile(l, &history));
    }
  }
  return history;
}

std::map<std::string, double> ExpectedDurations(const std::vector<std::string>& targets,
                                                const DurationHistory& history,
                                                std::vector<std::string>* estimated) {
  std::map<std::string, double> out;
  std::vector<double> known;
  for (const std::string& t : targets) {
    auto it = history.seconds.find(t);
    if (it == history.seconds.end() || it->second.empty()) continue;
    out[t] = Median(it->second);
    known.push_back(out[t]);
  }
  const double fallback = known.empty() ? 1.0 : Median(known);
  for (const std::string& t : targets) {
    if (out.count(t)) continue;
    out[t] = fallback;
    estimated->push_back(t);
  }
  return out;
}

}  // namespace fanout
