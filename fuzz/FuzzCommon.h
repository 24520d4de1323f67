#pragma once
// Shared by the fuzz targets: FacePrune's readers take paths, so each input is written to a file in
// a per-process scratch folder (in /dev/shm when there is one: no disk I/O per execution), and the
// reader is run under one rule: it returns, or it throws fp::Error. Any other exception escaping a
// reader is a bug (a message that names neither the file nor the problem): the target aborts so that
// libFuzzer records the input. Crashes, sanitizer reports, hangs and huge allocations are caught by
// libFuzzer itself (-timeout, -malloc_limit_mb, -rss_limit_mb).
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <typeinfo>

#include <unistd.h>

#include "util/Errors.h"

namespace fp::fuzz {

inline const std::filesystem::path& scratchDir() {
    static const std::filesystem::path dir = [] {
        const std::filesystem::path base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
        auto d = base / ("faceprune-fuzz-" + std::to_string(::getpid()));
        std::filesystem::create_directories(d);
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(scratchDir(), ec);
        });
        return d;
    }();
    return dir;
}

inline std::filesystem::path writeInput(const std::string& name, const void* data, size_t size) {
    const auto path = scratchDir() / name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out.flush()) {
        std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
        std::abort();
    }
    return path;
}

inline std::filesystem::path writeInput(const std::string& name, std::string_view bytes) {
    return writeInput(name, bytes.data(), bytes.size());
}

// Runs a reader: fp::Error is a correct answer to a bad file, anything else escaping is a bug.
template <typename F>
void expectReaderOrError(F&& read) {
    try {
        read();
    } catch (const fp::Error& e) {
        // The reader refused the file with a message: what it should do. FP_FUZZ_VERBOSE=1 shows it
        // (to check that the seeds load, or what an input is refused for).
        static const bool verbose = std::getenv("FP_FUZZ_VERBOSE") != nullptr;
        if (verbose) std::fprintf(stderr, "fuzz: refused: %s\n", e.what());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fuzz: the reader threw %s, not fp::Error: %s\n", typeid(e).name(), e.what());
        std::abort();
    } catch (...) {
        std::fprintf(stderr, "fuzz: the reader threw something that is not a std::exception\n");
        std::abort();
    }
}

}  // namespace fp::fuzz
