#pragma once
// Writes a file so that readers see either the old or the complete new
// content: data go to "<path>.tmp-XXXX" and are renamed over <path> on commit.
// Destroyed without commit (an exception), the temporary is removed.
#include <filesystem>
#include <fstream>

namespace fp::util {

class AtomicFile {
public:
    explicit AtomicFile(std::filesystem::path target);  // throws fp::Error when it cannot write
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    std::ofstream& stream() { return out_; }
    void commit();  // flushes, checks for write errors, renames into place

private:
    std::filesystem::path target_;
    std::filesystem::path temp_;
    std::ofstream out_;
    bool committed_ = false;
};

}  // namespace fp::util
