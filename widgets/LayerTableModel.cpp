#include "widgets/LayerTableModel.h"

#include <QColor>
#include <QLocale>

#include <limits>

#include "widgets/SharePalette.h"

namespace fp::widgets {

namespace {

// "23.5 M" reads faster than "23,528,000" in a column of a hundred layers; the exact value is in the tooltip.
QString compact(qint64 value) {
    const double v = double(value);
    if (value < 1000) return QString::number(value);
    if (value < 1000000) return QStringLiteral("%1 k").arg(v / 1e3, 0, 'f', v < 1e4 ? 1 : 0);
    if (value < 1000000000) return QStringLiteral("%1 M").arg(v / 1e6, 0, 'f', v < 1e7 ? 2 : 1);
    return QStringLiteral("%1 G").arg(v / 1e9, 0, 'f', 2);
}

QString scoreText(double v) { return QString::number(v, 'g', 3); }

bool sameLayers(const jobs::ModelSummary& a, const jobs::ModelSummary& b) {
    if (a.layers.size() != b.layers.size()) return false;
    for (int i = 0; i < a.layers.size(); ++i)
        if (a.layers[i].name != b.layers[i].name) return false;
    return true;
}

}  // namespace

LayerTableModel::LayerTableModel(QObject* parent) : QAbstractTableModel(parent) {}

bool LayerTableModel::isRow(const QModelIndex& index) const {
    // Views legitimately ask about invalid indexes; checkIndex() would warn about each.
    return index.isValid() && index.model() == this && !index.parent().isValid() && index.row() < rowCount()
           && index.column() < ColumnCount;
}

void LayerTableModel::setSummary(const jobs::ModelSummary& summary) {
    if (!m_summary.layers.isEmpty() && sameLayers(m_summary, summary)) {
        // An iteration finished: same rows, new numbers. A reset would drop the selection and scroll.
        m_summary = summary;
        emit dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
        return;
    }
    beginResetModel();
    m_summary = summary;
    endResetModel();
}

int LayerTableModel::rowOf(const QString& layer) const { return m_summary.indexOf(layer); }

QString LayerTableModel::layerAt(int row) const {
    return row >= 0 && row < m_summary.layers.size() ? m_summary.layers[row].name : QString();
}

int LayerTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_summary.layers.size());
}

void LayerTableModel::setSensitivity(const QMap<QString, double>& accuracyLoss, double share) {
    m_sensitivity = accuracyLoss;
    m_sensitivityShare = share;
    if (rowCount() > 0) emit dataChanged(index(0, Sensitivity), index(rowCount() - 1, Sensitivity));
}

int LayerTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant LayerTableModel::data(const QModelIndex& index, int role) const {
    if (!isRow(index)) return {};
    const jobs::LayerInfo& layer = m_summary.layers[index.row()];
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        return displayData(layer, column);
    case SortRole:
        return sortData(layer, column);
    case Qt::ToolTipRole:
        return toolTip(layer, column);
    case Qt::CheckStateRole:
        if (column == Locked && layer.prunable) return layer.locked ? Qt::Checked : Qt::Unchecked;
        return {};
    case Qt::BackgroundRole:
        // As in the graph: strong for layers with filters of their own, washed out for the rest.
        if (column == Channels && layer.originalChannels > 0)
            return layer.prunable ? shareColor(layer.shareLeft()) : passiveShareColor(layer.shareLeft());
        return {};
    case Qt::ForegroundRole:
        // The ramp is light; keep the text dark even under a dark theme.
        if (column == Channels && layer.originalChannels > 0) return QColor(Qt::black);
        return {};
    case Qt::TextAlignmentRole:
        if (column == Name || column == Op) return QVariant::fromValue(Qt::AlignLeft | Qt::AlignVCenter);
        if (column == Locked) return QVariant::fromValue(Qt::AlignCenter);
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    default:
        return {};
    }
}

QVariant LayerTableModel::displayData(const jobs::LayerInfo& layer, int column) const {
    switch (column) {
    case Name: return layer.name;
    case Op: return layer.op;
    case Channels: return QStringLiteral("%1 / %2").arg(layer.channels).arg(layer.originalChannels);
    case Params: return compact(layer.params);
    case Macs: return compact(layer.macs);
    case Score:
        if (!layer.hasScore) return QString();
        return QStringLiteral("%1 / %2 / %3")
            .arg(scoreText(layer.scoreMin), scoreText(layer.scoreMean), scoreText(layer.scoreMax));
    case Sensitivity:
        if (!m_sensitivity.contains(layer.name)) return QString();
        return tr("%1 pts").arg(-100.0 * m_sensitivity.value(layer.name), 0, 'f', 2);
    default: return {};
    }
}

QVariant LayerTableModel::sortData(const jobs::LayerInfo& layer, int column) const {
    switch (column) {
    case Name: return layer.name;
    case Op: return layer.op;
    case Channels: return layer.shareLeft();
    case Params: return layer.params;
    case Macs: return layer.macs;
    // Layers without scores sort before every scored one.
    case Score: return layer.hasScore ? layer.scoreMean : std::numeric_limits<double>::lowest();
    case Sensitivity: return m_sensitivity.value(layer.name, std::numeric_limits<double>::lowest());
    case Locked: return layer.prunable ? (layer.locked ? 1 : 0) : -1;
    default: return {};
    }
}

QString LayerTableModel::toolTip(const jobs::LayerInfo& layer, int column) const {
    const QLocale locale;
    switch (column) {
    case Name: return layer.shape.isEmpty() ? layer.name : QStringLiteral("%1: %2").arg(layer.name, layer.shape);
    case Channels:
        return tr("%1 of %2 filters left (%3%)")
            .arg(layer.channels)
            .arg(layer.originalChannels)
            .arg(layer.shareLeft() * 100.0, 0, 'f', 1);
    case Params: return tr("%1 parameters").arg(locale.toString(layer.params));
    case Macs: return tr("%1 multiply-accumulates").arg(locale.toString(layer.macs));
    case Score:
        return layer.hasScore ? tr("Last criterion values of its filters: min %1, mean %2, max %3")
                                    .arg(layer.scoreMin)
                                    .arg(layer.scoreMean)
                                    .arg(layer.scoreMax)
                              : tr("No scores yet");
    case Sensitivity:
        return m_sensitivity.contains(layer.name)
                   ? tr("Verification accuracy changes by %1 points when this layer's block alone loses %2% of its filters")
                         .arg(-100.0 * m_sensitivity.value(layer.name), 0, 'f', 2)
                         .arg(100.0 * m_sensitivityShare, 0, 'f', 0)
                   : tr("Not measured: Run > Measure Layer Sensitivity");
    case Locked:
        return layer.prunable ? tr("Locked layers keep all their filters")
                              : tr("This layer has no filters of its own to prune");
    default: return {};
    }
}

QVariant LayerTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount) return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case Name: return tr("Layer");
        case Op: return tr("Op");
        case Channels: return tr("Channels");
        case Params: return tr("Params");
        case Macs: return tr("MACs");
        case Score: return tr("Score min / mean / max");
        case Sensitivity: return tr("Sensitivity");
        case Locked: return tr("Locked");
        default: return {};
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case Channels: return tr("Output channels now / originally; sorts by the share left");
        case Score: return tr("The last pruning criterion values of the layer's filters");
        case Sensitivity: return tr("Accuracy change when the layer alone loses the largest measured share of its filters");
        case Locked: return tr("Locked layers are never pruned");
        default: return {};
        }
    }
    return {};
}

Qt::ItemFlags LayerTableModel::flags(const QModelIndex& index) const {
    if (!isRow(index)) return Qt::NoItemFlags;
    Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemNeverHasChildren;
    if (index.column() == Locked && m_summary.layers[index.row()].prunable) f |= Qt::ItemIsUserCheckable;
    return f;
}

bool LayerTableModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (role != Qt::CheckStateRole || index.column() != Locked) return false;
    if (!isRow(index)) return false;
    jobs::LayerInfo& layer = m_summary.layers[index.row()];
    if (!layer.prunable) return false;
    const bool locked = value.toInt() == Qt::Checked;
    if (layer.locked == locked) return true;
    layer.locked = locked;
    emit dataChanged(index, index, {Qt::CheckStateRole, SortRole});
    emit lockToggled(layer.name, locked);
    return true;
}

void LayerTableModel::setLocked(const QString& layer, bool locked) {
    const int row = rowOf(layer);
    if (row < 0) return;
    jobs::LayerInfo& info = m_summary.layers[row];
    if (!info.prunable || info.locked == locked) return;
    info.locked = locked;
    const QModelIndex i = index(row, Locked);
    emit dataChanged(i, i, {Qt::CheckStateRole, SortRole});
}

}  // namespace fp::widgets
