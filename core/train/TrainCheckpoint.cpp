#include "train/TrainCheckpoint.h"

#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "io/NativeFormat.h"
#include "util/AtomicFile.h"
#include "util/Errors.h"

namespace fp::train {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kCheckpointJson = "checkpoint.json";
constexpr int kCheckpointFormat = 1;

// The settings a resumed run must share with the checkpoint's.
json optionsToJson(const TrainOptions& o) {
    const auto& s = o.schedule;
    return {{"steps", o.steps},
            {"schedule", {{"kind", scheduleKindName(s.kind)},
                          {"base_rate", s.baseRate},
                          {"milestones", s.milestones},
                          {"gamma", s.gamma},
                          {"min_rate", s.minRate},
                          {"warmup_steps", s.warmupSteps}}},
            {"momentum", o.momentum},
            {"weight_decay", o.weightDecay},
            {"clip_grad_norm", o.clipGradNorm},
            {"use_labels", o.useLabels},
            {"loss", {{"kind", lossKindName(o.loss.kind)}, {"scale", o.loss.scale}, {"margin", o.loss.marginValue()}}},
            {"distill_weight", o.distillWeight},
            {"relation_weight", o.relationWeight},
            {"feature_weight", o.featureWeight},
            {"head_from_centres", o.headFromCentres},
            {"cache_teacher", o.cacheTeacher},
            {"seed", o.seed}};
}

std::string stepName(int step) {
    char name[32];
    std::snprintf(name, sizeof name, "step-%06d", step);
    return name;
}

}  // namespace

bool hasTrainCheckpoint(const fs::path& dir) {
    std::error_code ec;
    return fs::is_regular_file(dir / kCheckpointJson, ec);
}

void saveTrainCheckpoint(const fs::path& dir, const TrainPosition& position, const TrainOptions& options,
                         const CheckpointModels& models, const TeacherCache& teacherCache) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw Error(dir.string() + ": cannot create the checkpoint folder (" + ec.message() + ")");

    const std::string base = stepName(position.step);
    json files{{"model", base + ".fpm"}, {"momentum", base + ".momentum.fpm"}};
    io::saveNative(models.model, dir / files["model"].get<std::string>());
    io::saveNative(models.momentum, dir / files["momentum"].get<std::string>());
    if (models.projection) {
        files["projection"] = base + ".projection.fpm";
        io::saveNative(*models.projection, dir / files["projection"].get<std::string>());
    }
    if (teacherCache.size() > 0) {
        files["teacher_cache"] = base + ".teacher.bin";
        teacherCache.save(dir / files["teacher_cache"].get<std::string>());
    }

    // The JSON last: it only ever names complete files.
    const json j{{"format", kCheckpointFormat},
                 {"step", position.step},
                 {"pass", position.pass},
                 {"batch_in_pass", position.batchInPass},
                 {"files", files},
                 {"options", optionsToJson(options)}};
    util::AtomicFile file(dir / kCheckpointJson);
    file.stream() << j.dump(1) << '\n';
    file.commit();

    // Older steps' files are no longer referenced.
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("step-", 0) == 0 && name.rfind(base, 0) != 0) fs::remove(entry.path(), ec);
    }
}

std::pair<TrainPosition, CheckpointModels> loadTrainCheckpoint(const fs::path& dir, const TrainOptions& options,
                                                               TeacherCache& teacherCache) {
    const fs::path path = dir / kCheckpointJson;
    std::ifstream in(path);
    if (!in) throw Error(path.string() + ": no training checkpoint here");
    try {
        const json j = json::parse(in);
        if (j.at("format").get<int>() != kCheckpointFormat)
            throw Error(path.string() + ": checkpoint format " + j.at("format").dump() + " is not supported");
        const json now = optionsToJson(options);
        const json& then = j.at("options");
        // A setting newer than the checkpoint had its default then.
        const json defaults = optionsToJson(TrainOptions{});
        for (const auto& [key, value] : now.items()) {
            const json& was = then.contains(key) ? then.at(key) : defaults.at(key);
            if (was != value)
                throw Error(path.string() + ": the checkpoint was made with " + key + " = " + was.dump() +
                            ", this run has " + value.dump() + "; resume with the same settings");
        }
        const json& files = j.at("files");
        CheckpointModels models{io::loadNative(dir / files.at("model").get<std::string>()),
                                io::loadNative(dir / files.at("momentum").get<std::string>()), std::nullopt};
        if (files.contains("projection"))
            models.projection = io::loadNative(dir / files.at("projection").get<std::string>());
        teacherCache.clear();
        if (files.contains("teacher_cache")) teacherCache.load(dir / files.at("teacher_cache").get<std::string>());
        const TrainPosition position{j.at("step").get<int>(), j.at("pass").get<uint64_t>(),
                                     j.at("batch_in_pass").get<int64_t>()};
        return {position, std::move(models)};
    } catch (const json::exception& e) {
        throw Error(path.string() + ": corrupt training checkpoint (" + e.what() + ")");
    }
}

}  // namespace fp::train
