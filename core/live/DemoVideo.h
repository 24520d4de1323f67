#pragma once
// The video the live view plays when there is no camera: slow pans and zooms over the face-api
// sample photos, written once into a cache folder and reused. Deterministic: the same photos give
// the same frames on every machine.
#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace fp::live {

struct DemoVideoSpec {
    int width = 640;
    int height = 480;
    double fps = 15.0;
    int framesPerPhoto = 25;  // 6 photos -> 150 frames, 10 s at 15 fps
};

class DemoVideo {
public:
    // $XDG_CACHE_HOME/faceprune/live, else ~/.cache/faceprune/live.
    static std::filesystem::path defaultDir();

    // Path of the demo video in `dir`, written first when it is not there (or not readable).
    // Throws fp::AssetError when the sample photos are missing, fp::Error when it cannot write.
    static std::filesystem::path ensure(const std::filesystem::path& dir = defaultDir(),
                                        const DemoVideoSpec& spec = {});

    // Frame `index` (0-based) of the video, as ensure() writes it (8-bit BGR).
    static cv::Mat frame(const std::vector<cv::Mat>& photos, int index, const DemoVideoSpec& spec);
    // The six sample photos, scaled so that the deepest zoom is still sharp.
    static std::vector<cv::Mat> loadPhotos(const DemoVideoSpec& spec);

    // The file name encodes the spec so that a different spec never reuses a stale file.
    static std::string fileName(const DemoVideoSpec& spec);
};

}  // namespace fp::live
