#pragma once
// Aligned face crops kept on disk, so that a second pass over a data set does no detection.
// Entries are PNG files keyed by the image's content (not its name or date) and by the alignment
// settings that shape the crop; an image in which no face was found is remembered too.
//
// For CenterCrop models the cache holds the whole resizeShort square (ArcFace geometry) so that the
// loader can cut a random crop from it in training and the centre one at test time.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "graph/Preprocess.h"

namespace fp::faces {
class FacePipeline;
}

namespace fp::data {

enum class CropStatus {
    Cached,      // read from the cache
    Aligned,     // detected and aligned now, then stored
    NoFace,      // no face found (now or on an earlier pass)
    Unreadable,  // the file cannot be read or decoded
};

struct CropResult {
    std::optional<cv::Mat> crop;  // 8-bit BGR, AlignedCache::cropSize(); empty for NoFace / Unreadable
    CropStatus status = CropStatus::Unreadable;
    std::string message;  // for NoFace / Unreadable: "<file>: no face found" ...
};

struct CacheStats {
    int64_t hits = 0;        // crops (and no-face marks) served from disk
    int64_t detections = 0;  // images that went through the face detector
    int64_t noFace = 0;
    int64_t unreadable = 0;
};

class AlignedCache {
public:
    // dir empty = defaultDir(). minScore: detector confidence a face needs. Throws fp::InputError
    // for a Preprocess that cannot be aligned (bad sizes) and fp::Error when dir cannot be created.
    explicit AlignedCache(const graph::Preprocess& pre, std::filesystem::path dir = {},
                          float minScore = 0.7f);
    ~AlignedCache();
    AlignedCache(const AlignedCache&) = delete;
    AlignedCache& operator=(const AlignedCache&) = delete;

    // $XDG_CACHE_HOME/faceprune/aligned, else ~/.cache/faceprune/aligned.
    static std::filesystem::path defaultDir();

    // The aligned crop of the face in an image: the most central one (the largest of those that
    // cover the image centre) when there are several. Thread-safe: every calling thread gets its
    // own face pipeline from a pool (the nets are not thread-safe). Never throws for bad images;
    // throws fp::AssetError when the detector models are missing.
    CropResult crop(const std::filesystem::path& image);

    // Size of the crops this cache returns: the model input, or resizeShort square for CenterCrop.
    cv::Size cropSize() const;
    // The folder holding this setting's entries (dir / settings key).
    const std::filesystem::path& folder() const { return folder_; }
    // "arcface112-112x112-score0.70-v1": everything that changes the stored crop.
    const std::string& settingsKey() const { return key_; }

    CacheStats stats() const;
    void resetStats();
    // NoFace / Unreadable messages so far, in the order they happened (the first 10000).
    std::vector<std::string> problems() const;

    // 128-bit content hash of a file as 32 hex digits; throws fp::InputError when unreadable.
    static std::string contentHash(const std::filesystem::path& file);

private:
    struct Pool;
    CropResult compute(const std::filesystem::path& image, const std::filesystem::path& entry,
                       const std::filesystem::path& noFaceMark);
    void note(const std::string& message);

    graph::Preprocess align_;  // the geometry actually stored
    float minScore_;
    std::string key_;
    std::filesystem::path folder_;
    std::unique_ptr<Pool> pool_;
    std::atomic<int64_t> hits_{0}, detections_{0}, noFace_{0}, unreadable_{0};
    mutable std::mutex problemsMutex_;
    std::vector<std::string> problems_;
};

}  // namespace fp::data
