#include "report/timeline.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

#include "report/critical_path.h"

namespace fanout {

std::vector<int> AssignSlots(const std::vector<std::pair<double, double>>& intervals) {
  std::vector<size_t> order(intervals.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return intervals[a].first < intervals[b].first; });
  std::vector<int> slot(intervals.size(), 0);
  std::vector<double> free_at;  // per slot: when its last interval ends
  for (size_t i : order) {
    const auto& [start, finish] = intervals[i];
    size_t s = 0;
    while (s < free_at.size() && free_at[s] > start) ++s;
    if (s == free_at.size()) free_at.push_back(0);
    free_at[s] = std::max(start, finish);
    slot[i] = static_cast<int>(s);
  }
  return slot;
}

namespace {

/// When the target ran in this build, from its record; nullopt when it did not (or its
/// record does not say when).
std::optional<RunSpan> RanThisBuild(const TargetReport& row, const TargetEvidence& e) {
  // A setup failure (no attempt made) still ran, and took its time: it gets a bar.
  if (row.up_to_date) return std::nullopt;
  if (e.failure && !e.from_earlier_build) {
    if (!e.failure->started_at) return std::nullopt;
    const double start = *e.failure->started_at;
    return RunSpan{start, start + e.failure->duration_seconds};
  }
  if (e.result && !e.from_earlier_build && IsSuccess(row.status)) {
    return RunSpan{e.result->started_at, e.result->started_at + e.result->duration_seconds};
  }
  return std::nullopt;
}

/// The post-submit step's bar (start and finish in unix seconds), when its record says it ran
/// in this build: a step skipped, or carried over from an earlier build (Ninja found it up to
/// date, or it had published the same artifacts), has none.
std::optional<TimelineBar> PostSubmitBar(const ReportInputs& inputs, const Report& report) {
  if (!inputs.post_submit || !report.post_submit) return std::nullopt;
  const PostSubmitRecord& p = *inputs.post_submit;
  if (p.status == TargetStatus::kSkipped || p.started_at <= 0) return std::nullopt;
  if (inputs.build && p.started_at < inputs.build->started_at) return std::nullopt;
  TimelineBar bar;
  bar.name = kPostSubmitName;
  bar.status = p.status;
  bar.start = p.started_at;
  bar.duration = std::max(0.0, p.finished_at - p.started_at);
  bar.attempts = 1;
  bar.exit_code = p.exit_code;
  bar.message = report.post_submit->message;
  return bar;
}

}  // namespace

Timeline MakeTimeline(const Plan& plan, const ReportInputs& inputs, const Report& report) {
  Timeline tl;
  tl.summary = report.SummaryLine();
  std::set<std::string> pools;
  for (const auto& [name, depth] : plan.pools) pools.insert(name);

  std::map<std::string, RunSpan> ran;
  std::map<std::string, std::vector<std::string>> deps;
  for (const TargetReport& row : report.targets) {
    const PlanTarget* t = plan.FindTarget(row.name);
    auto ev = inputs.evidence.find(row.name);
    std::optional<RunSpan> span;
    if (t && ev != inputs.evidence.end()) span = RanThisBuild(row, ev->second);
    if (t) deps[row.name] = t->def.deps;
    if (!span) {
      tl.absent.push_back({row.name, row.status, row.message});
      continue;
    }
    ran[row.name] = *span;
    TimelineBar bar;
    bar.name = row.name;
    bar.pool = t->def.pool;
    bar.status = row.status;
    bar.start = span->start;  // made relative to the origin below
    bar.duration = span->finish - span->start;
    bar.attempts = row.attempts;
    bar.exit_code = row.exit_code;
    bar.message = row.message;
    if (!bar.pool.empty()) pools.insert(bar.pool);
    tl.bars.push_back(std::move(bar));
  }

  tl.post_submit = PostSubmitBar(inputs, report);

  double first = 0, last = 0;
  auto extend = [&](const TimelineBar& b) {
    if (first == 0 || b.start < first) first = b.start;
    last = std::max(last, b.finish());
  };
  for (const TimelineBar& b : tl.bars) extend(b);
  if (tl.post_submit) extend(*tl.post_submit);
  tl.origin = first;
  if (inputs.build && inputs.build->started_at > 0 &&
      (first == 0 || inputs.build->started_at <= first)) {
    tl.origin = inputs.build->started_at;
  }
  double end = last;
  if (inputs.build && inputs.build->finished_at > end) end = inputs.build->finished_at;
  tl.span = std::max(0.0, end - tl.origin);
  for (TimelineBar& b : tl.bars) b.start -= tl.origin;
  if (tl.post_submit) tl.post_submit->start -= tl.origin;

  std::sort(tl.bars.begin(), tl.bars.end(), [](const TimelineBar& a, const TimelineBar& b) {
    return a.start != b.start ? a.start < b.start : a.name < b.name;
  });
  std::vector<std::pair<double, double>> intervals;
  for (const TimelineBar& b : tl.bars) intervals.emplace_back(b.start, b.finish());
  const std::vector<int> slots = AssignSlots(intervals);
  for (size_t i = 0; i < tl.bars.size(); ++i) {
    tl.bars[i].slot = slots[i];
    tl.slots = std::max(tl.slots, slots[i] + 1);
  }

  if (tl.post_submit) tl.post_submit->slot = tl.slots;

  tl.critical_path = CriticalPath(ran, deps);
  const std::set<std::string> critical(tl.critical_path.begin(), tl.critical_path.end());
  for (TimelineBar& b : tl.bars) b.critical = critical.count(b.name) > 0;

  tl.pools.push_back("");
  tl.pools.insert(tl.pools.end(), pools.begin(), pools.end());
  return tl;
}

Expected<Timeline> LoadTimeline(const std::string& build_dir) {
  auto plan = ReadPlan(build_dir);
  if (!plan.ok()) return plan.error();
  auto inputs = ReadReportInputs(build_dir, *plan);
  if (!inputs.ok()) return inputs.error();
  return MakeTimeline(*plan, *inputs, DeriveReport(*plan, *inputs));
}

}  // namespace fanout
