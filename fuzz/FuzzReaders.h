#pragma once
// What each fuzz target does with one input file, shared by the targets (fuzz_<reader>.cpp, built
// with clang and libFuzzer) and by tests/core/tst_fuzz_regressions.cpp (the normal build), which
// feeds every input the fuzzer once crashed on to the same reader and expects an fp::Error.
// A reader either returns or throws fp::Error; what a user does right after a file loads (cost a
// model, match against a gallery, write the layer analysis) runs too.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "eval/Pairs.h"
#include "faces/FaceAligner.h"
#include "io/FaceApiImporter.h"
#include "io/NativeFormat.h"
#include "io/OnnxImporter.h"
#include "live/Gallery.h"
#include "prune/History.h"
#include "util/ImageInput.h"

namespace fp::fuzz {

namespace fs = std::filesystem;

inline void writeFile(const fs::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// ONNX import (io/OnnxImporter, io/OnnxConstants); a model that imports is costed as the window shows it.
inline void readOnnx(const fs::path& input) { (void)io::importOnnx(input).totalCost(); }

// FacePrune's .fpm (io/NativeFormat).
inline void readNative(const fs::path& input) {
    (void)io::looksNative(input);
    (void)io::loadNative(input).totalCost();
}

// face-api's recognition net (io/FaceApiImporter): the input is the weights manifest (JSON), one NUL
// byte, then the weight data (no NUL: all manifest, no weights). The weights go in explicitly, as the
// CLI can pass them; the manifest's own "paths" are not followed.
inline void readFaceApi(const fs::path& input, const fs::path& scratch) {
    std::ifstream in(input, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t nul = std::min(bytes.find('\0'), bytes.size());
    writeFile(scratch / "manifest.json", bytes.substr(0, nul));
    writeFile(scratch / "weights.bin", nul < bytes.size() ? bytes.substr(nul + 1) : std::string());
    (void)io::importFaceApi(scratch / "manifest.json", scratch / "weights.bin");
}

// The image root pairs lists are read against: Abel_Pacheco_0001..4, Akhmed_Zakayev_0001..3 (empty
// files: the reader only checks that they exist).
inline fs::path makePairsImageRoot(const fs::path& scratch) {
    const auto root = scratch / "lfw";
    for (const auto& [name, count] : {std::pair{"Abel_Pacheco", 4}, std::pair{"Akhmed_Zakayev", 3}}) {
        fs::create_directories(root / name);
        for (int i = 1; i <= count; ++i) {
            char file[64];
            std::snprintf(file, sizeof file, "%s_%04d.jpg", name, i);
            writeFile(root / name / file, {});
        }
    }
    return root;
}

// LFW pairs.txt (eval/Pairs); every pair of a list that loads must index its images and folds.
inline void readPairs(const fs::path& input, const fs::path& imageRoot) {
    const auto list = eval::readLfwPairs(input, imageRoot);
    for (const auto& p : list.pairs)
        if (p.a < 0 || p.b < 0 || static_cast<size_t>(p.a) >= list.images.size() ||
            static_cast<size_t>(p.b) >= list.images.size() || p.fold < 0 || p.fold >= list.folds)
            throw std::logic_error("readLfwPairs returned a pair out of range");
}

// A pruning run's run.json (prune/History::loadHistory, which resuming, the window and run comparison
// read it through); a history that loads is turned into the CLI's per-layer analysis.
inline void readHistory(const fs::path& input, const fs::path& scratch) {
    prune::writeLayerAnalysis(prune::loadHistory(input), scratch / "layers.csv");
}

// The live tab's gallery (live/Gallery::load); one that loads is matched against, as the live view does.
inline void readGallery(const fs::path& input) {
    const auto g = live::Gallery::load(input);
    (void)g.match("tiny#0001", {0.6f, 0.8f, 0.f, 0.f}, 0.5f);
    (void)g.names();
}

// Image bytes to a network batch, the way every face goes: decoding (util/ImageInput), the aligner
// (faces/FaceAligner, five points placed as a detector would) for each alignment, image::toBatch.
inline void readImage(const fs::path& input) {
    const cv::Mat img = image::read(input);
    const float w = static_cast<float>(img.cols), h = static_cast<float>(img.rows);
    faces::Face face;
    face.box = cv::Rect2f(0.1f * w, 0.1f * h, 0.8f * w, 0.8f * h);
    face.score = 0.9f;
    face.points = {{{0.35f * w, 0.4f * h}, {0.65f * w, 0.4f * h}, {0.5f * w, 0.55f * h},
                    {0.38f * w, 0.72f * h}, {0.62f * w, 0.72f * h}}};
    face.landmarks68.assign(68, face.points[0]);  // hasLandmarks(): the points count as located
    const faces::FaceAligner aligner;
    for (auto a : {graph::Alignment::ArcFace112, graph::Alignment::Dlib150, graph::Alignment::CenterCrop,
                   graph::Alignment::None}) {
        graph::Preprocess pre;
        pre.alignment = a;
        if (a == graph::Alignment::Dlib150) pre.width = pre.height = 150;
        if (a == graph::Alignment::CenterCrop) {
            pre.width = pre.height = 113;
            pre.resizeShort = 129;
        }
        (void)image::toBatch({aligner.align(img, face, pre)}, pre);
    }
}

// The reader of fuzz target `target` (a folder name under tests/data/fuzz-corpus/); false for an unknown name.
inline bool readAs(const std::string& target, const fs::path& input, const fs::path& scratch) {
    if (target == "fuzz_onnx_importer") readOnnx(input);
    else if (target == "fuzz_native_format") readNative(input);
    else if (target == "fuzz_faceapi_importer") readFaceApi(input, scratch);
    else if (target == "fuzz_pairs") readPairs(input, makePairsImageRoot(scratch));
    else if (target == "fuzz_history") readHistory(input, scratch);
    else if (target == "fuzz_gallery") readGallery(input);
    else if (target == "fuzz_image_input") readImage(input);
    else return false;
    return true;
}

}  // namespace fp::fuzz
