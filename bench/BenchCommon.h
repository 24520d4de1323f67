#pragma once
// Small helpers the benchmark programs share: timing (median after warm-up), peak
// memory, machine load, random batches and the results file. No LibTorch here.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <time.h>

#include <nlohmann/json.hpp>

#include "data/Batch.h"
#include "data/BatchSource.h"
#include "graph/Graph.h"
#include "prune/PruneConfig.h"
#include "train/Trainer.h"

namespace fp::bench {

inline double median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Timing {
    double median = 0;           // wall seconds
    std::vector<double> all;     // every repetition, wall seconds
    double cpuMedian = 0;        // CPU seconds of the whole process (all threads): robust to other load
    double minorFaultsMedian = 0;  // page faults of the whole process while it ran
};

inline double processCpuSeconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

inline double processMinorFaults() {
    rusage r{};
    getrusage(RUSAGE_SELF, &r);
    return static_cast<double>(r.ru_minflt);
}

// Runs `f` `warmup` times untimed, then `reps` times timed.
inline Timing timeIt(const std::function<void()>& f, int warmup, int reps) {
    for (int i = 0; i < warmup; ++i) f();
    Timing t;
    std::vector<double> cpu, faults;
    for (int i = 0; i < std::max(1, reps); ++i) {
        const double c0 = processCpuSeconds(), f0 = processMinorFaults();
        const auto t0 = std::chrono::steady_clock::now();
        f();
        t.all.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        cpu.push_back(processCpuSeconds() - c0);
        faults.push_back(processMinorFaults() - f0);
    }
    t.median = median(t.all);
    t.cpuMedian = median(cpu);
    t.minorFaultsMedian = median(faults);
    return t;
}

// timeIt on a thread of its own, as the workbench's jobs run their work (memory allocated off the
// main thread has behaved differently: see util::configureRuntime).
inline Timing timeOnWorkerThread(const std::function<void()>& f, int warmup, int reps) {
    Timing t;
    std::thread worker([&] { t = timeIt(f, warmup, reps); });
    worker.join();
    return t;
}

// Two calls timed in alternation, so that both meet the same machine: on this VM a run's speed
// can change twofold from one minute to the next, which a ratio of two separate medians reads as
// a property of the code. ratio: the median over the repetitions of b's time over a's.
struct PairedTiming {
    Timing a, b;
    double ratio = 0;
};

inline PairedTiming timePair(const std::function<void()>& a, const std::function<void()>& b, int warmup, int reps) {
    for (int i = 0; i < warmup; ++i) {
        a();
        b();
    }
    PairedTiming t;
    std::vector<double> ratios, cpuA, cpuB;
    for (int i = 0; i < std::max(1, reps); ++i) {
        // Every other repetition runs b first: the second of a pair measured up to 7% faster.
        Timing ta, tb;
        if (i % 2 == 0) {
            ta = timeIt(a, 0, 1);
            tb = timeIt(b, 0, 1);
        } else {
            tb = timeIt(b, 0, 1);
            ta = timeIt(a, 0, 1);
        }
        t.a.all.push_back(ta.median);
        t.b.all.push_back(tb.median);
        cpuA.push_back(ta.cpuMedian);
        cpuB.push_back(tb.cpuMedian);
        ratios.push_back(tb.median / ta.median);
    }
    t.a.median = median(t.a.all);
    t.b.median = median(t.b.all);
    t.a.cpuMedian = median(cpuA);
    t.b.cpuMedian = median(cpuB);
    t.ratio = median(ratios);
    return t;
}

// A field of /proc/self/status in MiB (VmRSS, VmHWM), -1 when unreadable.
inline double procStatusMiB(const std::string& field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) / 1024.0;
    return -1.0;
}

// Resets the peak RSS (VmHWM) to the current RSS, so that a later read is the peak of what
// ran in between (Linux >= 4.0; ru_maxrss cannot be reset).
inline bool resetPeakRss() {
    std::ofstream f("/proc/self/clear_refs");
    f << "5";
    return static_cast<bool>(f);
}

inline int countProcesses(const std::string& name) {
    int n = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
        std::ifstream comm(e.path() / "comm");
        std::string c;
        if (comm && std::getline(comm, c) && c == name) ++n;
    }
    return n;
}

inline double loadAverage1() {
    std::ifstream in("/proc/loadavg");
    double l = -1;
    in >> l;
    return l;
}

// How busy the machine is, to print beside noisy figures.
inline nlohmann::json machineLoad() {
    return {{"loadavg_1min", loadAverage1()}, {"cc1plus", countProcesses("cc1plus")},
            {"cpus", std::thread::hardware_concurrency()}};
}

inline std::string commandOutput(const std::string& cmd) {
    std::string out;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
        char buf[4096];
        size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
        ::pclose(p);
    }
    return out;
}

inline std::string gitDescribe(const std::string& sourceDir) {
    std::string s = commandOutput("git -C '" + sourceDir + "' describe --always --dirty 2>/dev/null");
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

// Merges `section` into the JSON results file (other benchmarks keep their sections), so one
// file holds a commit's figures.
inline void writeResults(const std::filesystem::path& path, const std::string& section, const nlohmann::json& value,
                         const std::string& sourceDir) {
    nlohmann::json doc = nlohmann::json::object();
    if (std::ifstream in(path); in) {
        try {
            in >> doc;
        } catch (const std::exception&) {
            doc = nlohmann::json::object();
        }
    }
    doc["commit"] = gitDescribe(sourceDir);
    doc[section] = value;
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
    const auto tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp);
        out << doc.dump(1) << "\n";
    }
    std::filesystem::rename(tmp, path);
    std::printf("results: %s (section \"%s\")\n", path.c_str(), section.c_str());
}

// Random preprocessed images (standard normal) and random labels below `classes`.
inline data::Batch randomBatch(int64_t n, const graph::Shape& s, int classes, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.f, 1.f);
    std::uniform_int_distribution<int64_t> label(0, std::max(1, classes) - 1);
    data::Batch b;
    b.images.shape = {n, s.c, s.h, s.w};
    b.images.data.resize(static_cast<size_t>(n * s.numel()));
    for (auto& v : b.images.data) v = normal(rng);
    for (int64_t i = 0; i < n; ++i) b.labels.push_back(label(rng));
    return b;
}

// Random images with random labels; a pass is `batches` batches.
class RandomSource : public data::BatchSource {
public:
    RandomSource(graph::Shape shape, int batches, int batchSize, int classes)
        : shape_(shape), batches_(batches), batchSize_(batchSize), classes_(classes) {}
    void restart(uint64_t seed) override {
        seed_ = static_cast<uint32_t>(seed);
        served_ = 0;
    }
    bool next(data::Batch& batch) override {
        if (served_ >= batches_) return false;
        batch = randomBatch(batchSize_, shape_, classes_, seed_ + static_cast<uint32_t>(served_++));
        return true;
    }
    int64_t batchesPerPass() const override { return batches_; }
    int numClasses() const override { return classes_; }

private:
    graph::Shape shape_;
    int batches_, batchSize_, classes_;
    uint32_t seed_ = 1;
    int served_ = 0;
};

// One recovery step as the default recipe takes it (distillation from the original, the relational
// term, no labels), for `steps` steps at a low rate on random images: what the throughput benches time.
inline train::TrainOptions recoveryStepOptions(int steps) {
    const prune::PruneConfig c = prune::withRecoveryRecipe({});
    train::TrainOptions t;
    t.steps = steps;
    t.schedule.baseRate = 0.001;
    t.useLabels = false;
    t.distillWeight = c.distillWeight;
    t.relationWeight = c.relationWeight;
    t.cacheTeacher = false;
    return t;
}

// Adds a Linear identification head over `classes` (random weights) when the graph has none.
inline void ensureHead(graph::Graph& g, int classes, uint32_t seed = 7) {
    if (g.hasHead()) return;
    const std::string emb = g.embeddingName();
    const int64_t dim = g.at(emb).shape.c;
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.f, 0.01f);
    graph::Node head;
    head.name = "head";
    head.op = graph::Op::Linear;
    head.inputs = {emb};
    head.outChannels = classes;
    head.params["weight"].shape = {classes, dim};
    head.params["weight"].data.resize(static_cast<size_t>(classes * dim));
    for (auto& v : head.params["weight"].data) v = normal(rng);
    head.params["bias"].shape = {classes};
    head.params["bias"].data.assign(static_cast<size_t>(classes), 0.f);
    g.add(std::move(head));
    g.setOutputs(emb, "head");
    g.inferShapes();
}

inline std::vector<std::string> splitList(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= s.size()) {
        const size_t end = s.find(',', start);
        const std::string item = s.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (!item.empty()) out.push_back(item);
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return out;
}

}  // namespace fp::bench

namespace fp::bench {

// `--key value` and `--flag` arguments.
class Args {
public:
    Args(int argc, char** argv) : args_(argv + 1, argv + argc) {}
    std::string get(const std::string& key, const std::string& fallback) const {
        for (size_t i = 0; i + 1 < args_.size(); ++i)
            if (args_[i] == "--" + key) return args_[i + 1];
        return fallback;
    }
    int getInt(const std::string& key, int fallback) const { return std::stoi(get(key, std::to_string(fallback))); }
    bool has(const std::string& flag) const { return std::find(args_.begin(), args_.end(), "--" + flag) != args_.end(); }

private:
    std::vector<std::string> args_;
};

}  // namespace fp::bench
