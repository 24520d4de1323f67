#pragma once
// Where one call's time goes, op by op: runs it under LibTorch's profiler and sums the profiler's
// events by name (self time is not in the legacy trace, so nested ops count in their callers too).
#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/csrc/autograd/profiler_legacy.h>

namespace fp::bench {

inline nlohmann::json profileOps(const std::function<void()>& f, int top) {
    std::stringstream trace;
    {
        torch::autograd::profiler::RecordProfile guard(trace);
        f();
    }
    std::map<std::string, std::pair<double, int>> byName;  // microseconds, calls
    for (const auto& e : nlohmann::json::parse(trace.str())) {
        if (!e.contains("dur")) continue;
        auto& slot = byName[e.at("name").get<std::string>()];
        slot.first += e.at("dur").get<double>();
        ++slot.second;
    }
    std::vector<std::pair<std::string, std::pair<double, int>>> rows(byName.begin(), byName.end());
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
    nlohmann::json out = nlohmann::json::array();
    for (int i = 0; i < top && i < static_cast<int>(rows.size()); ++i) {
        const auto& [name, v] = rows[size_t(i)];
        std::printf("    %-60s %9.1f ms %5d calls\n", name.c_str(), v.first / 1000.0, v.second);
        out.push_back({{"op", name}, {"ms", v.first / 1000.0}, {"calls", v.second}});
    }
    return out;
}

}  // namespace fp::bench
