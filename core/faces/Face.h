#pragma once
// One detected face, in the pixel coordinates of the image it was found in.
#include <array>
#include <vector>

#include <opencv2/core.hpp>

namespace fp::faces {

// Order of Face::points; "left" and "right" are as seen in the image, which is the order the
// ArcFace and dlib templates use.
enum FacePoint { LeftEye = 0, RightEye, Nose, LeftMouth, RightMouth };

struct Face {
    cv::Rect2f box;                        // detector box, clipped to the image
    float score = 0.f;                     // detector confidence 0..1
    std::array<cv::Point2f, 5> points{};   // FacePoint order; set by LandmarkDetector
    std::vector<cv::Point2f> landmarks68;  // iBUG 68-point layout; empty until located

    bool hasLandmarks() const { return landmarks68.size() == 68; }
};

namespace detail {
// Gray / BGRA / BGR 8-bit image as BGR (shared, not copied, when it already is); throws
// fp::InputError naming `what` for an empty or unsupported image.
cv::Mat toBgr(const cv::Mat& image, const char* what);
}  // namespace detail

}  // namespace fp::faces
