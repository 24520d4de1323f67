#pragma once
// 68 facial landmarks from faceplugin's fr_landmark.onnx (64x64 grayscale crop of the face box),
// reduced to the 5 points that alignment templates use.
#include <filesystem>

#include <opencv2/dnn.hpp>

#include "faces/Face.h"
#include "util/Assets.h"

namespace fp::faces {

class LandmarkDetector {
public:
    // Throws fp::ModelFileError naming the file when it is missing, unreadable or not this net.
    explicit LandmarkDetector(
        const std::filesystem::path& onnx = assets::locate(assets::Asset::FaceLandmarks));
    // Move only, like FaceDetector: copies would share the network's buffers.
    LandmarkDetector(LandmarkDetector&&) = default;
    LandmarkDetector& operator=(LandmarkDetector&&) = default;
    LandmarkDetector(const LandmarkDetector&) = delete;
    LandmarkDetector& operator=(const LandmarkDetector&) = delete;

    // Fills face.landmarks68 and face.points from the image the face was detected in. Throws
    // fp::InputError for an empty image or a face box outside it. Not thread-safe.
    void locate(const cv::Mat& bgr, Face& face) const;

    // The square, in-image region the net sees for a box: side = box height (as the reference
    // code squares it), centred on the box, shifted (not cut) to stay inside the image.
    static cv::Rect2f cropFor(const cv::Rect2f& box, cv::Size image);
    // 68 -> 5 points as faceplugin's convert68pts5pts does: eye centres from 4 lid points each,
    // nose tip (30), mouth corners as the mean of outer (48/54) and inner (60/64) corner points.
    static std::array<cv::Point2f, 5> fivePoints(const std::vector<cv::Point2f>& landmarks68);

    const std::filesystem::path& path() const { return path_; }

    static constexpr int kInputSize = 64;

private:
    std::filesystem::path path_;
    mutable cv::dnn::Net net_;
};

}  // namespace fp::faces
