#pragma once
// Runs a recognition model on aligned face crops, one at a time, through whichever runtime is faster
// on this machine while giving the same answers: FacePrune's LibTorch executor, or OpenCV's cv::dnn on
// the model exported to ONNX (to a temporary file, once per model).
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "graph/Graph.h"

namespace fp::live {

enum class Backend { Auto, LibTorch, OpenCvDnn };
const char* backendName(Backend b);

// What choosing the backend measured.
struct BackendReport {
    double torchMs = -1;  // median batch-1 embedding time; < 0 when not measured
    double dnnMs = -1;
    double maxDiff = -1;  // largest |difference| of the two L2-normalised embeddings; < 0 when not compared
    bool dnnAvailable = false;  // the model exported and OpenCV loaded it
    Backend chosen = Backend::LibTorch;
    std::string note;         // one line: why this backend
    uintmax_t onnxBytes = 0;  // size of the exported file (the deployable model)
};

class InferenceBackend {
public:
    // Two backends agree when their normalised embeddings differ by at most this (cosine scores then
    // differ by less than 1e-3, far below any threshold's resolution).
    static constexpr double kTolerance = 1e-4;

    // want = Auto measures both (`runs` timed batch-1 forwards each) and keeps the faster that agrees;
    // LibTorch or OpenCvDnn forces one (OpenCvDnn falls back to LibTorch when the export fails, and says so).
    explicit InferenceBackend(std::shared_ptr<const graph::Graph> graph, Backend want = Backend::Auto,
                              int runs = 10);
    ~InferenceBackend();
    InferenceBackend(const InferenceBackend&) = delete;
    InferenceBackend& operator=(const InferenceBackend&) = delete;

    // L2-normalised embedding of one crop (8-bit BGR at the model's input size). Not thread-safe.
    std::vector<float> embed(const cv::Mat& crop);
    // The same through a given backend (benchmarks); throws fp::Error when that one is unavailable.
    std::vector<float> embedWith(Backend b, const cv::Mat& crop);

    Backend backend() const { return report_.chosen; }
    const BackendReport& report() const { return report_; }
    const graph::Graph& graph() const { return *graph_; }
    const std::shared_ptr<const graph::Graph>& graphPtr() const { return graph_; }

private:
    struct Impl;
    std::shared_ptr<const graph::Graph> graph_;
    std::unique_ptr<Impl> impl_;
    BackendReport report_;
};

}  // namespace fp::live
