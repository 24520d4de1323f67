// Distributed scoring and recovery on this machine: the same global batches on 1 rank and on 2
// ranks (1 thread each, c10d over 127.0.0.1), images per second of each and the share of time the
// ranks spend in all-reduce, then what those figures predict for N machines.
//
//   bench_distributed [--model mobilefacenet] [--batch 32] [--batches 6] [--steps 6] [--ranks 2]
//
// The parent starts each rank as a child of its own (this program again, with --rank), so no rank
// inherits another's threads. Random images: the figures are compute and communication only.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "BenchCommon.h"
#include "dist/Group.h"
#include "models/ModelLoader.h"
#include "prune/ChannelGraph.h"
#include "prune/Scorer.h"
#include "train/Trainer.h"
#include "util/Runtime.h"

using namespace fp;
using nlohmann::json;

namespace {

struct Options {
    std::string model = "mobilefacenet";
    int batch = 32, batches = 6, steps = 6, ranks = 2;
    // A child: one rank of a world.
    int rank = -1, world = 1, port = 0;
    std::string out;
};

// Rank r's contiguous share of each global batch (as data::LoaderOptions shards them).
class ShareOf : public data::BatchSource {
public:
    ShareOf(data::BatchSource& whole, int rank, int world) : whole_(whole), rank_(rank), world_(world) {}
    void restart(uint64_t seed) override { whole_.restart(seed); }
    bool next(data::Batch& batch) override {
        data::Batch all;
        if (!whole_.next(all)) return false;
        const int64_t n = all.size(), begin = n * rank_ / world_, end = n * (rank_ + 1) / world_;
        const int64_t per = all.images.numel() / n;
        batch.images.shape = all.images.shape;
        batch.images.shape[0] = end - begin;
        batch.images.data.assign(all.images.data.begin() + begin * per, all.images.data.begin() + end * per);
        batch.labels.assign(all.labels.begin() + begin, all.labels.begin() + end);
        return true;
    }
    int64_t batchesPerPass() const override { return whole_.batchesPerPass(); }
    int numClasses() const override { return whole_.numClasses(); }

private:
    data::BatchSource& whole_;
    int rank_, world_;
};

int freePort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof addr;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), size);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size);
    ::close(fd);
    return ntohs(addr.sin_port);
}

double since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// One rank: times Taylor scoring of `batches` batches and `steps` recovery steps on its shares.
json runRank(const Options& o) {
    std::unique_ptr<dist::Group> group;
    if (o.world > 1) group = dist::Group::join({.rank = o.rank, .worldSize = o.world, .port = o.port});
    graph::Graph model = models::loadModel(o.model);
    bench::ensureHead(model, 100);
    const auto& pre = model.preprocess;
    const graph::Shape shape{3, pre.height, pre.width};
    json r{{"rank", o.rank}, {"world", o.world}};

    bench::RandomSource scoringBatches(shape, o.batches + 1, o.batch, 100);
    ShareOf scoringShare(scoringBatches, o.rank, o.world);
    const prune::ChannelGraph cg(model);
    prune::Scorer scorer(model, cg, prune::Criterion::Taylor);
    scorer.setGroup(group.get());
    scoringShare.restart(1);
    data::Batch batch;
    scoringShare.next(batch);
    scorer.accumulate(batch);  // warm-up: first-use allocations
    const double commBefore = group ? group->collectiveSeconds() : 0;
    auto t0 = std::chrono::steady_clock::now();
    for (int b = 0; b < o.batches && scoringShare.next(batch); ++b) scorer.accumulate(batch);
    r["scoring_seconds"] = since(t0);
    r["scoring_collective_seconds"] = group ? group->collectiveSeconds() - commBefore : 0.0;

    const graph::Graph teacher = models::loadModel(o.model);
    graph::Graph student = teacher;
    constexpr int kWarmup = 1;
    const train::TrainOptions t = bench::recoveryStepOptions(kWarmup + o.steps);
    bench::RandomSource trainingBatches(shape, t.steps + 1, o.batch, 2);
    ShareOf trainingShare(trainingBatches, o.rank, o.world);
    train::Trainer trainer(student, trainingShare, t);
    trainer.setTeacher(teacher);
    trainer.setGroup(group.get());
    double stepsStart = 0, commStart = 0;
    trainer.setProgress([&](const train::TrainProgress& p) {
        if (p.step == kWarmup) {
            stepsStart = p.seconds;
            commStart = group ? group->collectiveSeconds() : 0;
        }
    });
    const auto result = trainer.run();
    r["training_seconds"] = result.seconds - stepsStart;
    r["training_collective_seconds"] = group ? group->collectiveSeconds() - commStart : 0.0;
    int64_t values = 0;
    for (const auto& n : student.nodes())
        for (const auto& [key, p] : n.params) values += p.numel();
    r["gradient_bytes"] = 4 * values;
    return r;
}

// Starts `world` ranks of this program and gathers what each measured.
std::vector<json> runWorld(const Options& o, int world, const std::string& self) {
    const int port = freePort();
    std::vector<pid_t> pids;
    std::vector<std::string> outs;
    for (int r = 0; r < world; ++r) {
        outs.push_back("/tmp/bench_distributed." + std::to_string(::getpid()) + "." + std::to_string(r) + ".json");
        std::vector<std::string> args{self,        "--model", o.model, "--batch", std::to_string(o.batch),
                                      "--batches", std::to_string(o.batches), "--steps", std::to_string(o.steps),
                                      "--rank",    std::to_string(r), "--world", std::to_string(world),
                                      "--port",    std::to_string(port), "--out", outs.back()};
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::setenv("OMP_NUM_THREADS", "1", 1);
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv(self.c_str(), argv.data());
            ::_exit(127);
        }
        pids.push_back(pid);
    }
    std::vector<json> results;
    for (size_t r = 0; r < pids.size(); ++r) {
        int status = 0;
        ::waitpid(pids[r], &status, 0);
        std::ifstream in(outs[r]);
        if (!in) throw std::runtime_error("rank " + std::to_string(r) + " of " + std::to_string(world) + " failed");
        results.push_back(json::parse(in));
        std::remove(outs[r].c_str());
    }
    return results;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app("Distributed scoring and recovery: 1 rank against N ranks on this machine");
    app.add_option("--model", o.model)->capture_default_str();
    app.add_option("--batch", o.batch, "Global batch size")->capture_default_str();
    app.add_option("--batches", o.batches, "Scoring batches timed")->capture_default_str();
    app.add_option("--steps", o.steps, "Recovery steps timed")->capture_default_str();
    app.add_option("--ranks", o.ranks, "Ranks to compare with one")->capture_default_str();
    app.add_option("--rank", o.rank)->group("");
    app.add_option("--world", o.world)->group("");
    app.add_option("--port", o.port)->group("");
    app.add_option("--out", o.out)->group("");
    CLI11_PARSE(app, argc, argv);
    util::configureRuntime();

    if (o.rank >= 0) {
        const json r = runRank(o);
        std::ofstream(o.out) << r.dump() << '\n';
        return 0;
    }
    char path[4096];
    const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
    const std::string self(path, n > 0 ? static_cast<size_t>(n) : 0);

    json all = json::object();
    std::printf("%s, global batch %d, 1 thread per rank (random images):\n", o.model.c_str(), o.batch);
    std::printf("  ranks  scoring img/s  speed-up  in all-reduce   recovery img/s  speed-up  in all-reduce\n");
    double scoring1 = 0, training1 = 0, bytes = 0, trainingComm = 0, trainingSeconds = 0;
    for (int world : {1, o.ranks}) {
        const auto ranks = runWorld(o, world, self);
        // The slowest rank sets the pace; the all-reduce share is the ranks' mean.
        double scoring = 0, training = 0, scoringComm = 0, comm = 0;
        for (const auto& r : ranks) {
            scoring = std::max(scoring, r["scoring_seconds"].get<double>());
            training = std::max(training, r["training_seconds"].get<double>());
            scoringComm += r["scoring_collective_seconds"].get<double>() / static_cast<double>(ranks.size());
            comm += r["training_collective_seconds"].get<double>() / static_cast<double>(ranks.size());
        }
        const double scoringRate = o.batch * o.batches / scoring, trainingRate = o.batch * o.steps / training;
        if (world == 1) {
            scoring1 = scoringRate;
            training1 = trainingRate;
        } else {
            trainingComm = comm / o.steps;
            trainingSeconds = training / o.steps;
        }
        bytes = ranks[0]["gradient_bytes"].get<double>();
        std::printf("  %5d  %13.1f  %8.2f  %12.0f%%   %14.1f  %8.2f  %12.0f%%\n", world, scoringRate,
                    scoringRate / scoring1, 100 * scoringComm / scoring, trainingRate, trainingRate / training1,
                    100 * comm / training);
        all["ranks_" + std::to_string(world)] = {{"scoring_img_per_s", scoringRate},
                                                 {"recovery_img_per_s", trainingRate},
                                                 {"scoring_allreduce_share", scoringComm / scoring},
                                                 {"recovery_allreduce_share", comm / training},
                                                 {"per_rank", ranks}};
    }
    // N machines, each as fast as one rank here: compute splits N ways; a ring all-reduce moves
    // 2(N-1)/N of the gradients per step over each link (1 Gbit/s assumed), plus the latency seen here.
    const double compute1 = o.batch / training1;  // one step on one rank
    const double latency = std::max(0.0, trainingComm - bytes / 4e9);
    std::printf("recovery on N machines (1 Gbit/s, %.1f MB of gradients per step), predicted speed-up:", bytes / 1e6);
    json estimate = json::object();
    for (int machines : {2, 4, 8, 16}) {
        const double step = compute1 / machines + 2.0 * (machines - 1) / machines * bytes / 125e6 + latency;
        std::printf("  %d: %.1fx", machines, compute1 / step);
        estimate[std::to_string(machines)] = compute1 / step;
    }
    std::printf("\n");
    all["recovery_estimate"] = estimate;
    all["measured_step_seconds_2_ranks"] = trainingSeconds;
    bench::writeResults(std::filesystem::path(FP_BUILD_DIR) / "bench-results.json", "distributed", all, FP_SOURCE_DIR);
    return 0;
}
