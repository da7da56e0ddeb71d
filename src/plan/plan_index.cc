#include "plan/plan_index.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <initializer_list>
#include <string_view>

#include <fmt/format.h>

#include "base/build_layout.h"
#include "base/file_util.h"
#include "base/mapped_file.h"
#include "base/unique_fd.h"

namespace fanout {
namespace {

constexpr std::string_view kFormatLine = "fanout plan index 1\n";

PlanFileIdentity IdentityOf(const struct stat& st) {
  return {static_cast<std::uint64_t>(st.st_size), static_cast<std::uint64_t>(st.st_ino),
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

// Whether `text` is exactly " N N ...", one decimal number for each of `out`.
bool ParseNumbers(std::string_view text, std::initializer_list<std::uint64_t*> out) {
  const char* p = text.data();
  const char* last = p + text.size();
  for (std::uint64_t* value : out) {
    if (p >= last || *p != ' ') return false;
    ++p;
    const std::from_chars_result r = std::from_chars(p, last, *value);
    if (r.ec != std::errc() || r.ptr == p) return false;
    p = r.ptr;
  }
  return p == last;
}

// Takes the line "PREFIX N N ..." from the front of `text`.
bool TakeLine(std::string_view& text, std::string_view prefix,
              std::initializer_list<std::uint64_t*> out) {
  const std::size_t end = text.find('\n');
  if (end == std::string_view::npos || text.substr(0, prefix.size()) != prefix) return false;
  if (!ParseNumbers(text.substr(prefix.size(), end - prefix.size()), out)) return false;
  text.remove_prefix(end + 1);
  return true;
}

// The "OFFSET LENGTH" of `name`'s line in `body` (sorted lines "NAME OFFSET LENGTH"), by a
// binary search over the lines.
bool FindTarget(std::string_view body, std::string_view name, std::uint64_t& offset,
                std::uint64_t& length) {
  std::size_t lo = 0, hi = body.size();  // lo and hi are line starts (or the end)
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    std::size_t start = lo;
    if (mid > lo) {
      const std::size_t nl = body.rfind('\n', mid - 1);
      if (nl != std::string_view::npos && nl >= lo) start = nl + 1;
    }
    // hi is a line start (the byte before it a '\n') or the end, so the line ends before hi.
    std::size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    const std::string_view line = body.substr(start, end - start);
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos) return false;
    const int cmp = line.substr(0, space).compare(name);
    if (cmp == 0) return ParseNumbers(line.substr(space), {&offset, &length});
    if (cmp < 0) {
      lo = end + 1;
    } else {
      hi = start;
    }
  }
  return false;
}

}  // namespace

std::string PlanIndexText(const Plan& plan, const PlanSlices& slices,
                          const PlanFileIdentity& file) {
  std::string out(kFormatLine);
  out += fmt::format("plan {} {} {}\n", file.size, file.inode, file.mtime_ns);
  out += fmt::format("targets {} {} {}\n", slices.targets_begin, slices.targets_end,
                     plan.targets.size());
  for (std::size_t i = 0; i < plan.targets.size() && i < slices.objects.size(); ++i) {
    out += fmt::format("{} {} {}\n", plan.targets[i].def.name, slices.objects[i].first,
                       slices.objects[i].second);
  }
  return out;
}

Status WritePlanIndex(const std::string& build_dir, const Plan& plan, const PlanSlices& slices) {
  const std::string path = build_dir + "/" + layout::kPlan;
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return MakeError(fmt::format("cannot stat '{}': {}", path, std::strerror(errno)));
  }
  return WriteFileIfChanged(build_dir + "/" + layout::kPlanIndex,
                            PlanIndexText(plan, slices, IdentityOf(st)));
}

std::optional<Plan> ReadPlanThroughIndex(const std::string& build_dir, const std::string& target) {
  const std::string path = build_dir + "/" + layout::kPlan;
  UniqueFd plan_fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st;
  if (!plan_fd || fstat(plan_fd.get(), &st) != 0) return std::nullopt;
  auto index = MappedFile::Open(build_dir + "/" + layout::kPlanIndex);
  if (!index.ok()) return std::nullopt;
  std::string_view text = index->text();
  if (text.substr(0, kFormatLine.size()) != kFormatLine) return std::nullopt;
  text.remove_prefix(kFormatLine.size());
  std::uint64_t size = 0, inode = 0, mtime_ns = 0, begin = 0, end = 0, count = 0;
  if (!TakeLine(text, "plan", {&size, &inode, &mtime_ns}) ||
      !TakeLine(text, "targets", {&begin, &end, &count})) {
    return std::nullopt;
  }
  const PlanFileIdentity now = IdentityOf(st);
  if (size != now.size || inode != now.inode ||
      mtime_ns != static_cast<std::uint64_t>(now.mtime_ns)) {
    return std::nullopt;
  }
  std::uint64_t offset = 0, length = 0;
  if (!FindTarget(text, target, offset, length)) return std::nullopt;
  // Each part where a plan of PlanToJson's shape has it: the object within the array, the
  // array within the file.
  // (Compared without adding two of the index's numbers, which could overflow.)
  if (begin >= end || end > now.size || offset <= begin || length == 0 || length >= end ||
      offset >= end - length) {
    return std::nullopt;
  }
  // The plan's own fields with the target's object as the whole "targets" array.
  std::string slice(begin + 1 + length + 1 + (now.size - end), '\0');
  auto read_at = [&](char* to, std::size_t bytes, std::size_t at) {
    while (bytes > 0) {
      const ssize_t n = pread(plan_fd.get(), to, bytes, static_cast<off_t>(at));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      to += n;
      at += static_cast<std::size_t>(n);
      bytes -= static_cast<std::size_t>(n);
    }
    return true;
  };
  char* out = slice.data();
  if (!read_at(out, begin + 1, 0) || !read_at(out + begin + 1, length, offset)) {
    return std::nullopt;
  }
  out[begin + 1 + length] = ']';
  if (!read_at(out + begin + 1 + length + 1, now.size - end, end)) return std::nullopt;
  auto plan = PlanFromJson(slice, path, &target);
  if (!plan.ok() || plan->targets.size() != 1 || plan->targets[0].def.name != target) {
    return std::nullopt;
  }
  plan->target_count = count;
  return std::move(*plan);
}

}  // namespace fanout
