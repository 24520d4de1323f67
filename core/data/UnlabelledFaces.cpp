#include "data/UnlabelledFaces.h"

#include <algorithm>

#include <opencv2/imgcodecs.hpp>

#include "util/Errors.h"

namespace fp::data {

namespace fs = std::filesystem;

std::vector<Sample> UnlabelledFaces::samples() const {
    std::vector<Sample> out;
    out.reserve(images.size());
    for (const auto& p : images) out.push_back({p, -1});
    return out;
}

UnlabelledFaces scanUnlabelledFaces(const fs::path& root) {
    std::error_code ec;
    if (!fs::exists(root, ec)) throw InputError(root.string() + ": no such folder");
    if (!fs::is_directory(root, ec)) throw InputError(root.string() + ": not a folder");
    UnlabelledFaces out;
    out.root = root;
    const auto options = fs::directory_options::skip_permission_denied;
    for (fs::recursive_directory_iterator it(root, options, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (!name.empty() && name[0] == '.') {
            if (it->is_directory(ec)) it.disable_recursion_pending();
            continue;
        }
        if (!it->is_regular_file(ec) || !FaceFolders::hasImageExtension(it->path())) continue;
        if (it->file_size(ec) == 0 || ec)
            out.skipped.push_back({it->path(), "empty or unreadable file"});
        else if (!cv::haveImageReader(it->path().string()))
            out.skipped.push_back({it->path(), "not a readable image (corrupt or unsupported format)"});
        else
            out.images.push_back(it->path());
    }
    if (ec) throw InputError(root.string() + ": cannot be read (" + ec.message() + ")");
    std::sort(out.images.begin(), out.images.end());
    if (out.images.empty())
        throw InputError(root.string() + ": no readable image in this folder or below it" +
                         (out.skipped.empty() ? std::string()
                                              : " (" + std::to_string(out.skipped.size()) + " files could not be read)"));
    return out;
}

}  // namespace fp::data
