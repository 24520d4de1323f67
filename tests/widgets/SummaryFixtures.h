#pragma once
// Realistic model summaries for the widget tests, without core: the layer lists of the zoo's ResNet50 and
// of face-api's dlib ResNet as dumped by `faceprune-cli inspect --json`, plus a plausible mid-run state.
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

#include <algorithm>
#include <cmath>

#include "jobs/ModelSummary.h"

namespace fp::testing {

inline jobs::ModelSummary loadSummary(const QString& file) {
    QFile f(QStringLiteral(FP_SOURCE_DIR "/tests/widgets/data/") + file);
    if (!f.open(QIODevice::ReadOnly)) return {};
    const QJsonObject root = QJsonDocument::fromJson(f.readAll()).object();
    jobs::ModelSummary s;
    s.name = root.value("name").toString();
    s.embedding = root.value("embedding").toString();
    s.logits = root.value("logits").toString();
    for (const QJsonValue& v : root.value("layers").toArray()) {
        const QJsonObject o = v.toObject();
        jobs::LayerInfo l;
        l.name = o.value("name").toString();
        l.op = o.value("op").toString();
        for (const QJsonValue& in : o.value("inputs").toArray()) l.inputs.push_back(in.toString());
        l.channels = l.originalChannels = o.value("channels").toInteger();
        l.shape = o.value("shape").toString();
        l.params = o.value("params").toInteger();
        l.macs = o.value("macs").toInteger();
        l.prunable = (l.op == "Conv2d" || l.op == "Linear") && l.name != s.embedding && l.name != s.logits;
        s.params += l.params;
        s.macs += l.macs;
        s.layers.push_back(l);
    }
    s.originalParams = s.params;
    s.originalMacs = s.macs;
    return s;
}

// The state after `iteration` pruning iterations: convs inside a block lose filters (wider ones faster,
// as in the seed study), convs feeding a residual Add stay whole, a few layers are locked, and every
// prunable layer has scores. Names and inputs never change, as in a real run.
inline jobs::ModelSummary pruned(const jobs::ModelSummary& original, int iteration) {
    jobs::ModelSummary s = original;
    QHash<QString, QStringList> consumers;
    for (const auto& l : s.layers)
        for (const auto& in : l.inputs) consumers[in].push_back(l.name);
    const auto feedsAdd = [&](const QString& conv) {
        QStringList todo = consumers.value(conv);
        QSet<QString> seen;
        while (!todo.isEmpty()) {
            const QString n = todo.takeFirst();
            if (seen.contains(n)) continue;
            seen.insert(n);
            const auto& op = s.layers[s.indexOf(n)].op;
            if (op == "Add") return true;
            if (op == "Conv2d" || op == "Linear" || op == "Flatten") continue;
            todo += consumers.value(n);
        }
        return false;
    };
    int prunableSeen = 0;
    for (auto& l : s.layers) {
        if (l.prunable) {
            ++prunableSeen;
            l.locked = l.name == "conv1" || prunableSeen % 11 == 4;
            if (!l.locked && !feedsAdd(l.name)) {
                const double wide = std::log2(double(std::max<qint64>(l.originalChannels, 2))) / 9.0;
                const double jitter = 0.04 * double((qHash(l.name) % 7)) / 6.0;
                const double share = std::clamp(1.0 - iteration * (0.07 * wide + jitter), 0.06, 1.0);
                l.channels = std::max<qint64>(1, qint64(std::lround(double(l.originalChannels) * share)));
            }
            if (iteration > 0) {
                const double base = 1e-3 * double(1 + qHash(l.name) % 13) / (1.0 + iteration);
                l.hasScore = true;
                l.scoreMin = base * 0.1;
                l.scoreMean = base;
                l.scoreMax = base * 4.2;
            }
        } else if (!l.inputs.isEmpty() && l.op != "Linear" && l.op != "Conv2d") {
            // BatchNorm, ReLU, Add, pools: as wide as what they read.
            l.channels = s.layers[s.indexOf(l.inputs.front())].channels;
        }
        l.params = qint64(double(l.params) * l.shareLeft());
        l.macs = qint64(double(l.macs) * l.shareLeft());
    }
    s.params = s.macs = 0;
    for (const auto& l : s.layers) {
        s.params += l.params;
        s.macs += l.macs;
    }
    return s;
}

}  // namespace fp::testing
