#include "util/AtomicFile.h"

#include <random>

#include "util/Errors.h"

namespace fp::util {

AtomicFile::AtomicFile(std::filesystem::path target) : target_(std::move(target)) {
    std::random_device rd;
    temp_ = target_;
    temp_ += ".tmp-" + std::to_string(rd() % 1000000);
    out_.open(temp_, std::ios::binary | std::ios::trunc);
    if (!out_) throw Error(target_.string() + ": cannot write here (missing folder or no permission)");
}

AtomicFile::~AtomicFile() {
    if (!committed_) {
        out_.close();
        std::error_code ec;
        std::filesystem::remove(temp_, ec);
    }
}

void AtomicFile::commit() {
    out_.flush();
    const bool ok = static_cast<bool>(out_);
    out_.close();
    if (!ok) throw Error(target_.string() + ": writing failed (disk full?)");
    std::error_code ec;
    std::filesystem::rename(temp_, target_, ec);
    if (ec) throw Error(target_.string() + ": cannot replace the file (" + ec.message() + ")");
    committed_ = true;
}

}  // namespace fp::util
