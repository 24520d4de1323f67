// faceprune-cli embed MODEL IMAGE... [--raw] [--json]: embeddings of faces.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "app/cli/Commands.h"
#include "exec/Executor.h"
#include "faces/FacePipeline.h"
#include "models/ModelLoader.h"
#include "util/Errors.h"
#include "util/ImageInput.h"

namespace fp::cli {

namespace {

struct Options {
    std::string model;
    std::vector<std::string> images;
    bool raw = false;
    bool json = false;
};

struct Result {
    std::string image;
    int face = 0;
    cv::Rect box;
    std::vector<float> embedding;
};

int run(const Options& opt) {
    graph::Graph g = models::loadModel(opt.model);
    exec::Executor executor(g);
    std::unique_ptr<faces::FacePipeline> pipeline;
    if (!opt.raw) pipeline = std::make_unique<faces::FacePipeline>();

    std::vector<Result> results;
    int failures = 0;
    for (const auto& path : opt.images) {
        try {
            cv::Mat img = image::read(path);
            std::vector<cv::Mat> crops;
            std::vector<cv::Rect> boxes;
            if (opt.raw) {
                if (img.cols != g.preprocess.width || img.rows != g.preprocess.height)
                    throw InputError(path + ": is " + std::to_string(img.cols) + "x" + std::to_string(img.rows) +
                                     "; --raw needs the model's input size " + std::to_string(g.preprocess.width) +
                                     "x" + std::to_string(g.preprocess.height));
                crops.push_back(img);
                boxes.emplace_back(0, 0, img.cols, img.rows);
            } else {
                for (auto& f : pipeline->run(img, g.preprocess)) {
                    crops.push_back(f.crop);
                    boxes.push_back(f.face.box);
                }
                if (crops.empty()) {
                    std::cerr << path << ": no face found\n";
                    ++failures;
                    continue;
                }
            }
            const Tensor emb = executor.embed(image::toBatch(crops, g.preprocess));
            const int64_t dim = emb.numel() / static_cast<int64_t>(crops.size());
            for (size_t i = 0; i < crops.size(); ++i)
                results.push_back({path, static_cast<int>(i), boxes[i],
                                   std::vector<float>(emb.data.begin() + i * dim, emb.data.begin() + (i + 1) * dim)});
        } catch (const InputError& e) {
            std::cerr << e.what() << '\n';
            ++failures;
        }
    }

    if (opt.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& r : results)
            out.push_back({{"image", r.image}, {"face", r.face},
                           {"box", {r.box.x, r.box.y, r.box.width, r.box.height}}, {"embedding", r.embedding}});
        std::cout << out.dump() << '\n';
    } else {
        for (const auto& r : results) {
            std::printf("%s face %d at %d,%d %dx%d (%zu-d):", r.image.c_str(), r.face, r.box.x, r.box.y, r.box.width,
                        r.box.height, r.embedding.size());
            for (float v : r.embedding) std::printf(" %.6g", v);
            std::printf("\n");
        }
    }
    return failures == 0 ? 0 : 1;
}

}  // namespace

void addEmbedCommand(CLI::App& app) {
    auto* cmd = app.add_subcommand("embed", "Embed the faces in images (detect, align, run the model)");
    auto opt = std::make_shared<Options>();
    cmd->add_option("MODEL", opt->model, "Zoo name or model file")->required();
    cmd->add_option("IMAGE", opt->images, "Image files")->required();
    cmd->add_flag("--raw", opt->raw,
                  "Images are already at the model's input size: no detection or alignment "
                  "(colour order and normalisation still apply)");
    cmd->add_flag("--json", opt->json, "Machine-readable output");
    cmd->callback([opt] {
        if (int code = run(*opt)) throw CLI::RuntimeError(code);
    });
}

}  // namespace fp::cli
