#pragma once
// Faces without names for recovery by distillation: any folder of photos, flat or nested to any
// depth (lfw-more, a user's own photo folder). Every image becomes a sample labelled -1, which
// trains by matching the teacher only.
#include <filesystem>
#include <string>
#include <vector>

#include "data/FaceFolders.h"

namespace fp::data {

struct UnlabelledFaces {
    std::filesystem::path root;
    std::vector<std::filesystem::path> images;  // sorted by path
    std::vector<SkippedFile> skipped;           // files with an image name that cannot be read

    std::vector<Sample> samples() const;  // label -1 each
};

// Throws fp::InputError naming the folder when it does not exist, is not a folder, or holds no
// readable image at any depth. Hidden files and folders are left out.
UnlabelledFaces scanUnlabelledFaces(const std::filesystem::path& root);

}  // namespace fp::data
