// What the window draws of a model: every layer with its widths before and
// after pruning, which layers can be pruned, totals; and a run's figures.
#include <QtTest>

#include "jobs/ModelLoadJob.h"
#include "jobs/SummaryBuilder.h"
#include "models/ModelLoader.h"
#include "prune/ChannelGraph.h"
#include "prune/Surgery.h"

using namespace fp;

class TestSummaryBuilder : public QObject {
    Q_OBJECT
private slots:
    void zooModelHasEveryLayerAndTotals() {
        const auto g = models::loadModel("squeezenet");
        const auto s = jobs::SummaryBuilder::summary(g);
        QCOMPARE(s.layers.size(), qsizetype(g.nodes().size()));
        QCOMPARE(s.params, g.totalCost(false).params);
        QCOMPARE(s.filters, s.originalFilters);
        int prunable = 0;
        for (const auto& l : s.layers) {
            QCOMPARE(l.channels, l.originalChannels);  // nothing pruned yet
            prunable += l.prunable;
        }
        QVERIFY(prunable > 10);
        // The embedding's producer keeps its width: the channel analysis locks it.
        const int emb = s.indexOf(s.embedding);
        QVERIFY(emb >= 0);
    }

    void prunedWidthsPropagateThroughPassThroughLayers() {
        auto g = models::loadModel("mobilenetv2");
        const prune::ChannelGraph cg(g);
        const auto groups = cg.prunableGroups();
        QVERIFY(groups.size() > 20);
        prune::removeGroups(g, cg, {groups.begin(), groups.begin() + 20});
        const auto s = jobs::SummaryBuilder::summary(g, {"conv_1"});
        QVERIFY(s.filters < s.originalFilters);
        QVERIFY(s.originalFilters - s.filters >= 20);
        int narrowedNorms = 0;
        for (const auto& l : s.layers) {
            QVERIFY2(l.channels <= l.originalChannels, qPrintable(l.name));
            if (l.op == "BatchNorm" && l.channels < l.originalChannels) ++narrowedNorms;
            // BatchNorm and activations report their producer's original width, not their current one.
            if (l.op == "BatchNorm" && !l.inputs.isEmpty()) {
                const auto& src = s.layers[s.indexOf(l.inputs[0])];
                QCOMPARE(l.originalChannels, src.originalChannels);
            }
        }
        QVERIFY(narrowedNorms >= 1);
    }

    void loadNowNamesTheFileOnError() {
        QTemporaryDir dir;
        const QString path = dir.filePath("garbage.onnx");
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("this is not a protobuf");
        f.close();
        try {
            jobs::ModelLoadJob::loadNow(path);
            QFAIL("a corrupt file loaded");
        } catch (const std::exception& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains("garbage.onnx"), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestSummaryBuilder)
#include "tst_summary_builder.moc"
