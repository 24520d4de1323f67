// The layer table the user sorts, selects and locks layers in while a run updates it every iteration.
#include <QAbstractItemModelTester>
#include <QItemSelectionModel>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTest>

#include "SummaryFixtures.h"
#include "widgets/LayerTableModel.h"
#include "widgets/SharePalette.h"

using fp::widgets::LayerTableModel;

namespace {

fp::jobs::LayerInfo layer(const QString& name, const QString& op, qint64 channels, qint64 original, bool prunable,
                          QStringList inputs = {}) {
    fp::jobs::LayerInfo l;
    l.name = name;
    l.op = op;
    l.channels = channels;
    l.originalChannels = original;
    l.prunable = prunable;
    l.inputs = inputs;
    l.params = channels * 1000;
    l.macs = channels * 2'000'000;
    return l;
}

// input -> conv1 (48/64, scored) -> bn1 -> conv2 (10/128) -> fc (not prunable)
fp::jobs::ModelSummary small() {
    fp::jobs::ModelSummary s;
    s.name = "small";
    s.layers = {layer("input", "Input", 3, 3, false), layer("conv1", "Conv2d", 48, 64, true, {"input"}),
                layer("bn1", "BatchNorm", 48, 64, false, {"conv1"}),
                layer("conv2", "Conv2d", 10, 128, true, {"bn1"}),
                layer("fc", "Linear", 512, 512, false, {"conv2"})};
    s.layers[1].hasScore = true;
    s.layers[1].scoreMin = 0.00012;
    s.layers[1].scoreMean = 0.5;
    s.layers[1].scoreMax = 2.25;
    s.layers[3].params = 9400;         // "9.4 k" must sort below "2.36 M" although "9" > "2" as text
    s.layers[4].params = 2'360'000;
    return s;
}

QString text(const QAbstractItemModel& m, int row, int column) { return m.index(row, column).data().toString(); }

}  // namespace

class TestLayerTableModel : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        m_resnet = fp::testing::loadSummary("resnet50.json");
        m_dlib = fp::testing::loadSummary("faceapi_dlib.json");
        QCOMPARE(m_resnet.layers.size(), 175);
        QCOMPARE(m_dlib.layers.size(), 115);
    }

    void passesModelTesterThroughRunAndProxy() {
        LayerTableModel model;
        QAbstractItemModelTester sourceTester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
        QSortFilterProxyModel proxy;
        proxy.setSortRole(LayerTableModel::SortRole);
        proxy.setSourceModel(&model);
        QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::Fatal);

        model.setSummary(fp::testing::pruned(m_resnet, 0));
        proxy.sort(LayerTableModel::Channels, Qt::AscendingOrder);
        for (int it = 1; it <= 4; ++it) model.setSummary(fp::testing::pruned(m_resnet, it));
        proxy.sort(LayerTableModel::Score, Qt::DescendingOrder);
        model.setLocked("layer2.0.conv2", !model.summary().layers[model.rowOf("layer2.0.conv2")].locked);
        proxy.setData(proxy.index(0, LayerTableModel::Locked), Qt::Checked, Qt::CheckStateRole);
        model.setSummary(fp::testing::pruned(m_dlib, 2));  // another model: a reset
        proxy.sort(LayerTableModel::Macs, Qt::DescendingOrder);
        model.setSummary({});
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(proxy.rowCount(), 0);
    }

    void updateWithSameLayersKeepsRowsAndSelection() {
        LayerTableModel model;
        model.setSummary(fp::testing::pruned(m_resnet, 0));
        QItemSelectionModel selection(&model);
        const int row = model.rowOf("layer3.1.conv2");
        QVERIFY(row > 0);
        selection.select(model.index(row, 0), QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);

        QSignalSpy aboutToReset(&model, &QAbstractItemModel::modelAboutToBeReset);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QSignalSpy layout(&model, &QAbstractItemModel::layoutChanged);
        model.setSummary(fp::testing::pruned(m_resnet, 3));
        QCOMPARE(aboutToReset.count(), 0);
        QCOMPARE(reset.count(), 0);
        QCOMPARE(layout.count(), 0);
        QVERIFY(changed.count() >= 1);
        QCOMPARE(model.rowCount(), 175);
        // The channels column moved on, the selected row is still the same layer.
        const int r = model.rowOf("layer3.1.conv2");
        QCOMPARE(r, row);
        QVERIFY(text(model, r, LayerTableModel::Channels) != QStringLiteral("256 / 256"));
        QCOMPARE(selection.selectedRows().size(), 1);
        QCOMPARE(model.layerAt(selection.selectedRows().front().row()), QStringLiteral("layer3.1.conv2"));

        // Another model does reset.
        model.setSummary(m_dlib);
        QCOMPARE(reset.count(), 1);
        QCOMPARE(model.rowCount(), 115);
    }

    void showsWhatTheUserReads() {
        LayerTableModel model;
        model.setSummary(small());
        QCOMPARE(model.columnCount(), int(LayerTableModel::ColumnCount));
        QCOMPARE(model.headerData(LayerTableModel::Channels, Qt::Horizontal).toString(),
                 QStringLiteral("Channels"));
        QCOMPARE(text(model, 1, LayerTableModel::Name), QStringLiteral("conv1"));
        QCOMPARE(text(model, 1, LayerTableModel::Op), QStringLiteral("Conv2d"));
        QCOMPARE(text(model, 1, LayerTableModel::Channels), QStringLiteral("48 / 64"));
        QCOMPARE(text(model, 3, LayerTableModel::Params), QStringLiteral("9.4 k"));
        QCOMPARE(text(model, 4, LayerTableModel::Params), QStringLiteral("2.36 M"));
        QCOMPARE(text(model, 1, LayerTableModel::Score), QStringLiteral("0.00012 / 0.5 / 2.25"));
        QVERIFY(text(model, 3, LayerTableModel::Score).isEmpty());  // no criterion values yet
        // The channels cell wears the graph's colour for its share left.
        QCOMPARE(model.index(1, LayerTableModel::Channels).data(Qt::BackgroundRole).value<QColor>(),
                 fp::widgets::shareColor(0.75));
        QCOMPARE(model.index(3, LayerTableModel::Channels).data(Qt::BackgroundRole).value<QColor>(),
                 fp::widgets::shareColor(10.0 / 128.0));
        QCOMPARE(model.index(2, LayerTableModel::Channels).data(Qt::BackgroundRole).value<QColor>(),
                 fp::widgets::passiveShareColor(0.75));  // BatchNorm: no filters of its own
        QCOMPARE(model.rowOf("conv2"), 3);
        QCOMPARE(model.rowOf("nope"), -1);
        QCOMPARE(model.layerAt(4), QStringLiteral("fc"));
        QVERIFY(model.layerAt(5).isEmpty());
        QVERIFY(model.layerAt(-1).isEmpty());
    }

    void sortsByNumbersThroughProxy() {
        LayerTableModel model;
        model.setSummary(small());
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(&model);
        proxy.setSortRole(LayerTableModel::SortRole);

        proxy.sort(LayerTableModel::Channels, Qt::AscendingOrder);  // by share left: 10/128 first
        QCOMPARE(text(proxy, 0, LayerTableModel::Name), QStringLiteral("conv2"));
        for (int r = 1; r < proxy.rowCount(); ++r)
            QVERIFY(proxy.index(r - 1, LayerTableModel::Channels).data(LayerTableModel::SortRole).toDouble()
                    <= proxy.index(r, LayerTableModel::Channels).data(LayerTableModel::SortRole).toDouble());

        proxy.sort(LayerTableModel::Params, Qt::DescendingOrder);
        QCOMPARE(text(proxy, 0, LayerTableModel::Name), QStringLiteral("fc"));  // 2.36 M above 9.4 k

        proxy.sort(LayerTableModel::Score, Qt::DescendingOrder);
        QCOMPARE(text(proxy, 0, LayerTableModel::Name), QStringLiteral("conv1"));  // the only scored layer

        // The proxy follows an iteration's new numbers (dynamic sort), rows keep their layers.
        proxy.sort(LayerTableModel::Channels, Qt::AscendingOrder);
        auto next = small();
        next.layers[1].channels = 4;  // conv1 now 4/64, below conv2's 10/128
        model.setSummary(next);
        QCOMPARE(text(proxy, 0, LayerTableModel::Name), QStringLiteral("conv1"));
    }

    void lockBoxOnlyOnPrunableLayers() {
        LayerTableModel model;
        model.setSummary(small());
        QSignalSpy toggled(&model, &LayerTableModel::lockToggled);
        const QModelIndex conv1 = model.index(1, LayerTableModel::Locked);
        const QModelIndex bn1 = model.index(2, LayerTableModel::Locked);
        const QModelIndex fc = model.index(4, LayerTableModel::Locked);

        QVERIFY(model.flags(conv1) & Qt::ItemIsUserCheckable);
        QVERIFY(!(model.flags(bn1) & Qt::ItemIsUserCheckable));
        QVERIFY(!(model.flags(fc) & Qt::ItemIsUserCheckable));
        QVERIFY(!(model.flags(model.index(1, LayerTableModel::Name)) & Qt::ItemIsUserCheckable));
        QCOMPARE(conv1.data(Qt::CheckStateRole).toInt(), int(Qt::Unchecked));
        QVERIFY(!bn1.data(Qt::CheckStateRole).isValid());  // no box drawn at all

        QVERIFY(model.setData(conv1, Qt::Checked, Qt::CheckStateRole));
        QCOMPARE(toggled.count(), 1);
        QCOMPARE(toggled.at(0).at(0).toString(), QStringLiteral("conv1"));
        QCOMPARE(toggled.at(0).at(1).toBool(), true);
        QCOMPARE(conv1.data(Qt::CheckStateRole).toInt(), int(Qt::Checked));
        QVERIFY(model.summary().layers[1].locked);

        QVERIFY(model.setData(conv1, Qt::Unchecked, Qt::CheckStateRole));
        QCOMPARE(toggled.count(), 2);
        QCOMPARE(toggled.at(1).at(1).toBool(), false);

        QVERIFY(!model.setData(bn1, Qt::Checked, Qt::CheckStateRole));
        QVERIFY(!model.setData(fc, Qt::Checked, Qt::CheckStateRole));
        QCOMPARE(toggled.count(), 2);
    }

    void setLockedFromElsewhereDoesNotEcho() {
        LayerTableModel model;
        model.setSummary(small());
        QSignalSpy toggled(&model, &LayerTableModel::lockToggled);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.setLocked("conv2", true);
        QCOMPARE(model.index(3, LayerTableModel::Locked).data(Qt::CheckStateRole).toInt(), int(Qt::Checked));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(toggled.count(), 0);
        model.setLocked("bn1", true);  // not prunable: ignored
        model.setLocked("nope", true);
        QCOMPARE(changed.count(), 1);
        QVERIFY(!model.summary().layers[2].locked);
    }

private:
    fp::jobs::ModelSummary m_resnet, m_dlib;
};

QTEST_MAIN(TestLayerTableModel)
#include "tst_layer_table_model.moc"
