#pragma once
// Per frame: detect faces, locate landmarks, align, embed every face with the original and with the
// pruned model, and name it from the gallery with each. Keeps running figures of how far the two
// models agree. Not thread-safe: one pipeline per worker thread.
#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "faces/FacePipeline.h"
#include "live/Gallery.h"
#include "live/InferenceBackend.h"

namespace fp::live {

enum Side { Original = 0, Pruned = 1 };

struct FaceResult {
    faces::Face face;             // in frame pixels, with landmarks
    std::array<Match, 2> match;   // per Side
    float crossSimilarity = 0.f;  // cosine between the two models' embeddings of this face
    bool comparable = false;      // the two embeddings have the same size (crossSimilarity is meaningful)
};

// Milliseconds spent on one frame, per stage (landmarks and alignment summed over its faces).
struct StageTimes {
    double detectMs = 0, landmarksMs = 0, alignMs = 0, matchMs = 0, totalMs = 0;
    std::array<double, 2> embedMs{0, 0};  // per Side, all faces of the frame
};

struct FrameResult {
    int64_t index = -1;
    std::vector<FaceResult> faces;  // best detector score first
    StageTimes times;
};

struct RunningStats {
    int64_t frames = 0, faces = 0;
    int64_t compared = 0, agreed = 0;  // faces decided while the gallery had people; same decision by both
    double cosineSum = 0;
    int64_t cosineCount = 0;
    // Share of compared faces both models named the same (both "unknown" counts as the same); -1 before any.
    double agreementRate() const { return compared ? double(agreed) / double(compared) : -1.0; }
    double meanCosine() const { return cosineCount ? cosineSum / double(cosineCount) : -1.0; }
};

struct LiveOptions {
    float threshold = 0.35f;    // cosine at or above which a face is named
    float minFaceScore = 0.7f;  // detector confidence
    int maxFaces = 12;          // the largest faces of a crowded frame
    Backend backend = Backend::Auto;
    int backendRuns = 10;  // timed forwards per backend when choosing
    // LibTorch threads on the thread that builds and runs the pipeline; 0 = the process setting. One:
    // LibTorch's spinning OpenMP workers and OpenCV's detector threads fight over the cores between
    // faces; with one per core a frame with one face ran 2.5x slower here (bench_live).
    int torchThreads = 1;
};

class LivePipeline {
public:
    // The two models may be the same graph. Builds both inference backends (exports and measures: about
    // a second for MobileFaceNet). Throws fp::Error (AssetError for missing face models).
    LivePipeline(std::shared_ptr<const graph::Graph> original, std::shared_ptr<const graph::Graph> pruned,
                 LiveOptions options = {});

    FrameResult process(const cv::Mat& bgr, int64_t index = -1);

    // Enrols one face of `bgr` (found by process(), or located here when it has no landmarks yet).
    void enrolFace(const std::string& name, const cv::Mat& bgr, const faces::Face& face);
    // Enrols the largest face of a photo; false when it has none.
    bool enrolImage(const std::string& name, const cv::Mat& bgr);
    // Enrols every photo in a folder (at most maxImages, sorted by name); returns how many gave a face.
    // Throws fp::InputError when the folder has no readable photo with a face.
    int enrolFolder(const std::string& name, const std::filesystem::path& dir, int maxImages = 30);

    // Replaces the gallery; faces enrolled under other models are embedded again with these.
    void setGallery(Gallery gallery);
    const Gallery& gallery() const { return gallery_; }
    bool removePerson(const std::string& name) { return gallery_.remove(name); }
    // Embeds every gallery sample that lacks an embedding of the current models; returns how many.
    int syncGallery();

    void setThreshold(float t) { options_.threshold = t; }
    float threshold() const { return options_.threshold; }
    const LiveOptions& options() const { return options_; }

    const RunningStats& stats() const { return stats_; }
    void resetStats() { stats_ = {}; }

    InferenceBackend& backend(Side s) { return *backends_[s]; }
    const InferenceBackend& backend(Side s) const { return *backends_[s]; }
    const std::string& modelKey(Side s) const { return keys_[s]; }
    const faces::FacePipeline& faces() const { return faces_; }

private:
    std::map<std::string, std::vector<float>> embedSample(const GallerySample& s);

    LiveOptions options_;
    faces::FacePipeline faces_;
    faces::FaceAligner aligner_;
    std::array<std::unique_ptr<InferenceBackend>, 2> backends_;
    std::array<std::string, 2> keys_;
    Gallery gallery_;
    RunningStats stats_;
};

}  // namespace fp::live
