#pragma once
// The layer table: one row per layer of the model being pruned. Numbers change every iteration
// while the layer list stays the same, so updates keep rows (and the user's selection) in place.
#include <QAbstractTableModel>
#include <QMap>
#include <QString>
#include <QVector>

#include "jobs/ModelSummary.h"

namespace fp::widgets {

class LayerTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Name, Op, Channels, Params, Macs, Score, Sensitivity, Locked, ColumnCount };
    // Numeric value of a cell for sorting (QSortFilterProxyModel::setSortRole):
    // channels -> share left, params/MACs -> count, score -> mean, locked -> 0/1.
    static constexpr int SortRole = Qt::UserRole;

    explicit LayerTableModel(QObject* parent = nullptr);

    void setSummary(const jobs::ModelSummary& summary);
    const jobs::ModelSummary& summary() const { return m_summary; }

    // Accuracy lost (0..1) when the layer's block alone loses `share` of its filters (SensitivityJob).
    void setSensitivity(const QMap<QString, double>& accuracyLoss, double share);
    int rowOf(const QString& layer) const;  // -1 when absent
    QString layerAt(int row) const;         // empty when out of range

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;

public slots:
    // Applies a lock decided elsewhere (the graph, a session); does not emit lockToggled.
    void setLocked(const QString& layer, bool locked);

signals:
    // The user ticked or cleared a lock box (prunable layers only).
    void lockToggled(const QString& layer, bool locked);

private:
    bool isRow(const QModelIndex& index) const;
    QVariant displayData(const jobs::LayerInfo& layer, int column) const;
    QVariant sortData(const jobs::LayerInfo& layer, int column) const;
    QString toolTip(const jobs::LayerInfo& layer, int column) const;

    jobs::ModelSummary m_summary;
    QMap<QString, double> m_sensitivity;
    double m_sensitivityShare = 0;
};

}  // namespace fp::widgets
