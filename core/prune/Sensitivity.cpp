#include "prune/Sensitivity.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "prune/ChannelGraph.h"
#include "prune/Scorer.h"
#include "prune/Surgery.h"
#include "util/AtomicFile.h"
#include "util/Errors.h"

using nlohmann::json;

namespace fp::prune {

namespace {

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
    return out;
}

}  // namespace

double SensitivityResult::loss(size_t block, size_t share, const std::string& metric) const {
    const auto& after = blocks.at(block).metrics.at(share);
    const auto b = baseline.find(metric);
    const auto a = after.find(metric);
    if (b == baseline.end() || a == after.end()) return 0.0;
    // Lower is better for the error rate: its loss is how much it rose.
    return metric == "eer" ? a->second - b->second : b->second - a->second;
}

SensitivityResult measureSensitivity(const graph::Graph& model, const Evaluator& evaluate,
                                     const SensitivityOptions& options, const CancelToken* cancel,
                                     const ProgressSink& progress) {
    if (!evaluate) throw Error("sensitivity needs verification: hold out some people (or give a pairs file)");
    if (options.shares.empty()) throw Error("sensitivity needs at least one share of filters to remove");
    for (double s : options.shares)
        if (!(s > 0.0 && s < 1.0)) throw Error("a sensitivity share must lie between 0 and 1, not " + std::to_string(s));

    const ChannelGraph channels(model, options.locked);
    const Scores l1 = Scorer(model, channels, Criterion::L1).finish();

    // Blocks: prunable groups made by the same layers, in the order their first layer comes.
    std::map<std::string, std::vector<int>> byMembers;
    std::map<std::string, std::vector<std::string>> membersOf;
    for (int id : channels.prunableGroups()) {
        const auto& g = channels.groups()[id];
        const std::string key = joined(g.members);
        byMembers[key].push_back(id);
        membersOf[key] = g.members;
    }
    std::vector<std::pair<size_t, std::string>> order;
    for (const auto& [key, ids] : byMembers) {
        size_t first = model.nodes().size();
        for (const auto& m : membersOf[key])
            for (size_t i = 0; i < model.nodes().size(); ++i)
                if (model.nodes()[i].name == m) first = std::min(first, i);
        order.emplace_back(first, key);
    }
    std::sort(order.begin(), order.end());
    if (order.empty()) throw Error(model.name + ": no layer has filters that can be removed");

    SensitivityResult r;
    r.model = model.name;
    r.shares = options.shares;
    std::sort(r.shares.begin(), r.shares.end());
    const int total = 1 + static_cast<int>(order.size() * r.shares.size());
    int done = 0;
    r.baseline = evaluate(model).metrics;
    report(progress, 0, Phase::Measuring, ++done, total);
    for (const auto& [position, key] : order) {
        std::vector<int> ids = byMembers[key];
        std::stable_sort(ids.begin(), ids.end(), [&](int a, int b) { return l1.groups[a] < l1.groups[b]; });
        BlockSensitivity block;
        block.members = membersOf[key];
        block.layer = model.nodes()[position].name;
        block.width = static_cast<int64_t>(ids.size());
        for (double share : r.shares) {
            if (cancelled(cancel)) return r;
            // At least one filter goes and at least one stays.
            const auto n = std::clamp<size_t>(static_cast<size_t>(std::lround(share * double(ids.size()))), 1,
                                              ids.size() - 1);
            if (ids.size() < 2) {
                block.metrics.push_back(r.baseline);
            } else {
                graph::Graph cut = model;
                removeGroups(cut, channels, std::vector<int>(ids.begin(), ids.begin() + static_cast<long>(n)));
                block.metrics.push_back(evaluate(cut).metrics);
            }
            report(progress, 0, Phase::Measuring, ++done, total);
        }
        r.blocks.push_back(std::move(block));
    }
    return r;
}

std::vector<LayerLimit> proposeLimits(const SensitivityResult& r, double tolerance) {
    std::vector<LayerLimit> out;
    for (size_t b = 0; b < r.blocks.size(); ++b) {
        const auto& block = r.blocks[b];
        size_t bad = r.shares.size();  // the first share that costs more than the tolerance
        for (size_t s = 0; s < r.shares.size() && s < block.metrics.size(); ++s)
            if (r.loss(b, s) > tolerance) {
                bad = s;
                break;
            }
        if (bad == r.shares.size()) continue;
        for (const auto& layer : block.members) {
            LayerLimit limit;
            limit.layer = layer;
            if (bad == 0) {
                limit.lock = true;
            } else {
                // Keep what the last share within the tolerance left.
                const double ok = r.shares[bad - 1];
                limit.minWidth = block.width - static_cast<int64_t>(std::floor(ok * double(block.width)));
            }
            out.push_back(limit);
        }
    }
    return out;
}

void saveSensitivity(const SensitivityResult& r, const std::filesystem::path& path) {
    json blocks = json::array();
    for (const auto& b : r.blocks)
        blocks.push_back({{"layer", b.layer}, {"members", b.members}, {"width", b.width}, {"metrics", b.metrics}});
    const json j{{"model", r.model}, {"baseline", r.baseline}, {"shares", r.shares}, {"blocks", blocks}};
    util::AtomicFile file(path);
    file.stream() << j.dump(1) << "\n";
    file.commit();
}

SensitivityResult loadSensitivity(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) throw Error(path.string() + ": cannot be read");
    try {
        const json j = json::parse(in);
        SensitivityResult r;
        r.model = j.at("model");
        r.baseline = j.at("baseline").get<std::map<std::string, double>>();
        r.shares = j.at("shares").get<std::vector<double>>();
        for (const auto& b : j.at("blocks")) {
            BlockSensitivity block;
            block.layer = b.at("layer");
            block.members = b.at("members").get<std::vector<std::string>>();
            block.width = b.at("width");
            block.metrics = b.at("metrics").get<std::vector<std::map<std::string, double>>>();
            if (block.metrics.size() != r.shares.size())
                throw Error("block " + block.layer + " has " + std::to_string(block.metrics.size()) +
                            " measurements for " + std::to_string(r.shares.size()) + " shares");
            r.blocks.push_back(std::move(block));
        }
        return r;
    } catch (const json::exception& e) {
        throw Error(path.string() + ": not a sensitivity file (" + e.what() + ")");
    } catch (const Error& e) {
        throw Error(path.string() + ": " + e.what());
    }
}

}  // namespace fp::prune
