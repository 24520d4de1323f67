#pragma once
// A labelled face data set laid out as one folder per person (LFW, VGGFace2, CASIA-WebFace):
// ROOT/<identity>/<image>. Files that are not images are skipped and reported, never fatal.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace fp::data {

struct Identity {
    std::string name;                           // the folder name
    std::vector<std::filesystem::path> images;  // sorted by file name
};

// A file (or folder) the scan left out, and why, for the user to see.
struct SkippedFile {
    std::filesystem::path path;
    std::string reason;
};

// One image with its label: the identity's index in the FaceFolders it came from.
struct Sample {
    std::filesystem::path path;
    int64_t label = -1;
};

struct ScanOptions {
    int limitIdentities = 0;  // keep the first N identities in name order (0 = all)
    int minImages = 1;        // identities with fewer readable images are left out (and reported)
    // Decode every image during the scan (slow on large sets). Otherwise only the file signature is
    // checked here and images that fail to decode later are reported by the loader or cache.
    bool decodeAll = false;
};

class FaceFolders {
public:
    FaceFolders() = default;

    // Throws fp::InputError naming the folder when it does not exist, is not a folder, or holds no
    // identity folder with an image.
    static FaceFolders scan(const std::filesystem::path& root, const ScanOptions& options = {});

    // Identities chosen by index (in that order), re-labelled 0..n-1; skipped files are kept.
    FaceFolders subset(const std::vector<size_t>& identityIndices) const;

    struct Split;
    // Split by identity (nobody appears in both parts): a seeded random share of the identities
    // goes to verification, at least one to each part when there are two or more identities.
    Split split(double verificationFraction, uint64_t seed) const;
    Split splitCount(size_t verificationIdentities, uint64_t seed) const;
    // The people a run or a training holds out for verification: split(), refused with fp::InputError
    // naming the folder when fewer than 4 identities leave too few to verify on. Pruning, training and
    // the benchmarks all split through here, so the same seed holds out the same people everywhere.
    Split holdOut(double verificationFraction, uint64_t seed) const;

    const std::filesystem::path& root() const { return root_; }
    const std::vector<Identity>& identities() const { return identities_; }
    const std::vector<SkippedFile>& skipped() const { return skipped_; }
    size_t identityCount() const { return identities_.size(); }
    size_t imageCount() const;
    // Every image with its identity index as label, identity by identity.
    std::vector<Sample> samples() const;

    // Whether a file name has an image extension the loader decodes (case-insensitive).
    static bool hasImageExtension(const std::filesystem::path& path);

private:
    std::filesystem::path root_;
    std::vector<Identity> identities_;
    std::vector<SkippedFile> skipped_;
};

struct FaceFolders::Split {
    FaceFolders train;
    FaceFolders verification;
};

}  // namespace fp::data
