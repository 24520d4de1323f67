// Writes the seed corpus of the fuzz targets with FacePrune's own writers: tiny graphs as .fpm
// (saveNative) and ONNX (exportOnnx), a short run.json (saveHistory), a small gallery
// (Gallery::save), images in the formats people feed in (cv::imencode), and pairs.txt lines.
// The face-api seeds are a manifest and its weights joined by one NUL byte (see
// fuzz_faceapi_importer.cpp). Every file stays far below 20 KB.
//   build-fuzz/fuzz_make_seeds tests/data/fuzz-corpus     (fuzz/make_onnx_seeds.py adds the hand-made ONNX seeds)
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "graph/GraphBuilder.h"
#include "io/NativeFormat.h"
#include "io/OnnxExporter.h"
#include "live/Gallery.h"
#include "prune/History.h"

namespace fs = std::filesystem;
using namespace fp;

namespace {

fs::path corpus;

fs::path dir(const std::string& target) {
    const auto d = corpus / target;
    fs::create_directories(d);
    return d;
}

void writeText(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

// input 3x8x8 -> conv -> BN -> PReLU -> maxpool -> residual add -> GAP -> flatten -> fc -> L2 (+ head)
graph::Graph smallResNet(bool head) {
    graph::GraphBuilder b("tiny-resnet", graph::Shape{3, 8, 8, false});
    auto x = b.conv(b.input(), "conv1", graph::ConvSpec{4, 3, 1, 1, 1, 1, true});
    x = b.batchNorm(x, "bn1");
    x = b.prelu(x, "prelu1");
    x = b.maxPool(x, "pool1", 2, 2);
    auto y = b.conv(x, "conv2", graph::ConvSpec{4, 3, 1, 1, 4, 1, false});
    y = b.relu(y, "relu2");
    x = b.add({x, y}, "add2");
    x = b.globalAvgPool(x, "gap");
    x = b.flatten(x, "flatten");
    x = b.linear(x, "fc", 8);
    if (!head) return b.finish(b.l2norm(x, "l2"));
    const auto emb = b.l2norm(x, "l2");
    return b.finish(emb, b.linear(emb, "head", 3));
}

// The other ops: scale, clip, pad, concat, avgpool (ceil mode), dropout, a strided 1x1 conv.
graph::Graph smallMixed() {
    graph::GraphBuilder b("tiny-mixed", graph::Shape{3, 7, 7, false});
    auto x = b.scale(b.input(), "norm");
    x = b.pad(x, "pad", {0, 0, 1, 1, 1, 1});
    auto a = b.conv(x, "conv_a", graph::ConvSpec{2, 1, 2, 0, 1, 1, true});
    a = b.clip(a, "relu6", 0.f, 6.f);
    auto c = b.avgPool(x, "pool_b", 3, 2, 1, true);
    c = b.conv(c, "conv_b", graph::ConvSpec{2, 1, 1, 0, 1, 1, false});
    x = b.concat({a, c}, "cat");
    x = b.dropout(x, "drop", 0.2f);
    x = b.globalAvgPool(x, "gap");
    x = b.flatten(x, "flatten");
    return b.finish(b.linear(x, "fc", 4));
}

void nativeSeeds() {
    const auto d = dir("fuzz_native_format");
    io::saveNative(smallResNet(false), d / "resnet");
    io::saveNative(smallResNet(true), d / "resnet-head");
    io::saveNative(smallMixed(), d / "mixed");
}

void onnxSeeds() {
    const auto d = dir("fuzz_onnx_importer");
    io::exportOnnx(smallResNet(false), d / "export-resnet");
    io::OnnxExportOptions o;
    o.keepBatchNorm = true;
    o.withHead = true;
    o.opset = 11;
    io::exportOnnx(smallResNet(true), d / "export-resnet-bn-head", o);
    io::exportOnnx(smallMixed(), d / "export-mixed");
}

void historySeeds() {
    prune::History h;
    h.model = "tiny.fpm";
    h.config.target = prune::Target{prune::TargetKind::Macs, 0.5};
    h.config.locked = {"conv1"};
    h.config.constraints.minWidthOf = {{"fc", 4}};
    h.config.floorMetric = "accuracy";
    h.config.floorValue = 0.9;
    h.originalFilters = 16;
    h.originalParams = 1000;
    h.originalMacs = 20000;
    h.originalWidths = {{"conv1", 4}, {"conv2", 4}, {"fc", 8}};
    h.originalMetrics = {{"accuracy", 0.95}, {"eer", 0.06}};
    h.originalRoc = {{0.0, 0.1}, {0.5, 0.9}, {1.0, 1.0}};
    h.data = {{"train", "/data/train"}, {"pairs", "/data/pairs.txt"}};
    for (int i = 1; i <= 2; ++i) {
        prune::IterationRecord it;
        it.iteration = i;
        it.removed = {{"conv1", {i}}, {"fc", {0, 3}}};
        it.widths = {{"conv1", 4 - i}, {"conv2", 4}, {"fc", 8 - 2 * i}};
        it.scores = {{"conv1", {0.1, 0.5, 0.9}}};
        it.filters = 16 - 3 * i;
        it.params = 1000 - 100 * i;
        it.macs = 20000 - 3000 * i;
        it.metrics = {{"accuracy", 0.94}, {"loss", 1.5}};
        it.roc = {{0.0, 0.2}, {1.0, 1.0}};
        it.seconds = {{"score", 1.5}, {"finetune", 3.0}};
        h.iterations.push_back(it);
    }
    h.recovery.started = true;
    h.recovery.stopCondition = "target reached";
    h.recovery.stepsDone = 100;
    h.recovery.points = {{50, {{"accuracy", 0.93}}}, {100, {{"accuracy", 0.94}, {"loss", 1.2}}}};
    h.recovery.bestStep = 100;
    h.recovery.bestRoc = {{0.0, 0.3}, {1.0, 1.0}};
    h.recovery.seconds = 12.5;
    h.stopReason = "target reached";
    const auto d = dir("fuzz_history");
    prune::saveHistory(h, d / "run.json");
    prune::History old;  // a run from before the recovery settings existed, still running
    old.model = "mobilefacenet";
    prune::saveHistory(old, d / "run-minimal.json");
}

void gallerySeeds() {
    auto sample = [](int shade) {
        live::GallerySample s;
        s.chip = cv::Mat(8, 8, CV_8UC3, cv::Scalar(shade, 255 - shade, 128));
        s.face.box = cv::Rect2f(1, 1, 6, 6);
        s.face.score = 0.9f;
        s.face.points = {{{2, 3}, {6, 3}, {4, 4}, {3, 6}, {5, 6}}};
        return s;
    };
    live::Gallery g;
    g.add("Ada", sample(10), {{"tiny#0001", {0.6f, 0.8f, 0.f, 0.f}}, {"other#0002", {1.f, 0.f}}});
    g.add("Ada", sample(40), {{"tiny#0001", {0.f, 0.6f, 0.8f, 0.f}}, {"other#0002", {0.f, 1.f}}});
    g.add("Grace", sample(200), {{"tiny#0001", {0.f, 0.f, 0.6f, 0.8f}}});
    auto withLandmarks = sample(90);
    for (int i = 0; i < 68; ++i) withLandmarks.face.landmarks68.emplace_back(i % 8, i / 9);
    g.add("Linus", withLandmarks, {});
    const auto d = dir("fuzz_gallery");
    g.save(d / "gallery");
    live::Gallery empty;
    empty.save(d / "gallery-empty");
}

void imageSeeds() {
    const auto d = dir("fuzz_image_input");
    cv::Mat img(12, 16, CV_8UC3);
    cv::randu(img, 0, 255);
    cv::Mat gray;
    cv::cvtColor(img, gray, cv::COLOR_BGR2GRAY);
    cv::Mat bgra;
    cv::cvtColor(img, bgra, cv::COLOR_BGR2BGRA);
    for (const char* ext : {".png", ".jpg", ".bmp", ".ppm", ".tif", ".webp"}) {
        std::vector<uchar> bytes;
        if (cv::imencode(ext, img, bytes)) writeText(d / (std::string("colour") + ext), {bytes.begin(), bytes.end()});
    }
    for (const char* ext : {".png", ".jpg", ".pgm"}) {
        std::vector<uchar> bytes;
        if (cv::imencode(ext, gray, bytes)) writeText(d / (std::string("gray") + ext), {bytes.begin(), bytes.end()});
    }
    std::vector<uchar> bytes;
    if (cv::imencode(".png", bgra, bytes)) writeText(d / "alpha.png", {bytes.begin(), bytes.end()});
    cv::Mat progressive;
    cv::resize(img, progressive, {40, 30});
    if (cv::imencode(".jpg", progressive, bytes, {cv::IMWRITE_JPEG_PROGRESSIVE, 1, cv::IMWRITE_JPEG_QUALITY, 50}))
        writeText(d / "progressive.jpg", {bytes.begin(), bytes.end()});
    // OpenJPEG's default 6 resolutions need at least 32x32.
    cv::Mat larger;
    cv::resize(img, larger, {64, 48});
    if (cv::imencode(".jp2", larger, bytes)) writeText(d / "colour.jp2", {bytes.begin(), bytes.end()});
}

void pairsSeeds() {
    // fuzz_pairs.cpp makes Abel_Pacheco_0001..4 and Akhmed_Zakayev_0001..3 under its image root.
    const auto d = dir("fuzz_pairs");
    writeText(d / "two-folds.txt",
              "2\t1\nAbel_Pacheco\t1\t4\nAbel_Pacheco\t1\tAkhmed_Zakayev\t3\n"
              "Akhmed_Zakayev\t1\t2\nAkhmed_Zakayev\t2\tAbel_Pacheco\t2\n");
    writeText(d / "one-fold.txt", "2\nAbel_Pacheco 1 2\nAkhmed_Zakayev 1 3\n"
                                  "Abel_Pacheco 3 Akhmed_Zakayev 1\nAbel_Pacheco 4 Akhmed_Zakayev 2\n");
    writeText(d / "missing-image.txt", "1 1\n\nAbel_Pacheco 1 9\r\nNobody 1 Abel_Pacheco 1\r\n");
}

// Manifest + '\0' + weights: two quantized weights and a float16 one, with their exact data sizes.
void faceApiSeeds() {
    const auto d = dir("fuzz_faceapi_importer");
    const std::string manifest =
        R"([{"paths":["face_recognition_model.bin"],"weights":[)"
        R"({"name":"conv32_down/conv/filters","shape":[7,7,3,32],"dtype":"float32",)"
        R"("quantization":{"dtype":"uint8","scale":0.01,"min":-1.2}},)"
        R"({"name":"conv32_down/conv/bias","shape":[32],"dtype":"float32",)"
        R"("quantization":{"dtype":"uint16","scale":0.001,"min":-0.5}},)"
        R"({"name":"conv32_down/scale/weights","shape":[32],"dtype":"float32","quantization":{"dtype":"float16"}},)"
        R"({"name":"conv32_down/scale/biases","shape":[32],"dtype":"float32"}]}])";
    std::string bin;
    for (int i = 0; i < 7 * 7 * 3 * 32; ++i) bin += static_cast<char>(i * 37);
    for (int i = 0; i < 32; ++i) bin += std::string{static_cast<char>(i), static_cast<char>(i * 3)};
    for (int i = 0; i < 32; ++i) bin += std::string{'\x00', '\x3c'};  // 1.0 in float16
    for (int i = 0; i < 32; ++i) bin += std::string{'\0', '\0', '\x80', '\x3f'};  // 1.0f
    writeText(d / "first-layer", manifest + '\0' + bin);
    // Two groups, one weight each, and a shape that does not match the net (rejected with a message).
    const std::string two =
        R"([{"paths":["a.bin"],"weights":[{"name":"fc","shape":[2,3],"dtype":"float32"}]},)"
        R"({"paths":["b.bin"],"weights":[{"name":"conv32_1/conv1/conv/bias","shape":[4],"dtype":"float32",)"
        R"("quantization":{"dtype":"uint8","scale":1,"min":0}}]}])";
    writeText(d / "two-groups", two + '\0' + std::string(6 * 4, '\x01') + "\x01\x02\x03\x04");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    corpus = argv[1];
    nativeSeeds();
    onnxSeeds();
    historySeeds();
    gallerySeeds();
    imageSeeds();
    pairsSeeds();
    faceApiSeeds();
    return 0;
}
