#pragma once
// What the window shows of a model, as plain Qt value types: built from the
// graph in the jobs layer (which sees core), drawn by widgets (which do not).
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QVector>

namespace fp::jobs {

struct LayerInfo {
    QString name;
    QString op;                 // "Conv2d", "BatchNorm", ...
    QStringList inputs;         // producer layer names
    qint64 channels = 0;        // output channels now
    qint64 originalChannels = 0;
    QString shape;              // output shape, e.g. "64x56x56"
    qint64 params = 0;
    qint64 macs = 0;
    bool prunable = false;      // has filters the pruner may remove
    bool locked = false;        // kept whole by the user
    bool hasScore = false;      // last criterion values (min/mean/max) of its filters
    double scoreMin = 0, scoreMean = 0, scoreMax = 0;

    double shareLeft() const { return originalChannels > 0 ? double(channels) / double(originalChannels) : 1.0; }
    // Conv2d / Linear: the layers whose filters the pruner counts (the plots' x axis).
    bool hasFilters() const { return op == QLatin1String("Conv2d") || op == QLatin1String("Linear"); }
};

struct ModelSummary {
    QString name;
    QString source;             // what was opened: zoo name, file or run folder
    QVector<LayerInfo> layers;  // topological order
    QString embedding, logits;
    qint64 params = 0, macs = 0, originalParams = 0, originalMacs = 0;
    qint64 filters = 0, originalFilters = 0;  // Conv2d / Linear outputs outside the head
    int indexOf(const QString& layer) const {
        for (int i = 0; i < layers.size(); ++i)
            if (layers[i].name == layer) return i;
        return -1;
    }
};

}  // namespace fp::jobs

Q_DECLARE_METATYPE(fp::jobs::LayerInfo)
Q_DECLARE_METATYPE(fp::jobs::ModelSummary)
