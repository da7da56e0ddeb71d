#include "description/dependency_cycles.h"

#include <algorithm>
#include <deque>
#include <utility>

namespace fanout {
namespace {

using Graph = std::vector<std::vector<int>>;

/// Tarjan's strongly connected components, iteratively so a long chain of targets cannot
/// overflow the stack. Returns the component id of every vertex.
std::vector<int> Components(const Graph& graph) {
  const int n = static_cast<int>(graph.size());
  std::vector<int> index(n, -1), low(n, 0), component(n, -1);
  std::vector<bool> on_stack(n, false);
  std::vector<int> stack;
  std::vector<std::pair<int, std::size_t>> calls;  // vertex, next edge to visit
  int counter = 0, components = 0;
  for (int root = 0; root < n; ++root) {
    if (index[root] != -1) continue;
    calls.emplace_back(root, 0);
    while (!calls.empty()) {
      const int v = calls.back().first;
      if (calls.back().second == 0 && index[v] == -1) {
        index[v] = low[v] = counter++;
        stack.push_back(v);
        on_stack[v] = true;
      }
      if (calls.back().second < graph[v].size()) {
        const int w = graph[v][calls.back().second++];
        if (index[w] == -1) {
          calls.emplace_back(w, 0);
        } else if (on_stack[w]) {
          low[v] = std::min(low[v], index[w]);
        }
        continue;
      }
      if (low[v] == index[v]) {
        int w;
        do {
          w = stack.back();
          stack.pop_back();
          on_stack[w] = false;
          component[w] = components;
        } while (w != v);
        ++components;
      }
      calls.pop_back();
      if (!calls.empty()) {
        const int parent = calls.back().first;
        low[parent] = std::min(low[parent], low[v]);
      }
    }
  }
  return component;
}

/// The shortest path from `start` back to itself inside its component (breadth first).
std::vector<int> ShortestCycle(const Graph& graph, const std::vector<int>& component, int start) {
  std::vector<int> parent(graph.size(), -1);
  std::deque<int> queue = {start};
  while (!queue.empty()) {
    const int v = queue.front();
    queue.pop_front();
    for (int w : graph[v]) {
      if (component[w] != component[start]) continue;
      if (w == start) {
        std::vector<int> path = {start};
        for (int u = v; u != start; u = parent[u]) path.push_back(u);
        path.push_back(start);
        std::reverse(path.begin() + 1, path.end() - 1);
        return path;
      }
      if (parent[w] != -1) continue;
      parent[w] = v;
      queue.push_back(w);
    }
  }
  return {};
}

}  // namespace

std::string DependencyCycle::ToString() const {
  std::string out;
  for (const std::string& name : path) out += (out.empty() ? "" : " -> ") + name;
  return out;
}

std::vector<DependencyCycle> FindDependencyCycles(const std::vector<Target>& targets) {
  const int n = static_cast<int>(targets.size());
  auto find = [&](const std::string& name) {
    auto it = std::lower_bound(targets.begin(), targets.end(), name,
                               [](const Target& t, const std::string& s) { return t.name < s; });
    return it != targets.end() && it->name == name ? static_cast<int>(it - targets.begin()) : -1;
  };
  Graph graph(n);
  for (int v = 0; v < n; ++v) {
    for (const std::string& dep : targets[v].deps) {
      const int w = find(dep);
      if (w >= 0 && w != v) graph[v].push_back(w);
    }
    std::sort(graph[v].begin(), graph[v].end());
    graph[v].erase(std::unique(graph[v].begin(), graph[v].end()), graph[v].end());
  }
  const std::vector<int> component = Components(graph);
  std::vector<int> size(n, 0);
  for (int c : component) ++size[c];
  std::vector<bool> reported(n, false);
  std::vector<DependencyCycle> cycles;
  for (int v = 0; v < n; ++v) {  // by name, so each cycle starts at its first target
    const int c = component[v];
    if (size[c] < 2 || reported[c]) continue;
    reported[c] = true;
    DependencyCycle cycle;
    for (int u : ShortestCycle(graph, component, v)) cycle.path.push_back(targets[u].name);
    cycle.mark = targets[v].mark;
    cycles.push_back(std::move(cycle));
  }
  return cycles;
}

}  // namespace fanout
