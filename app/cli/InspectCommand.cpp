// faceprune-cli inspect MODEL [--json]: the layer table and totals.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "app/cli/Commands.h"
#include "models/ModelLoader.h"

namespace fp::cli {

namespace {

std::string inChannels(const graph::Graph& g, const graph::Node& n) {
    if (n.inputs.empty()) return "-";
    std::string s;
    for (const auto& in : n.inputs) s += (s.empty() ? "" : "+") + std::to_string(g.at(in).shape.c);
    return s;
}

void printTable(const graph::Graph& g) {
    std::printf("%-34s %-13s %9s %6s %-12s %11s %13s\n", "layer", "op", "in", "out", "shape", "params", "MACs");
    for (const auto& n : g.nodes()) {
        const auto c = g.cost(n);
        std::printf("%-34s %-13s %9s %6lld %-12s %11lld %13lld\n", n.name.c_str(), std::string(opName(n.op)).c_str(),
                    inChannels(g, n).c_str(), static_cast<long long>(n.shape.c), n.shape.toString().c_str(),
                    static_cast<long long>(c.params), static_cast<long long>(c.macs));
    }
    const auto total = g.totalCost();
    const auto backbone = g.totalCost(false);
    std::printf("\n%s: %zu layers, input %s, embedding '%s' (%lld-d)\n", g.name.c_str(), g.nodes().size(),
                g.at(g.inputName()).shape.toString().c_str(), g.embeddingName().c_str(),
                static_cast<long long>(g.at(g.embeddingName()).shape.numel()));
    std::printf("params %lld (%.2f M), MACs %lld (%.1f M)\n", static_cast<long long>(total.params),
                total.params / 1e6, static_cast<long long>(total.macs), total.macs / 1e6);
    if (g.hasHead())
        std::printf("without the head '%s': params %lld (%.2f M), MACs %.1f M\n", g.logitsName().c_str(),
                    static_cast<long long>(backbone.params), backbone.params / 1e6, backbone.macs / 1e6);
}

nlohmann::json toJson(const graph::Graph& g) {
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& n : g.nodes()) {
        const auto c = g.cost(n);
        nlohmann::json inC = nlohmann::json::array();
        for (const auto& in : n.inputs) inC.push_back(g.at(in).shape.c);
        layers.push_back({{"name", n.name}, {"op", std::string(opName(n.op))}, {"inputs", n.inputs},
                          {"in_channels", inC}, {"out_channels", n.shape.c},
                          {"output_shape", n.shape.flat ? nlohmann::json{n.shape.c}
                                                        : nlohmann::json{n.shape.c, n.shape.h, n.shape.w}},
                          {"params", c.params}, {"macs", c.macs}});
    }
    const auto total = g.totalCost();
    return {{"name", g.name},
            {"layers", layers},
            {"embedding", g.embeddingName()},
            {"logits", g.logitsName()},
            {"total", {{"params", total.params}, {"macs", total.macs}}},
            {"input", {g.preprocess.width, g.preprocess.height}}};
}

}  // namespace

void addInspectCommand(CLI::App& app) {
    auto* cmd = app.add_subcommand("inspect", "Print the layers of a model with channels, shapes, params and MACs");
    auto model = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    cmd->add_option("MODEL", *model, "Zoo name or model file")->required();
    cmd->add_flag("--json", *json, "Machine-readable output");
    cmd->callback([model, json] {
        const graph::Graph g = models::loadModel(*model);
        if (*json)
            std::cout << toJson(g).dump(2) << '\n';
        else
            printTable(g);
    });
}

}  // namespace fp::cli
