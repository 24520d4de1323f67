#pragma once
// Detect -> landmarks -> align for every face in a photo: what loaders and live views call.
#include <filesystem>
#include <vector>

#include "faces/FaceAligner.h"
#include "faces/FaceDetector.h"
#include "faces/LandmarkDetector.h"

namespace fp::faces {

struct AlignedFace {
    Face face;
    cv::Mat crop;  // 8-bit BGR, pre.width x pre.height
};

// Not thread-safe (the nets keep their buffers): one pipeline per thread.
class FacePipeline {
public:
    // The npm detector and landmark models; throws fp::AssetError / fp::ModelFileError.
    FacePipeline() = default;
    FacePipeline(const std::filesystem::path& detectorOnnx, const std::filesystem::path& landmarksOnnx)
        : detector_(detectorOnnx), landmarks_(landmarksOnnx) {}

    // Faces best first. Throws fp::InputError for an empty image or an unusable Preprocess.
    std::vector<AlignedFace> run(const cv::Mat& bgr, const graph::Preprocess& pre,
                                 float minScore = 0.7f) const {
        std::vector<AlignedFace> out;
        for (Face& f : detector_.detect(bgr, minScore)) {
            landmarks_.locate(bgr, f);
            cv::Mat crop = aligner_.align(bgr, f, pre);
            out.push_back({std::move(f), std::move(crop)});
        }
        return out;
    }

    const FaceDetector& detector() const { return detector_; }
    const LandmarkDetector& landmarks() const { return landmarks_; }

private:
    FaceDetector detector_;
    LandmarkDetector landmarks_;
    FaceAligner aligner_;
};

}  // namespace fp::faces
