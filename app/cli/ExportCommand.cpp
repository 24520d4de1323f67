// faceprune-cli export MODEL --out FILE.onnx [--keep-bn] [--with-head]: writes
// ONNX, then loads the file back through OpenCV and reports how far its outputs
// are from FacePrune's own executor on a fixed input.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "app/cli/Commands.h"
#include "io/ExportCheck.h"
#include "io/OnnxExporter.h"
#include "models/ModelLoader.h"
#include "util/Errors.h"

namespace fp::cli {

namespace {

struct Options {
    std::string model;
    std::string out;
    bool keepBn = false;
    bool withHead = false;
};

// What `export` accepts as MODEL: everything loadModel() takes (a pruning run
// directory goes here too, ahead of it).
graph::Graph loadSource(const std::string& spec) { return models::loadModel(spec); }

int run(const Options& opt) {
    const graph::Graph g = loadSource(opt.model);
    io::OnnxExportOptions eo;
    eo.keepBatchNorm = opt.keepBn;
    eo.withHead = opt.withHead;
    const bool head = opt.withHead && g.hasHead();
    if (opt.withHead && !g.hasHead())
        std::cerr << "note: " << g.name << " has no identification head; only the embedding is exported\n";

    const auto report = io::exportOnnx(g, opt.out, eo);
    const auto bytes = std::filesystem::file_size(opt.out);
    const auto written = io::inferenceGraph(g, eo).totalCost();
    std::printf("wrote %s: %.2f MB, %.3f M parameters, %.1f M MACs%s%s\n", opt.out.c_str(), bytes / 1e6,
                written.params / 1e6, written.macs / 1e6, opt.keepBn ? ", BatchNorm kept" : ", BatchNorm folded",
                head ? ", outputs embedding + logits" : ", output embedding");
    if (report.denormalsFlushed > 0)
        std::printf("%lld weights below float32's normal range written as 0 (they slow runtimes without "
                    "flush-to-zero and change nothing here)\n",
                    static_cast<long long>(report.denormalsFlushed));

    // Read the file back through OpenCV and run both on the same input.
    const io::AgreementResult check = io::checkOnnxAgreement(g, opt.out, head);
    if (!check.ran) {
        std::cerr << "error: " << check.text << '\n';
        return 1;
    }
    std::printf("%s\n", check.text.c_str());
    if (!check.agrees) {
        std::cerr << "warning: the exported file's outputs disagree with FacePrune's\n";
        return 1;
    }
    return 0;
}

}  // namespace

void addExportCommand(CLI::App& app) {
    auto* cmd = app.add_subcommand("export", "Write a model as ONNX and check it in OpenCV");
    auto opt = std::make_shared<Options>();
    cmd->add_option("MODEL", opt->model, "Zoo name or model file")->required();
    cmd->add_option("--out,-o", opt->out, "ONNX file to write")->required();
    cmd->add_flag("--keep-bn", opt->keepBn, "Keep BatchNorm (and Scale) layers instead of folding them into convs");
    cmd->add_flag("--with-head", opt->withHead, "Also output the identification head's logits (when there is one)");
    cmd->callback([opt] {
        if (int code = run(*opt)) throw CLI::RuntimeError(code);
    });
}

}  // namespace fp::cli
