#pragma once
// Finds faces with the Ultra-Light-Fast RFB detector (faceplugin's fr_detect.onnx, 320x240
// input) through OpenCV's dnn module.
#include <filesystem>
#include <vector>

#include <opencv2/dnn.hpp>

#include "faces/Face.h"
#include "util/Assets.h"

namespace fp::faces {

class FaceDetector {
public:
    // Throws fp::ModelFileError naming the file when it is missing, unreadable or not this detector.
    explicit FaceDetector(const std::filesystem::path& onnx = assets::locate(assets::Asset::FaceDetector));
    // A copied cv::dnn::Net shares its buffers, so a copy would race with the original: move only.
    FaceDetector(FaceDetector&&) = default;
    FaceDetector& operator=(FaceDetector&&) = default;
    FaceDetector(const FaceDetector&) = delete;
    FaceDetector& operator=(const FaceDetector&) = delete;

    // Faces in an 8-bit BGR (or gray / BGRA) image, best first, with box and score set; points
    // and landmarks are left for LandmarkDetector. Throws fp::InputError for an empty image.
    // Not thread-safe (the network keeps its buffers): give each thread its own detector.
    std::vector<Face> detect(const cv::Mat& bgr, float minScore = 0.7f) const;

    const std::filesystem::path& path() const { return path_; }

    static constexpr int kInputWidth = 320;
    static constexpr int kInputHeight = 240;

private:
    std::filesystem::path path_;
    mutable cv::dnn::Net net_;
};

}  // namespace fp::faces
