// Aligned faces per second through the BatchLoader (decode, detect, landmarks, align, augment,
// pack) with a cold aligned-face cache and a warm one, beside what MobileFaceNet consumes per
// second at the same batch size, so "the loader keeps up" can be read off directly.
//   bench_loader [IDENTITIES=40] [WORKERS=2]     (needs FACEPRUNE_DATA and the npm assets)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <unistd.h>

#include "data/AlignedCache.h"
#include "data/BatchLoader.h"
#include "data/FaceFolders.h"
#include "exec/Executor.h"
#include "models/ModelLoader.h"
#include "util/Assets.h"
#include "util/Errors.h"
#include "util/Runtime.h"

using namespace fp;
namespace fs = std::filesystem;

namespace {

struct Pass {
    int64_t images = 0;
    double seconds = 0;
};

Pass drain(const std::vector<data::Sample>& samples, data::AlignedCache& cache, const graph::Preprocess& pre,
           int workers) {
    data::LoaderOptions o;
    o.batchSize = 32;
    o.workers = workers;
    const auto start = std::chrono::steady_clock::now();
    data::BatchLoader loader(samples, cache, pre, o);
    Pass p;
    while (auto b = loader.next()) p.images += b->size();
    p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return p;
}

}  // namespace

int main(int argc, char** argv) {
    util::configureRuntime();
    const int identities = argc > 1 ? std::atoi(argv[1]) : 40;
    const int workers = argc > 2 ? std::atoi(argv[2]) : 2;
    try {
        const fs::path root = assets::faceDataDir();
        if (root.empty()) {
            std::fprintf(stderr, "set FACEPRUNE_DATA to a folder of identity folders (e.g. lfw-ids)\n");
            return 1;
        }
        data::ScanOptions so;
        so.limitIdentities = identities;
        const auto faces = data::FaceFolders::scan(root, so);
        const auto samples = faces.samples();
        const graph::Graph model = models::loadModel("mobilefacenet");

        const fs::path cacheDir =
            fs::temp_directory_path() / ("fp-bench-loader-" + std::to_string(::getpid()));
        fs::remove_all(cacheDir);
        std::printf("%zu identities, %zu images, %d loader threads, batch 32, MobileFaceNet 112x112\n",
                    faces.identityCount(), samples.size(), workers);
        {
            data::AlignedCache cache(model.preprocess, cacheDir);
            const Pass cold = drain(samples, cache, model.preprocess, workers);
            std::printf("cold cache: %6.1f aligned faces/s  (%lld faces in %.2f s, %lld detections)\n",
                        cold.images / cold.seconds, static_cast<long long>(cold.images), cold.seconds,
                        static_cast<long long>(cache.stats().detections));
            cache.resetStats();
            const Pass warm = drain(samples, cache, model.preprocess, workers);
            std::printf("warm cache: %6.1f aligned faces/s  (%lld faces in %.2f s, %lld detections)\n",
                        warm.images / warm.seconds, static_cast<long long>(warm.images), warm.seconds,
                        static_cast<long long>(cache.stats().detections));
        }
        fs::remove_all(cacheDir);

        // The consumer: MobileFaceNet forward passes at batch 32 on the same machine.
        exec::Executor executor(model);
        const Tensor batch = Tensor::zeros({32, 3, 112, 112});
        executor.embed(batch);  // warm-up
        const int rounds = 4;
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < rounds; ++i) executor.embed(batch);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("MobileFaceNet inference: %6.1f faces/s (batch 32)\n", rounds * 32 / s);
    } catch (const Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
