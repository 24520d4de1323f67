#include "prune/RunSettings.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <type_traits>

#include "util/Errors.h"
#include "util/TextLines.h"

namespace fp::prune {

namespace {

constexpr const char* kData = "Data";
constexpr const char* kMethod = "Method";
constexpr const char* kRecovery = "Recovery";
constexpr const char* kStop = "Stop when";

std::string describe(const Setting& s) { return "setting '" + s.key + "' (" + s.label + ")"; }

[[noreturn]] void refuse(const Setting& s, const std::string& text, const std::string& expected) {
    throw InputError(describe(s) + ": '" + text + "' is not " + expected);
}

bool parseWhole(const std::string& text, long long& out) {
    const auto* end = text.data() + text.size();
    const auto r = std::from_chars(text.data(), end, out);
    return r.ec == std::errc{} && r.ptr == end && !text.empty();
}

bool parseNumber(const std::string& text, double& out) {
    const auto* end = text.data() + text.size();
    const auto r = std::from_chars(text.data(), end, out);
    return r.ec == std::errc{} && r.ptr == end && !text.empty() && std::isfinite(out);
}

double number(const std::string& text) {
    double v = 0;
    parseNumber(text, v);
    return v;
}

long long whole(const std::string& text) {
    long long v = 0;
    parseWhole(text, v);
    return v;
}

std::string commaList(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
    return out;
}

std::string boolText(bool b) { return b ? "true" : "false"; }

// "KIND:VALUE" -> {KIND, VALUE}; the value a share (50 is read as 50 %).
std::pair<std::string, double> splitMeasure(const std::string& text) {
    const auto colon = text.find(':');
    const double v = number(text.substr(colon + 1));
    return {text.substr(0, colon), v > 1.0 ? v / 100.0 : v};
}

std::vector<std::string> names(std::initializer_list<const char*> list) { return {list.begin(), list.end()}; }

// Recovery is off: nothing learns after a cut or at the end.
bool isQuick(const PruneConfig& c) {
    return c.finetuneSteps == 0 && !c.distils() && c.recoverySteps == 0;
}

// A setting's reading and writing of the request.
struct Access {
    std::function<std::string(const RunRequest&)> get;
    std::function<void(RunRequest&, const std::string&)> set;
};

Setting with(Setting s, Access a) {
    s.get = std::move(a.get);
    s.set = std::move(a.set);
    return s;
}

// Settings that are one member of the request: `field` maps a request (const or not) to it.
template <typename Field>
Access wholeField(Field field) {
    return {[field](const RunRequest& r) { return std::to_string(field(r)); },
            [field](RunRequest& r, const std::string& v) {
                auto& m = field(r);
                m = static_cast<std::remove_reference_t<decltype(m)>>(whole(v));
            }};
}

template <typename Field>
Access numberField(Field field) {
    return {[field](const RunRequest& r) { return formatNumber(field(r)); },
            [field](RunRequest& r, const std::string& v) { field(r) = number(v); }};
}

template <typename Field>
Access textField(Field field) {
    return {[field](const RunRequest& r) { return field(r); },
            [field](RunRequest& r, const std::string& v) { field(r) = v; }};
}

template <typename Field>
Access flagField(Field field) {
    return {[field](const RunRequest& r) { return boolText(field(r)); },
            [field](RunRequest& r, const std::string& v) { field(r) = v == "true"; }};
}

std::vector<Setting> buildTable() {
    using K = SettingKind;
    using R = RunRequest;
    using S = const std::string&;
    std::vector<Setting> t;
    // Data
    t.push_back(with({.key = "train", .kind = K::Dir, .group = kData, .label = "Training folder",
                 .help = "Identity folders: one sub-folder of face images per person"},
                 textField([](auto& r) -> auto& { return r.data.trainDir; })));
    t.push_back(with({.key = "limit-identities", .kind = K::Integer, .group = kData, .label = "People",
                 .help = "Use only the first N people (0 = all)", .min = 0, .max = 1e6, .noneText = "all"},
                 wholeField([](auto& r) -> auto& { return r.data.limitIdentities; })));
    t.push_back(with({.key = "verify-fraction", .kind = K::Real, .group = kData, .label = "Held out for verification",
                 .help = "Share of the people held out to make verification pairs (0 = no evaluation)",
                 .min = 0, .max = 0.9, .decimals = 1, .percent = true},
                 numberField([](auto& r) -> auto& { return r.data.verifyFraction; })));
    t.push_back(with({.key = "pairs", .kind = K::File, .group = kData, .label = "Verification pairs",
                 .help = "LFW-format pairs.txt to verify on instead of held-out people (all people then train)"},
                 textField([](auto& r) -> auto& { return r.data.pairsFile; })));
    t.push_back(with({.key = "images", .kind = K::Dir, .group = kData, .label = "Pairs images",
                 .help = "The folder the pairs file's names refer to"},
                 textField([](auto& r) -> auto& { return r.data.pairsImages; })));
    t.push_back({.key = "unlabelled", .kind = K::DirList, .group = kData, .label = "Unlabelled faces",
                 .help = "Folders of faces without names (flat or nested) the pruned model learns from by "
                         "matching the original: more variety, better recovery",
                 .get = [](const R& r) { return joinLines(r.data.unlabelledDirs); },
                 .set = [](R& r, S v) { r.data.unlabelledDirs = splitLines(v); }});
    t.push_back({.key = "batch-size", .kind = K::Integer, .group = kData, .label = "Batch size",
                 .help = "Images per mini-batch (scoring, recovery, evaluation)", .min = 1, .max = 1024,
                 .get = [](const R& r) { return std::to_string(r.config.batchSize); },
                 .set = [](R& r, S v) { r.config.batchSize = r.data.batchSize = int(whole(v)); }});
    t.push_back(with({.key = "flip", .kind = K::Flag, .group = kData, .label = "Flip test",
                 .help = "Evaluate on each face and its mirror image (embeddings summed)"},
                 flagField([](auto& r) -> auto& { return r.data.flip; })));
    t.push_back({.key = "seed", .kind = K::Integer, .group = kData, .label = "Seed",
                 .help = "Seeds the held-out split, the batches and random scores: same seed, same run",
                 .min = 0, .max = 2147483647,
                 .get = [](const R& r) { return std::to_string(r.config.seed); },
                 .set = [](R& r, S v) { r.config.seed = r.data.seed = uint64_t(whole(v)); }});
    // Method
    t.push_back({.key = "criterion", .kind = K::Choice, .group = kMethod, .label = "Criterion",
                 .help = "taylor: Molchanov 2017, |activation x gradient| per feature map; taylor-bn: Molchanov "
                         "2019, BatchNorm parameters x gradients; l1: filter weight norm; bn: |BatchNorm gamma|; "
                         "random: baseline",
                 .choices = criterionNames(),
                 .get = [](const R& r) { return std::string(criterionName(r.config.criterion)); },
                 .set = [](R& r, S v) { r.config.criterion = criterionFromName(v); }});
    t.push_back({.key = "per-iteration", .kind = K::Text, .group = kMethod, .label = "Per iteration",
                 .help = "Filters removed per iteration: a count N, or P% of the prunable groups left",
                 .get = [](const R& r) {
                     return r.config.perIterationCount > 0 ? std::to_string(r.config.perIterationCount)
                                                           : formatNumber(r.config.perIterationPercent) + "%";
                 },
                 .set = [](R& r, S v) {
                     const bool percent = v.ends_with('%');
                     double n = 0;
                     if (!parseNumber(percent ? v.substr(0, v.size() - 1) : v, n) || n <= 0 ||
                         (percent ? n > 100 : n != std::floor(n)))
                         throw InputError("setting 'per-iteration' (Per iteration): '" + v +
                                          "' is not a count N or a percentage P% (0 < P <= 100)");
                     if (percent) {
                         r.config.perIterationPercent = n;
                         r.config.perIterationCount = 0;
                     } else {
                         r.config.perIterationCount = static_cast<int64_t>(n);
                     }
                 }});
    t.push_back(with({.key = "scoring-batches", .kind = K::Integer, .group = kMethod, .label = "Scoring batches",
                 .help = "Mini-batches scored per iteration (0 = one pass over the training people)", .min = 0,
                 .max = 1e6, .noneText = "one pass"},
                 wholeField([](auto& r) -> auto& { return r.config.scoringBatches; })));
    t.push_back(with({.key = "min-width", .kind = K::Real, .group = kMethod, .label = "Minimum layer width",
                 .help = "No layer keeps fewer than this share of its filters", .min = 0, .max = 1,
                 .decimals = 1, .percent = true},
                 numberField([](auto& r) -> auto& { return r.config.constraints.minWidthFraction; })));
    t.push_back(with({.key = "round-to", .kind = K::Integer, .group = kMethod, .label = "Round widths to",
                 .help = "Keep widths a multiple of this (8 suits vector units)", .min = 1, .max = 512},
                 wholeField([](auto& r) -> auto& { return r.config.constraints.roundTo; })));
    // The weight before the cost: choosing no cost turns the regulariser off whatever the weight says.
    t.push_back({.key = "cost-lambda", .kind = K::Real, .group = kMethod, .label = "Cost weight",
                 .help = "How much cost outweighs importance: each score loses weight x the filter's saving / "
                         "the largest saving",
                 .min = 0, .max = 10, .decimals = 2,
                 .get = [](const R& r) {
                     return formatNumber(r.config.flopsLambda > 0 ? r.config.flopsLambda : kDefaultCostWeight);
                 },
                 .set = [](R& r, S v) { r.config.flopsLambda = number(v); }});
    t.push_back({.key = "cost", .kind = K::Choice, .group = kMethod, .label = "Cost regulariser",
                 .help = "Prefer removing filters that cost most: by MACs, or by each layer's inference time "
                         "measured on this machine before every iteration (realises more speed-up)",
                 .choices = names({"macs", "latency"}), .noneText = "none",
                 .get = [](const R& r) {
                     return r.config.flopsLambda > 0 ? std::string(regulariserCostName(r.config.regulariserCost))
                                                     : std::string();
                 },
                 .set = [](R& r, S v) {
                     if (v.empty()) {
                         r.config.flopsLambda = 0;
                         return;
                     }
                     r.config.regulariserCost = regulariserCostFromName(v);
                     if (r.config.flopsLambda == 0) r.config.flopsLambda = kDefaultCostWeight;
                 }});
    t.push_back(with({.key = "latency-batch", .kind = K::Integer, .group = kMethod, .label = "Latency batch",
                 .help = "Batch size the latency cost is measured at", .min = 1, .max = 1024},
                 wholeField([](auto& r) -> auto& { return r.config.latencyBatch; })));
    t.push_back(with({.key = "measure-latency", .kind = K::Flag, .group = kMethod, .label = "Measure latency",
                 .help = "Time a batch-1 forward of the model after every iteration (kept in run.json; the cost "
                         "plot and the study table show it)"},
                 flagField([](auto& r) -> auto& { return r.config.measureLatency; })));
    t.push_back({.key = "lock", .kind = K::List, .group = kMethod, .label = "Locked layers",
                 .help = "Layers kept whole (lock them in the layer table or the graph's context menu)",
                 .get = [](const R& r) { return joinLines({r.config.locked.begin(), r.config.locked.end()}); },
                 .set = [](R& r, S v) {
                     const auto l = splitLines(v);
                     r.config.locked = {l.begin(), l.end()};
                 }});
    t.push_back({.key = "min-width-of", .kind = K::List, .group = kMethod, .label = "Per-layer minimum widths",
                 .help = "LAYER=FILTERS: a layer never narrower than this (from Measure Layer Sensitivity)",
                 .get = [](const R& r) {
                     std::vector<std::string> lines;
                     for (const auto& [layer, w] : r.config.constraints.minWidthOf)
                         lines.push_back(layer + "=" + std::to_string(w));
                     return joinLines(lines);
                 },
                 .set = [](R& r, S v) {
                     r.config.constraints.minWidthOf.clear();
                     for (const auto& line : splitLines(v)) {
                         const auto eq = line.rfind('=');
                         long long w = 0;
                         if (eq == std::string::npos || eq == 0 || !parseWhole(line.substr(eq + 1), w) || w < 1)
                             throw InputError("setting 'min-width-of': '" + line + "' is not LAYER=FILTERS");
                         r.config.constraints.minWidthOf[line.substr(0, eq)] = w;
                     }
                 }});
    // Recovery
    t.push_back(with({.key = "finetune-steps", .kind = K::Integer, .group = kRecovery, .label = "Steps after each cut",
                 .help = "SGD steps after each removal", .min = 0, .max = 1e6, .noneText = "none"},
                 wholeField([](auto& r) -> auto& { return r.config.finetuneSteps; })));
    t.push_back(with({.key = "lr", .kind = K::Real, .group = kRecovery, .label = "Learning rate after cuts",
                 .help = "Learning rate of the steps after each cut", .min = 1e-6, .max = 10, .decimals = 5},
                 numberField([](auto& r) -> auto& { return r.config.finetuneLearningRate; })));
    t.push_back({.key = "loss", .kind = K::Choice, .group = kRecovery, .label = "Identification loss",
                 .help = "Loss on the training people's names, when labels are used",
                 .choices = names({"softmax", "cosface", "arcface"}),
                 .get = [](const R& r) { return std::string(train::lossKindName(r.config.finetuneLoss)); },
                 .set = [](R& r, S v) { r.config.finetuneLoss = train::lossKindFromName(v); }});
    t.push_back({.key = "schedule", .kind = K::Choice, .group = kRecovery, .label = "Schedule after cuts",
                 .help = "Learning rate over each fine-tuning after a cut", .choices = names({"constant", "step", "cosine"}),
                 .get = [](const R& r) { return std::string(train::scheduleKindName(r.config.finetuneSchedule)); },
                 .set = [](R& r, S v) { r.config.finetuneSchedule = train::scheduleKindFromName(v); }});
    t.push_back(with({.key = "labels", .kind = K::Flag, .group = kRecovery, .label = "Learn the names too",
                 .help = "Identification loss on the training people as well as the original's embeddings "
                         "(158 people overfit quickly)"},
                 flagField([](auto& r) -> auto& { return r.config.finetuneLabels; })));
    t.push_back(with({.key = "distill", .kind = K::Real, .group = kRecovery, .label = "Distillation weight",
                 .help = "Weight of 1 - cos(student, original) on the embedding (0 = none)", .min = 0, .max = 100,
                 .decimals = 2},
                 numberField([](auto& r) -> auto& { return r.config.distillWeight; })));
    t.push_back(with({.key = "relation", .kind = K::Real, .group = kRecovery, .label = "Relational weight",
                 .help = "Weight of the batch's pairwise similarities against the original's (0 = none)", .min = 0,
                 .max = 100, .decimals = 2},
                 numberField([](auto& r) -> auto& { return r.config.relationWeight; })));
    t.push_back(with({.key = "feature", .kind = K::Real, .group = kRecovery, .label = "Stage feature weight",
                 .help = "Weight of matching the original's feature maps at the end of each resolution stage, "
                         "through a 1x1 projection fitted by least squares (0 = none)",
                 .min = 0, .max = 100, .decimals = 2},
                 numberField([](auto& r) -> auto& { return r.config.featureWeight; })));
    t.push_back(with({.key = "jitter", .kind = K::Flag, .group = kRecovery, .label = "Jitter recovery views",
                 .help = "Colour, blur, JPEG and small pose jitter as well as flips, the original seeing the same "
                         "view (off: flips only, which kept the original's embedding closer)"},
                 flagField([](auto& r) -> auto& { return r.data.jitter; })));
    t.push_back(with({.key = "recovery-steps", .kind = K::Integer, .group = kRecovery, .label = "Final recovery steps",
                 .help = "Recovery after the last cut: warm-up, then a cosine to 0, keeping the best checkpoint",
                 .min = 0, .max = 1e7, .noneText = "none"},
                 wholeField([](auto& r) -> auto& { return r.config.recoverySteps; })));
    t.push_back(with({.key = "recovery-lr", .kind = K::Real, .group = kRecovery, .label = "Final recovery rate",
                 .help = "Peak learning rate of the final recovery", .min = 1e-6, .max = 10, .decimals = 5},
                 numberField([](auto& r) -> auto& { return r.config.recoveryLearningRate; })));
    t.push_back(with({.key = "recovery-warmup", .kind = K::Integer, .group = kRecovery, .label = "Warm-up steps",
                 .help = "Steps the final recovery's learning rate rises over", .min = 0, .max = 1e6},
                 wholeField([](auto& r) -> auto& { return r.config.recoveryWarmup; })));
    t.push_back(with({.key = "recovery-eval-every", .kind = K::Integer, .group = kRecovery, .label = "Evaluate every",
                 .help = "Steps between the final recovery's evaluations (0 = about eight in all)", .min = 0,
                 .max = 1e6, .noneText = "auto"},
                 wholeField([](auto& r) -> auto& { return r.config.recoveryEvalEvery; })));
    // Last: a quick look turns off what the rows above set.
    t.push_back({.key = "quick", .kind = K::Flag, .group = kRecovery, .label = "Quick look (no recovery)",
                 .help = "No learning after cuts and no final recovery: fast, but the model loses more",
                 .get = [](const R& r) { return boolText(isQuick(r.config)); },
                 .set = [](R& r, S v) {
                     if (v != "true") return;
                     r.config.finetuneSteps = r.config.recoverySteps = 0;
                     r.config.distillWeight = r.config.relationWeight = r.config.featureWeight = 0;
                 }});
    // Stop when
    t.push_back(with({.key = "iterations", .kind = K::Integer, .group = kStop, .label = "Iterations reach",
                 .help = "Iterations at most (with a target only a guard: the command line then allows 200 unless told)", .min = 1, .max = 100000},
                 wholeField([](auto& r) -> auto& { return r.config.maxIterations; })));
    t.push_back({.key = "target", .kind = K::Measure, .group = kStop, .label = "Target",
                 .help = "Stop once this share of the original's filters, parameters or MACs is left, e.g. "
                         "macs:0.5",
                 .min = 0.01, .max = 0.99, .percent = true, .choices = names({"filters", "params", "macs"}),
                 .noneText = "none",
                 .get = [](const R& r) {
                     if (!r.config.target) return std::string();
                     return std::string(targetKindName(r.config.target->kind)) + ":" +
                            formatNumber(r.config.target->fractionLeft);
                 },
                 .set = [](R& r, S v) {
                     if (v.empty()) {
                         r.config.target.reset();
                         return;
                     }
                     const auto [kind, share] = splitMeasure(v);
                     r.config.target = Target{targetKindFromName(kind), share};
                 }});
    t.push_back({.key = "floor", .kind = K::Measure, .group = kStop, .label = "Metric falls below",
                 .help = "Stop when a held-out metric falls below this, e.g. accuracy:0.95", .min = 0, .max = 1,
                 .percent = true, .choices = names({"accuracy", "auc", "tar_far1e-2", "tar_far1e-3"}),
                 .noneText = "no floor",
                 .get = [](const R& r) {
                     if (r.config.floorMetric.empty()) return std::string();
                     return r.config.floorMetric + ":" + formatNumber(r.config.floorValue);
                 },
                 .set = [](R& r, S v) {
                     if (v.empty()) {
                         r.config.floorMetric.clear();
                         return;
                     }
                     std::tie(r.config.floorMetric, r.config.floorValue) = splitMeasure(v);
                 }});
    return t;
}

}  // namespace

const std::vector<Setting>& runSettings() {
    static const std::vector<Setting> table = buildTable();
    return table;
}

const Setting* findSetting(const std::string& key) {
    for (const auto& s : runSettings())
        if (s.key == key) return &s;
    return nullptr;
}

RunRequest defaultRunRequest() {
    RunRequest r;
    r.config = withRecoveryRecipe({});
    r.data.batchSize = r.config.batchSize;
    r.data.seed = r.config.seed;
    return r;
}

void applySetting(RunRequest& r, const Setting& s, const std::string& text) {
    using K = SettingKind;
    std::string value = text;
    const auto inRange = [&](double v) {
        if (v < s.min || v > s.max)
            throw InputError(describe(s) + ": " + text + " is outside " + formatNumber(s.min) + " to " +
                             formatNumber(s.max));
    };
    switch (s.kind) {
    case K::Integer: {
        long long v = 0;
        if (!parseWhole(text, v)) refuse(s, text, "a whole number");
        inRange(double(v));
        break;
    }
    case K::Real: {
        double v = 0;
        if (!parseNumber(text, v)) refuse(s, text, "a number");
        inRange(v);
        break;
    }
    case K::Flag:
        if (text == "true" || text == "1" || text == "yes" || text == "on") value = "true";
        else if (text == "false" || text == "0" || text == "no" || text == "off") value = "false";
        else refuse(s, text, "true or false");
        break;
    case K::Choice:
        if (!(text.empty() && !s.noneText.empty()) && std::find(s.choices.begin(), s.choices.end(), text) == s.choices.end())
            refuse(s, text, "one of " + commaList(s.choices) + (s.noneText.empty() ? "" : " (or empty for " + s.noneText + ")"));
        break;
    case K::Measure: {
        if (text.empty()) break;
        const auto colon = text.find(':');
        double v = 0;
        if (colon == std::string::npos || !parseNumber(text.substr(colon + 1), v))
            refuse(s, text, "KIND:VALUE, e.g. " + s.choices.back() + ":0.5");
        if (std::find(s.choices.begin(), s.choices.end(), text.substr(0, colon)) == s.choices.end())
            refuse(s, text, "of a kind among " + commaList(s.choices));
        inRange(splitMeasure(text).second);
        break;
    }
    case K::Text:  // the setter checks its own format
    case K::Dir:
    case K::File:
    case K::DirList:
    case K::List:
        break;  // folders are checked when the run reads them, with a message naming them
    }
    s.set(r, value);
}

void applySettings(RunRequest& r, const std::map<std::string, std::string>& values) {
    for (const auto& [key, v] : values)
        if (!findSetting(key)) throw InputError("unknown setting '" + key + "'");
    for (const auto& s : runSettings())
        if (auto it = values.find(s.key); it != values.end()) applySetting(r, s, it->second);
}

std::map<std::string, std::string> settingValues(const RunRequest& r) {
    std::map<std::string, std::string> out;
    for (const auto& s : runSettings()) out[s.key] = s.get(r);
    return out;
}

std::string formatNumber(double v) {
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, res.ptr);
}

}  // namespace fp::prune
