#include "train/Trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "data/BatchLoader.h"
#include "data/SeededRandom.h"
#include "dist/Group.h"
#include "exec/TorchGraph.h"
#include "graph/GraphBuilder.h"
#include "io/NativeFormat.h"
#include "train/Head.h"
#include "train/RankShare.h"
#include "train/TeacherCache.h"
#include "train/TrainCheckpoint.h"
#include "train/TorchTraining.h"
#include "util/Errors.h"

namespace fp::train {

namespace fs = std::filesystem;

namespace {

// Streams of one seed for the different random choices of a run.
enum Stream : uint64_t { kPasses = 1, kSteps = 2, kHead = 3, kProjection = 4 };

uint64_t streamSeed(uint64_t seed, uint64_t stream, uint64_t index) {
    return data::SeededRandom::mix(data::SeededRandom::mix(seed ^ (stream << 56)) + index);
}

bool isRunningStat(const std::string& key) { return key == "running_mean" || key == "running_var"; }

// The distillation projection as a model file of its own: input [Cs] -> Linear (no bias) -> [Ct],
// with its momentum as a second Linear beside it (the "logits"), so one file holds both.
graph::Graph projectionGraph(const torch::Tensor& weight, const torch::Tensor& momentum) {
    graph::GraphBuilder b("distillation-projection", graph::Shape{weight.size(1), 1, 1, false});
    const std::string flat = b.flatten(b.input(), "flat");
    const std::string w = b.linear(flat, "projection", weight.size(0), /*bias=*/false);
    const std::string m = b.linear(flat, "projection.momentum", weight.size(0), /*bias=*/false);
    b.graph().at(w).params["weight"] = exec::fromTorch(weight);
    b.graph().at(m).params["weight"] = exec::fromTorch(momentum);
    return b.finish(w, m);
}

}  // namespace

uint64_t passSeed(uint64_t seed, uint64_t pass) { return streamSeed(seed, kPasses, pass); }

std::vector<std::string> featureLayers(const graph::Graph& student, const graph::Graph& teacher) {
    // The last node at each spatial size (the end of a stage), before the embedding.
    std::vector<std::string> out;
    const auto& nodes = student.nodes();
    for (size_t i = 0; i + 1 < nodes.size(); ++i) {
        const auto& n = nodes[i];
        if (n.name == student.embeddingName()) break;
        if (n.shape.flat || n.shape.h <= 1) continue;
        const auto& next = nodes[i + 1];
        if (!next.shape.flat && next.shape.h == n.shape.h && next.shape.w == n.shape.w) continue;
        const graph::Node* t = teacher.find(n.name);
        if (t && !t->shape.flat && t->shape.h == n.shape.h && t->shape.w == n.shape.w) out.push_back(n.name);
    }
    return out;
}

struct Param {
    std::string node, key;
    torch::Tensor value;     // shares storage with the TorchGraph's tensor
    torch::Tensor momentum;  // zeros until the first step (the same as torch's lazily made buffer)
};

struct Trainer::Impl {
    graph::Graph& model;
    data::BatchSource& source;
    TrainOptions options;
    const graph::Graph* teacher = nullptr;
    data::BatchSource* teacherSource = nullptr;
    TeacherFeed feed = TeacherFeed::SameInput;
    const CancelToken* cancel = nullptr;
    std::function<void(const TrainProgress&)> progress;

    // Position: steps done, data passes started, batches taken from the current pass.
    int step = 0;
    uint64_t pass = 0;
    int64_t batchInPass = 0;
    bool passOpen = false;
    bool resumed = false;
    std::optional<graph::Graph> resumedMomentum, resumedProjection;

    std::unique_ptr<exec::TorchGraph> net, teacherNet;
    std::vector<Param> params;
    torch::Tensor projection, projectionMomentum;
    std::vector<std::string> features;                            // featureWeight > 0: the stages matched
    std::vector<torch::Tensor> featureProjection, featureMomentum;  // [Ct, Cs] each, fitted on first use
    TeacherCache teacherCache;

    Impl(graph::Graph& m, data::BatchSource& s, TrainOptions o) : model(m), source(s), options(std::move(o)) {}

    bool distilling() const {
        return options.distillWeight > 0.0 || options.relationWeight > 0.0 || options.featureWeight > 0.0;
    }
    bool marginHead() const { return options.loss.kind != LossKind::Softmax; }
    bool cancelled() const { return fp::cancelled(cancel); }

    void build();
    bool nextBatch(data::Batch& batch, data::Batch& teacherBatch);
    torch::Tensor teacherInput(const data::Batch& batch, const data::Batch& teacherBatch) const;
    torch::Tensor teacherForward(const torch::Tensor& x);
    torch::Tensor teacherEmbedding(const data::Batch& batch, const data::Batch& teacherBatch);
    torch::Tensor featureLoss(const std::unordered_map<std::string, torch::Tensor>& student,
                              const std::unordered_map<std::string, torch::Tensor>& teacher);
    torch::Tensor relationLoss(const torch::Tensor& student, const torch::Tensor& teacher, const RankShare& share);
    void update(double rate);
    void save();

    dist::Group* group = nullptr;
    // Each rank's loss and gradients are its share of the whole batch's: the sums are one process's.
    void sumAcrossRanks(TrainProgress& p);
    void shareBatchNormStatistics();
    std::vector<torch::Tensor> trainables() const {
        std::vector<torch::Tensor> all;
        for (const auto& p : params) all.push_back(p.value);
        if (projection.defined()) all.push_back(projection);
        for (const auto& w : featureProjection) all.push_back(w);
        return all;
    }
};

void Trainer::Impl::sumAcrossRanks(TrainProgress& p) {
    std::vector<double> parts{p.loss, p.identification, p.distillation, p.relation, p.feature};
    group->allReduceSum(parts);
    p.loss = parts[0];
    p.identification = parts[1];
    p.distillation = parts[2];
    p.relation = parts[3];
    p.feature = parts[4];
    sumGradients(*group, trainables());
}

void Trainer::Impl::shareBatchNormStatistics() {
    if (!net) return;
    if (!group) {
        net->setCrossRankSum({});
        return;
    }
    net->setCrossRankSum([g = group](torch::Tensor& values) { sumInPass(*g, values); });
}

void Trainer::Impl::build() {
    if (options.useLabels) {
        // A resumed model already has its head; it only needs checking.
        data::BatchSource* init = options.headFromCentres && !resumed ? &source : nullptr;
        prepareHead(model, source.numClasses(), options.loss.kind, init, streamSeed(options.seed, kHead, 0));
    }
    net = std::make_unique<exec::TorchGraph>(model);
    net->setTraining(true);
    // Channels-last: MobileFaceNet's training step measured faster, dlib's no slower (bench_recovery
    // --throughput --model M). Set before the parameters take gradients (TorchGraph::setChannelsLast).
    net->setChannelsLast(true);
    shareBatchNormStatistics();
    for (const auto& node : model.nodes())
        for (const auto& [key, t] : node.params) {
            if (isRunningStat(key)) continue;
            Param p{node.name, key, net->param(node.name, key), {}};
            p.value.requires_grad_(true);
            if (resumedMomentum) {
                const graph::Node* m = resumedMomentum->find(node.name);
                if (!m || !m->hasParam(key) || m->param(key).shape != t.shape)
                    throw Error("the checkpoint's optimizer state does not fit the model (layer '" + node.name +
                                "', parameter '" + key + "')");
                p.momentum = exec::toTorch(m->param(key));
            } else {
                p.momentum = torch::zeros_like(p.value);
            }
            params.push_back(std::move(p));
        }
    resumedMomentum.reset();

    if (!distilling()) return;
    if (!teacher) throw Error("distillation (weight " + std::to_string(options.distillWeight) + ") needs a teacher model");
    teacherNet = std::make_unique<exec::TorchGraph>(*teacher);
    teacherNet->setTraining(false);
    teacherNet->foldBatchNorm();  // the teacher's weights never change: one conv per conv+BatchNorm
    if (options.featureWeight > 0.0) {
        if (feed != TeacherFeed::SameInput)
            throw Error("feature distillation needs a teacher that sees the student's input (same crop and size)");
        features = featureLayers(model, *teacher);
        if (features.empty()) throw Error("feature distillation: the student and the teacher share no stage outputs");
    }
    const int64_t studentDim = model.at(model.embeddingName()).shape.c;
    const int64_t teacherDim = teacher->at(teacher->embeddingName()).shape.c;
    if (studentDim == teacherDim) {
        if (resumedProjection) throw Error("the checkpoint has a distillation projection, but the embeddings match");
        return;
    }
    if (resumedProjection) {
        const Tensor& w = resumedProjection->at("projection").param("weight");
        if (w.shape != std::vector<int64_t>{teacherDim, studentDim})
            throw Error("the checkpoint's distillation projection is " + w.shapeString() + ", the models need " +
                        std::to_string(teacherDim) + "x" + std::to_string(studentDim));
        projection = exec::toTorch(w);
        projectionMomentum = exec::toTorch(resumedProjection->at("projection.momentum").param("weight"));
    } else {
        // Variance-preserving start; the projection learns with the student.
        torch::manual_seed(streamSeed(options.seed, kProjection, 0));
        projection = torch::randn({teacherDim, studentDim}) / std::sqrt(static_cast<double>(studentDim));
        projectionMomentum = torch::zeros_like(projection);
    }
    projection.requires_grad_(true);
    resumedProjection.reset();
}

bool Trainer::Impl::nextBatch(data::Batch& batch, data::Batch& teacherBatch) {
    const bool own = distilling() && feed == TeacherFeed::OwnSource;
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (!passOpen) {
            // Both sources restart with the same seed, so they list the same samples in the same order.
            const uint64_t s = passSeed(options.seed, pass);
            source.restart(s);
            if (own) teacherSource->restart(s);
            for (int64_t i = 0; i < batchInPass; ++i) {  // a resumed pass: skip what was used already
                if (!source.next(batch)) break;
                if (own) teacherSource->next(teacherBatch);
            }
            passOpen = true;
        }
        if (source.next(batch)) {
            ++batchInPass;
            if (own) {
                if (!teacherSource->next(teacherBatch) || teacherBatch.size() != batch.size() ||
                    teacherBatch.labels != batch.labels)
                    throw Error("the teacher's batches are out of step with the student's (pass " +
                                std::to_string(pass) + ", batch " + std::to_string(batchInPass) +
                                "): both sources must list the same images");
            }
            return true;
        }
        ++pass;
        batchInPass = 0;
        passOpen = false;
    }
    return false;
}

torch::Tensor Trainer::Impl::teacherInput(const data::Batch& batch, const data::Batch& teacherBatch) const {
    switch (feed) {
    case TeacherFeed::SameInput: return exec::toTorch(batch.images);
    case TeacherFeed::Converted:
    case TeacherFeed::Resized:
        return convertInput(exec::toTorch(batch.images), model.preprocess, teacher->preprocess).contiguous();
    case TeacherFeed::OwnSource: return exec::toTorch(teacherBatch.images);
    }
    return {};
}

torch::Tensor Trainer::Impl::teacherForward(const torch::Tensor& x) {
    const std::string& name = teacher->embeddingName();
    if (feed != TeacherFeed::OwnSource) return teacherNet->forward(x, {name}).at(name);
    // Flip test: the target is the same whether or not the student's copy was mirrored.
    namespace F = torch::nn::functional;
    const auto unit = F::NormalizeFuncOptions().dim(1);
    return F::normalize(teacherNet->forward(x, {name}).at(name), unit) +
           F::normalize(teacherNet->forward(x.flip(3), {name}).at(name), unit);
}

torch::Tensor Trainer::Impl::teacherEmbedding(const data::Batch& batch, const data::Batch& teacherBatch) {
    torch::NoGradGuard noGrad;
    const torch::Tensor x = teacherInput(batch, teacherBatch);
    if (!options.cacheTeacher) return teacherForward(x);
    const int64_t n = x.size(0), per = x.numel() / n;
    const float* values = x.data_ptr<float>();
    std::vector<uint64_t> keys(n);
    std::vector<const std::vector<float>*> hits(n);
    bool all = true;
    for (int64_t i = 0; i < n; ++i) {
        keys[i] = TeacherCache::key(values + i * per, static_cast<size_t>(per));
        hits[i] = teacherCache.find(keys[i]);
        all = all && hits[i];
    }
    const int64_t dim = teacher->at(teacher->embeddingName()).shape.c;
    torch::Tensor out = all ? torch::empty({n, dim}) : teacherForward(x).contiguous();
    float* rows = out.data_ptr<float>();
    for (int64_t i = 0; i < n; ++i) {
        // What the cache holds wins, so a value never depends on which batch recomputed it.
        if (hits[i])
            std::copy(hits[i]->begin(), hits[i]->end(), rows + i * dim);
        else
            teacherCache.insert(keys[i], std::vector<float>(rows + i * dim, rows + (i + 1) * dim));
    }
    return out;
}

torch::Tensor Trainer::Impl::featureLoss(const std::unordered_map<std::string, torch::Tensor>& student,
                                         const std::unordered_map<std::string, torch::Tensor>& teacher) {
    if (featureProjection.empty()) {
        // Least squares from the student's channels to the teacher's on the first batch: the loss
        // starts at what no linear map explains, not at a random projection's error.
        torch::NoGradGuard noGrad;
        for (const auto& name : features) {
            const torch::Tensor s = student.at(name).detach().permute({0, 2, 3, 1}).reshape({-1, student.at(name).size(1)});
            const torch::Tensor t = teacher.at(name).permute({0, 2, 3, 1}).reshape({-1, teacher.at(name).size(1)});
            torch::Tensor gram = s.t().mm(s), cross = s.t().mm(t);
            if (group) {  // the whole batch's sums: every rank fits the same projection
                const int64_t cs = gram.numel();
                torch::Tensor both = torch::cat({gram.flatten(), cross.flatten()}).to(torch::kDouble);
                sumInPass(*group, both);
                gram = both.slice(0, 0, cs).view_as(gram).to(gram.scalar_type());
                cross = both.slice(0, cs).view_as(cross).to(cross.scalar_type());
            }
            // Ridge-regularised: channels the cut left (nearly) dead get small weights, not huge ones
            // that blow up once training wakes them.
            const double ridge = 1e-2 * gram.diagonal().mean().item<double>() + 1e-8;
            const torch::Tensor w = torch::linalg_solve(gram + ridge * torch::eye(gram.size(0)), cross);
            featureProjection.push_back(w.t().contiguous().requires_grad_(true));
            featureMomentum.push_back(torch::zeros_like(featureProjection.back()));
        }
    }
    // Each stage's error relative to the teacher's energy, both over the whole batch (all ranks').
    std::vector<torch::Tensor> energies;
    for (const auto& name : features) energies.push_back(teacher.at(name).pow(2).sum());
    torch::Tensor energy = torch::stack(energies).to(torch::kDouble);
    if (group) sumInPass(*group, energy);
    energy = energy.clamp_min(1e-12).to(torch::kFloat);
    torch::Tensor sum = torch::zeros({});
    for (size_t i = 0; i < features.size(); ++i) {
        const torch::Tensor& w = featureProjection[i];
        const torch::Tensor p = torch::conv2d(student.at(features[i]), w.view({w.size(0), w.size(1), 1, 1}));
        sum = sum + (p - teacher.at(features[i])).pow(2).sum() / energy[static_cast<int64_t>(i)];
    }
    return sum / static_cast<double>(features.size());
}

torch::Tensor Trainer::Impl::relationLoss(const torch::Tensor& student, const torch::Tensor& teacher,
                                          const RankShare& share) {
    if (!group) return relationalLoss(student, teacher);
    // Both models' normalised rows in one collective.
    const torch::Tensor all =
        gatherRows(*group, torch::cat({normaliseRows(student), normaliseRows(teacher)}, 1), share);
    return relationalLossShare(student, teacher, all.narrow(1, 0, student.size(1)),
                               all.narrow(1, student.size(1), teacher.size(1)), share.first);
}

void Trainer::Impl::update(double rate) {
    torch::NoGradGuard noGrad;
    if (options.clipGradNorm > 0.0) {
        std::vector<torch::Tensor> all;
        for (auto& p : params) all.push_back(p.value);
        if (projection.defined()) all.push_back(projection);
        for (auto& w : featureProjection) all.push_back(w);
        torch::nn::utils::clip_grad_norm_(all, options.clipGradNorm);
    }
    auto sgd = [&](torch::Tensor& p, torch::Tensor& v) {
        const torch::Tensor& g = p.grad();
        if (!g.defined()) return;  // not part of this loss (a head during distillation only)
        torch::Tensor d = options.weightDecay != 0.0 ? g + options.weightDecay * p : g;
        v.mul_(options.momentum).add_(d);
        p.add_(v, -rate);
        p.mutable_grad().reset();
    };
    for (auto& p : params) sgd(p.value, p.momentum);
    if (projection.defined()) sgd(projection, projectionMomentum);
    for (size_t i = 0; i < featureProjection.size(); ++i) sgd(featureProjection[i], featureMomentum[i]);
}

void Trainer::Impl::save() {
    if (options.checkpointDir.empty()) throw Error("no checkpoint folder was given");
    if (!net) build();
    CheckpointModels models{model, model, std::nullopt};
    net->writeBack(models.model);
    models.momentum = models.model;
    for (const auto& p : params) models.momentum.at(p.node).params[p.key] = exec::fromTorch(p.momentum);
    if (projection.defined()) models.projection = projectionGraph(projection.detach(), projectionMomentum);
    saveTrainCheckpoint(options.checkpointDir, {step, pass, batchInPass}, options, models, teacherCache);
}

Trainer::Trainer(graph::Graph& model, data::BatchSource& source, TrainOptions options)
    : impl_(std::make_unique<Impl>(model, source, std::move(options))) {
    const auto& o = impl_->options;
    if (o.steps < 0) throw Error("training steps cannot be negative");
    if (!o.useLabels && o.distillWeight <= 0.0 && o.relationWeight <= 0.0 && o.featureWeight <= 0.0)
        throw Error("nothing to train on: without labels, give a teacher and a distillation weight");
    if (o.distillWeight < 0.0 || o.relationWeight < 0.0 || o.featureWeight < 0.0)
        throw Error("the distillation weights cannot be negative");
    if (o.momentum < 0.0 || o.weightDecay < 0.0) throw Error("momentum and weight decay cannot be negative");
    if (o.clipGradNorm < 0.0) throw Error("the gradient norm limit cannot be negative (0 = no limit)");
    if (o.loss.kind != LossKind::Softmax && o.loss.scale <= 0.0) throw Error("the margin head's scale must be positive");
    if (o.checkpointEvery < 0) throw Error("checkpoint interval cannot be negative");
    if (o.checkpointEvery > 0 && o.checkpointDir.empty()) throw Error("checkpoints need a folder");
    Schedule(o.schedule, std::max(1, o.steps));  // validates the schedule now rather than mid-run
}

Trainer::~Trainer() = default;

void Trainer::setTeacher(const graph::Graph& teacher, data::BatchSource* teacherSource) {
    if (!teacher.at(teacher.embeddingName()).shape.flat)
        throw Error("the teacher's embedding '" + teacher.embeddingName() + "' is not a flat vector");
    impl_->teacher = &teacher;
    impl_->teacherSource = teacherSource;
    impl_->feed = train::teacherFeed(impl_->model.preprocess, teacher.preprocess);
    if (impl_->feed == TeacherFeed::OwnSource && !teacherSource)
        throw Error(std::string("the teacher crops faces differently from the student (") +
                    graph::alignmentName(teacher.preprocess.alignment) + " " +
                    std::to_string(teacher.preprocess.width) + "x" + std::to_string(teacher.preprocess.height) +
                    " vs " + graph::alignmentName(impl_->model.preprocess.alignment) + " " +
                    std::to_string(impl_->model.preprocess.width) + "x" +
                    std::to_string(impl_->model.preprocess.height) +
                    "): it needs a batch source of its own over the same images");
}

TeacherFeed Trainer::teacherFeed() const { return impl_->feed; }

void Trainer::setCancel(const CancelToken* cancel) { impl_->cancel = cancel; }

void Trainer::setGroup(dist::Group* group) {
    impl_->group = group;
    impl_->shareBatchNormStatistics();
}

void Trainer::setProgress(std::function<void(const TrainProgress&)> progress) { impl_->progress = std::move(progress); }

bool Trainer::hasCheckpoint(const fs::path& dir) { return hasTrainCheckpoint(dir); }

int Trainer::resume(const fs::path& dir) {
    Impl& d = *impl_;
    if (d.net) throw Error("resume a training run before it starts");
    auto [position, models] = loadTrainCheckpoint(dir, d.options, d.teacherCache);
    d.model = std::move(models.model);
    d.resumedMomentum = std::move(models.momentum);
    d.resumedProjection = std::move(models.projection);
    d.step = position.step;
    d.pass = position.pass;
    d.batchInPass = position.batchInPass;
    d.passOpen = false;
    d.resumed = true;
    return d.step;
}

void Trainer::saveCheckpoint() { impl_->save(); }

int Trainer::step() const { return impl_->step; }

TrainResult Trainer::run() { return runUntil(impl_->options.steps); }

TrainResult Trainer::runUntil(int stopAt) {
    Impl& d = *impl_;
    stopAt = std::min(stopAt, d.options.steps);
    const auto t0 = std::chrono::steady_clock::now();
    auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
    TrainResult result;
    if (!d.net) d.build();
    const auto& o = d.options;
    const Schedule schedule(o.schedule, std::max(1, o.steps));
    const std::string emb = d.model.embeddingName();
    const std::string logits = d.model.logitsName();
    torch::Tensor headWeight;
    if (o.useLabels && d.marginHead()) headWeight = d.net->param(logits, "weight");

    std::vector<double> losses;
    data::Batch batch, teacherBatch;
    while (d.step < stopAt) {
        if (d.cancelled()) {
            result.cancelled = true;
            if (o.checkpointEvery > 0) d.save();
            break;
        }
        if (!d.nextBatch(batch, teacherBatch)) throw Error("no training images to train on");
        if (batch.size() < 2) {  // BatchNorm in training mode needs two samples
            if (d.group) throw Error("a rank's share of a batch holds fewer than two faces; use larger batches");
            continue;
        }

        std::vector<int64_t> labelled, rows;  // unlabelled faces (-1) only distil
        if (o.useLabels) {
            const int64_t classes = d.model.at(logits).outChannels;
            for (size_t i = 0; i < batch.labels.size(); ++i) {
                const int64_t l = batch.labels[i];
                if (l >= classes)
                    throw InputError("a training image has label " + std::to_string(l) + " but the head has " +
                                     std::to_string(classes) + " identities");
                if (l >= 0) {
                    labelled.push_back(l);
                    rows.push_back(static_cast<int64_t>(i));
                }
            }
        }
        // Distributed, each term below is this rank's share of the whole batch's (RankShare.h).
        const auto n = static_cast<int64_t>(batch.size()), labelledRows = static_cast<int64_t>(labelled.size());
        const RankShare share = d.group ? shareOf(*d.group, n, labelledRows) : RankShare::whole(n, labelledRows);

        torch::manual_seed(streamSeed(o.seed, kSteps, static_cast<uint64_t>(d.step)));
        const double rate = schedule.rate(d.step);
        std::vector<std::string> outputs{emb};
        if (o.useLabels && !d.marginHead()) outputs.push_back(logits);
        outputs.insert(outputs.end(), d.features.begin(), d.features.end());
        auto out = d.net->forward(exec::toTorch(batch.images), outputs);

        torch::Tensor loss = torch::zeros({});
        TrainProgress p;
        if (o.useLabels) {
            if (!labelled.empty()) {
                const torch::Tensor labels = torch::tensor(labelled, torch::kLong);
                const torch::Tensor pick = torch::tensor(rows, torch::kLong);
                const bool all = labelled.size() == batch.labels.size();
                const torch::Tensor mean =
                    d.marginHead()
                        ? identificationLoss(all ? out.at(emb) : out.at(emb).index_select(0, pick), headWeight, {},
                                             labels, o.loss)
                        : torch::cross_entropy_loss(all ? out.at(logits) : out.at(logits).index_select(0, pick),
                                                    labels);
                const torch::Tensor id = mean * share.labelledWeight();
                p.identification = id.item<double>();
                loss = loss + id;
            }
        }
        if (d.distilling()) {
            std::unordered_map<std::string, torch::Tensor> teacherFeatures;
            torch::Tensor target;
            if (d.features.empty()) {
                target = d.teacherEmbedding(batch, teacherBatch);
            } else {
                // Stage outputs cannot be cached by image: one teacher pass gives them and the embedding.
                torch::NoGradGuard noGrad;
                std::vector<std::string> names{d.teacher->embeddingName()};
                names.insert(names.end(), d.features.begin(), d.features.end());
                teacherFeatures = d.teacherNet->forward(d.teacherInput(batch, teacherBatch), names);
                target = teacherFeatures.at(d.teacher->embeddingName());
            }
            if (o.featureWeight > 0.0) {
                const torch::Tensor term = d.featureLoss(out, teacherFeatures);
                p.feature = term.item<double>();
                loss = loss + o.featureWeight * term;
            }
            if (o.distillWeight > 0.0) {
                torch::Tensor student = out.at(emb);
                if (d.projection.defined()) student = torch::linear(student, d.projection);
                const torch::Tensor term = distillationLoss(student, target) * share.rowWeight();
                p.distillation = term.item<double>();
                loss = loss + o.distillWeight * term;
            }
            if (o.relationWeight > 0.0) {
                const torch::Tensor term = d.relationLoss(out.at(emb), target, share);
                p.relation = term.item<double>();
                loss = loss + o.relationWeight * term;
            }
        }
        p.loss = loss.item<double>();
        // Every rank sees the whole batch's loss, so that all of them stop alike when it diverges.
        if (d.group) {
            loss.backward();
            d.sumAcrossRanks(p);
        }
        if (!std::isfinite(p.loss))
            throw TrainingDiverged("training diverged at step " + std::to_string(d.step + 1) + " (loss " +
                        std::to_string(p.loss) + "); try a lower learning rate");
        if (!d.group) loss.backward();
        d.update(rate);
        ++d.step;

        p.step = d.step;
        p.steps = o.steps;
        p.rate = rate;
        p.seconds = seconds();
        losses.push_back(p.loss);
        result.meanIdentification += p.identification;
        result.meanDistillation += p.distillation;
        if (d.progress) d.progress(p);
        if (o.checkpointEvery > 0 && d.step % o.checkpointEvery == 0) d.save();
    }
    d.net->writeBack(d.model);

    result.steps = d.step;
    result.stepsThisRun = static_cast<int>(losses.size());
    if (!losses.empty()) {
        const double n = static_cast<double>(losses.size());
        for (double l : losses) result.meanLoss += l;
        result.meanLoss /= n;
        result.meanIdentification /= n;
        result.meanDistillation /= n;
        const size_t tail = std::max<size_t>(1, losses.size() / 10);
        for (size_t i = losses.size() - tail; i < losses.size(); ++i) result.finalLoss += losses[i];
        result.finalLoss /= static_cast<double>(tail);
    }
    result.seconds = seconds();
    return result;
}

}  // namespace fp::train
