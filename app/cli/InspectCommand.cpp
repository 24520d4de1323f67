// faceprune-cli inspect MODEL [--json]: the layer table and totals.
// faceprune-cli inspect MODEL --plan inference|scoring [--plain]: the steps the executor runs.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "app/cli/Commands.h"
#include "exec/ExecutionMode.h"
#include "exec/Executor.h"
#include "models/ModelLoader.h"
#include "prune/ChannelGraph.h"
#include "prune/Scorer.h"
#include "train/Head.h"
#include "util/Errors.h"

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

// The steps one pass of `mode` runs on a batch of 2 (values do not change the steps).
void printPlan(graph::Graph g, const std::string& mode) {
    const auto& in = g.at(g.inputName()).inputShape;
    const Tensor batch = Tensor::zeros({2, in.c, in.h, in.w});
    std::vector<exec::ExecStep> steps;
    if (mode == "inference") {
        steps = exec::Executor(g).steps(batch);
    } else {
        // Taylor scores come from the identification loss: without a head, a 10-class one stands in.
        if (!g.hasHead()) train::prepareHead(g, 10, train::LossKind::Softmax, nullptr, 1);
        const prune::ChannelGraph cg(g);
        prune::Scorer scorer(g, cg, prune::Criterion::Taylor);
        scorer.accumulate({batch, {0, 1}});
        steps = scorer.lastSteps();
    }
    std::printf("%s, %s pass%s:\n%s", g.name.c_str(), mode.c_str(), exec::plainExecution() ? " (plain)" : "",
                exec::describeSteps(steps).c_str());
}

}  // namespace

void addInspectCommand(CLI::App& app) {
    auto* cmd = app.add_subcommand("inspect", "Print the layers of a model with channels, shapes, params and MACs");
    auto model = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    cmd->add_option("MODEL", *model, "Zoo name or model file")->required();
    cmd->add_flag("--json", *json, "Machine-readable output");
    auto plan = std::make_shared<std::string>();
    auto plain = std::make_shared<bool>(false);
    cmd->add_option("--plan", *plan, "Print the steps the executor runs for a pass instead")
        ->check(CLI::IsMember({"inference", "scoring"}));
    cmd->add_flag("--plain", *plain, "With --plan: the plain reference execution (no fast paths)");
    cmd->callback([model, json, plan, plain] {
        const graph::Graph g = models::loadModel(*model);
        if (*plain && plan->empty()) throw Error("--plain goes with --plan");
        exec::setPlainExecution(*plain);
        if (!plan->empty())
            printPlan(g, *plan);
        else if (*json)
            std::cout << toJson(g).dump(2) << '\n';
        else
            printTable(g);
    });
}

}  // namespace fp::cli
