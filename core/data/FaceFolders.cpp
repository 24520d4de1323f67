#include "data/FaceFolders.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <numeric>

#include <opencv2/imgcodecs.hpp>

#include "data/SeededRandom.h"
#include "util/Errors.h"

namespace fp::data {

namespace fs = std::filesystem;

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

bool hidden(const fs::path& p) {
    const std::string name = p.filename().string();
    return !name.empty() && name[0] == '.';
}

// Empty when the file looks like an image we can decode, else why not. The signature test is what
// cv::imread itself uses to pick a decoder, so garbage named .jpg is caught without decoding.
std::string imageProblem(const fs::path& path, bool decode) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec) return "cannot be read (" + ec.message() + ")";
    if (size == 0) return "empty file";
    if (!std::ifstream(path, std::ios::binary)) return "cannot be opened (permission?)";
    try {
        if (!cv::haveImageReader(path.string()))
            return "not a readable image (corrupt or unsupported format)";
        if (decode && cv::imread(path.string(), cv::IMREAD_COLOR).empty())
            return "cannot be decoded (corrupt image)";
    } catch (const cv::Exception& e) {
        return "cannot be decoded (" + e.msg + ")";
    }
    return {};
}

std::vector<fs::directory_entry> sortedEntries(const fs::path& dir, std::error_code& ec) {
    std::vector<fs::directory_entry> out;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) out.push_back(*it);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path() < b.path(); });
    return out;
}

}  // namespace

bool FaceFolders::hasImageExtension(const fs::path& path) {
    static const char* kExtensions[] = {".jpg",  ".jpeg", ".png", ".bmp", ".webp", ".tif",
                                        ".tiff", ".ppm",  ".pgm", ".pbm", ".pnm",  ".jp2"};
    const std::string ext = lower(path.extension().string());
    return std::any_of(std::begin(kExtensions), std::end(kExtensions),
                       [&](const char* e) { return ext == e; });
}

FaceFolders FaceFolders::scan(const fs::path& root, const ScanOptions& options) {
    std::error_code ec;
    if (!fs::exists(root, ec)) throw InputError(root.string() + ": face folder does not exist");
    if (!fs::is_directory(root, ec))
        throw InputError(root.string() + ": is a file; expected a folder holding one folder per person");

    FaceFolders out;
    out.root_ = root;
    const auto top = sortedEntries(root, ec);
    if (ec) throw InputError(root.string() + ": cannot list the folder (" + ec.message() + ")");

    for (const auto& entry : top) {
        if (hidden(entry.path())) continue;
        if (!entry.is_directory(ec)) {
            out.skipped_.push_back({entry.path(), "not inside an identity folder"});
            continue;
        }
        if (options.limitIdentities > 0 &&
            static_cast<int>(out.identities_.size()) >= options.limitIdentities)
            break;
        Identity id;
        id.name = entry.path().filename().string();
        const auto files = sortedEntries(entry.path(), ec);
        if (ec) {
            out.skipped_.push_back({entry.path(), "cannot list the folder (" + ec.message() + ")"});
            ec.clear();
            continue;
        }
        for (const auto& f : files) {
            if (hidden(f.path())) continue;
            if (f.is_directory(ec)) {
                out.skipped_.push_back({f.path(), "folder inside an identity folder (not scanned)"});
                continue;
            }
            if (!hasImageExtension(f.path())) {
                const std::string ext = f.path().extension().string();
                out.skipped_.push_back({f.path(), ext.empty() ? "not an image file (no extension)"
                                                              : "not an image file (extension " + ext + ")"});
                continue;
            }
            if (std::string why = imageProblem(f.path(), options.decodeAll); !why.empty()) {
                out.skipped_.push_back({f.path(), why});
                continue;
            }
            id.images.push_back(f.path());
        }
        if (static_cast<int>(id.images.size()) < std::max(1, options.minImages)) {
            out.skipped_.push_back({entry.path(), "identity left out: " + std::to_string(id.images.size()) +
                                                      " readable image(s), at least " +
                                                      std::to_string(std::max(1, options.minImages)) +
                                                      " needed"});
            continue;
        }
        out.identities_.push_back(std::move(id));
    }
    if (out.identities_.empty()) {
        std::string msg =
            root.string() + ": no identity folder with images found (expected ROOT/<person>/<image>)";
        if (!out.skipped_.empty())
            msg += "; " + std::to_string(out.skipped_.size()) +
                   " entries skipped, first: " + out.skipped_.front().path.string() + " (" +
                   out.skipped_.front().reason + ")";
        throw InputError(msg);
    }
    return out;
}

FaceFolders FaceFolders::subset(const std::vector<size_t>& identityIndices) const {
    FaceFolders out;
    out.root_ = root_;
    out.skipped_ = skipped_;
    for (size_t i : identityIndices) out.identities_.push_back(identities_.at(i));
    return out;
}

FaceFolders::Split FaceFolders::split(double verificationFraction, uint64_t seed) const {
    if (!(verificationFraction >= 0.0 && verificationFraction <= 1.0))
        throw InputError("verification share must be between 0 and 1, got " +
                         std::to_string(verificationFraction));
    const auto n = static_cast<double>(identities_.size());
    return splitCount(static_cast<size_t>(std::lround(n * verificationFraction)), seed);
}

FaceFolders::Split FaceFolders::holdOut(double verificationFraction, uint64_t seed) const {
    if (identityCount() < 4)
        throw InputError(root_.string() + ": " + std::to_string(identityCount()) +
                         " identities are too few to hold some out for verification (need 4 or more)");
    return split(verificationFraction, seed);
}

FaceFolders::Split FaceFolders::splitCount(size_t verificationIdentities, uint64_t seed) const {
    const size_t n = identities_.size();
    size_t k = std::min(verificationIdentities, n);
    // Both parts non-empty whenever possible: a split that leaves one side empty is never wanted.
    if (n >= 2) k = std::clamp<size_t>(k, 1, n - 1);
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t{0});
    SeededRandom(seed).shuffle(order);
    std::vector<size_t> verification(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k));
    std::vector<size_t> train(order.begin() + static_cast<std::ptrdiff_t>(k), order.end());
    // Name order inside each part keeps labels stable for a given seed and readable in reports.
    std::sort(verification.begin(), verification.end());
    std::sort(train.begin(), train.end());
    return {subset(train), subset(verification)};
}

size_t FaceFolders::imageCount() const {
    size_t n = 0;
    for (const auto& id : identities_) n += id.images.size();
    return n;
}

std::vector<Sample> FaceFolders::samples() const {
    std::vector<Sample> out;
    out.reserve(imageCount());
    for (size_t i = 0; i < identities_.size(); ++i)
        for (const auto& p : identities_[i].images) out.push_back({p, static_cast<int64_t>(i)});
    return out;
}

}  // namespace fp::data
