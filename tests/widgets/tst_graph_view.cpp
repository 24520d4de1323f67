// The layer graph: every layer visible, laid out top to bottom, stable while a run updates it,
// clickable, searchable, lockable, exportable. Set FP_GRAPH_VIEW_PNG=path to keep a rendering to look at.
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QRegularExpression>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <cstdio>

#include "SummaryFixtures.h"
#include "widgets/GraphView.h"
#include "widgets/LayerNodeItem.h"

using fp::widgets::GraphView;
using fp::widgets::LayerNodeItem;

namespace {

QPoint viewportPointOf(GraphView& view, const QString& layer) {
    LayerNodeItem* item = view.nodeItem(layer);
    view.centerOn(item);
    return view.mapFromScene(item->scenePos());
}

}  // namespace

class TestGraphView : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        m_resnet = fp::testing::loadSummary("resnet50.json");
        m_dlib = fp::testing::loadSummary("faceapi_dlib.json");
        QCOMPARE(m_resnet.layers.size(), 175);
        QCOMPARE(m_dlib.layers.size(), 115);
    }

    void laysOutEveryLayerTopToBottom_data() {
        QTest::addColumn<QString>("file");
        QTest::newRow("resnet50") << "resnet50.json";
        QTest::newRow("faceapi-dlib") << "faceapi_dlib.json";
    }
    void laysOutEveryLayerTopToBottom() {
        QFETCH(QString, file);
        const auto summary = fp::testing::pruned(fp::testing::loadSummary(file), 2);
        GraphView view;
        view.resize(1000, 800);
        QElapsedTimer timer;
        timer.start();
        view.setSummary(summary);
        const qint64 total = timer.elapsed();
        std::printf("%s: %lld layers, Graphviz dot layout %.1f ms, setSummary total %lld ms\n", qPrintable(file),
                    static_cast<long long>(summary.layers.size()), view.lastLayoutMilliseconds(),
                    static_cast<long long>(total));
        QVERIFY2(view.layoutError().isEmpty(), qPrintable(view.layoutError()));

        QSet<QPair<int, int>> positions;
        QVector<QRectF> boxes;
        for (const auto& l : summary.layers) {
            LayerNodeItem* item = view.nodeItem(l.name);
            QVERIFY2(item, qPrintable(l.name));
            QCOMPARE(item->widthText(), QStringLiteral("%1 / %2").arg(l.channels).arg(l.originalChannels));
            positions.insert({qRound(item->scenePos().x()), qRound(item->scenePos().y())});
            boxes.push_back(item->sceneBoundingRect().adjusted(2, 2, -2, -2));  // outlines may touch
        }
        QCOMPARE(positions.size(), summary.layers.size());
        for (int i = 0; i < boxes.size(); ++i)
            for (int j = i + 1; j < boxes.size(); ++j)
                QVERIFY2(!boxes[i].intersects(boxes[j]),
                         qPrintable(summary.layers[i].name + " overlaps " + summary.layers[j].name));
        // Data flows downwards: every consumer sits below each of its producers.
        for (const auto& l : summary.layers)
            for (const auto& in : l.inputs)
                QVERIFY2(view.nodeItem(l.name)->scenePos().y() > view.nodeItem(in)->scenePos().y(),
                         qPrintable(in + " -> " + l.name));
        QVERIFY(view.sceneRect().contains(view.scene()->itemsBoundingRect()));
    }

    // Not a test of speed (no threshold): the figures for the record. The first layout also loads
    // Graphviz's plugins.
    void printsLayoutTimes() {
        for (const char* file : {"resnet50.json", "faceapi_dlib.json"}) {
            const auto summary = fp::testing::pruned(fp::testing::loadSummary(file), 2);
            QStringList times;
            for (int run = 0; run < 5; ++run) {
                GraphView view;
                view.setSummary(summary);
                times << QString::number(view.lastLayoutMilliseconds(), 'f', 1);
            }
            std::printf("%s (%lld layers): dot layout ms per run: %s\n", file,
                        static_cast<long long>(summary.layers.size()), qPrintable(times.join(", ")));

            // A frame: everything visible (fit, worst case), then scrolling at 100% as a drag would.
            GraphView view;
            view.resize(1200, 900);
            view.setSummary(summary);
            view.show();
            QVERIFY(QTest::qWaitForWindowExposed(&view));
            view.fitAll();
            QElapsedTimer timer;
            timer.start();
            for (int i = 0; i < 10; ++i) view.viewport()->repaint();
            const double fitFrame = double(timer.nsecsElapsed()) / 1e7;
            view.resetZoom();
            view.verticalScrollBar()->setValue(0);
            timer.restart();
            for (int i = 0; i < 40; ++i) {
                view.verticalScrollBar()->setValue(view.verticalScrollBar()->value() + 25);
                view.viewport()->repaint();
            }
            const double scrollFrame = double(timer.nsecsElapsed()) / 4e7;
            std::printf("%s: full repaint at fit %.1f ms, scroll step at 100%% %.1f ms\n", file, fitFrame,
                        scrollFrame);
        }
    }

    void clickSelectsAndReports() {
        GraphView view;
        view.resize(900, 700);
        view.setSummary(fp::testing::pruned(m_resnet, 1));
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QSignalSpy selected(&view, &GraphView::layerSelected);

        const QPoint p = viewportPointOf(view, "layer2.1.conv2");
        QTest::mouseClick(view.viewport(), Qt::LeftButton, {}, p);
        QCOMPARE(selected.count(), 1);
        QCOMPARE(selected.at(0).at(0).toString(), QStringLiteral("layer2.1.conv2"));
        QCOMPARE(view.selectedLayer(), QStringLiteral("layer2.1.conv2"));

        // Selection coming from the table: shown, not echoed back.
        view.selectLayer("layer4.2.conv3");
        QCOMPARE(view.selectedLayer(), QStringLiteral("layer4.2.conv3"));
        QCOMPARE(selected.count(), 1);
        const QRectF visible = view.mapToScene(view.viewport()->rect()).boundingRect();
        QVERIFY(visible.contains(view.nodeItem("layer4.2.conv3")->scenePos()));
    }

    void findsLayersByName() {
        GraphView view;
        view.resize(900, 700);
        view.setSummary(fp::testing::pruned(m_resnet, 1));
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QSignalSpy selected(&view, &GraphView::layerSelected);

        QVERIFY(view.findLayer("LAYER3.4.Conv2"));
        QCOMPARE(view.selectedLayer(), QStringLiteral("layer3.4.conv2"));
        QCOMPARE(selected.count(), 1);
        const QRectF visible = view.mapToScene(view.viewport()->rect()).boundingRect();
        QVERIFY(visible.contains(view.nodeItem("layer3.4.conv2")->sceneBoundingRect()));
        QVERIFY(view.zoom() >= 0.6);  // readable where it lands

        // First match in model order, then the next ones.
        QVERIFY(view.findLayer("downsample"));
        QCOMPARE(view.selectedLayer(), QStringLiteral("layer1.0.downsample.0"));
        QVERIFY(view.findNextLayer("downsample"));
        QCOMPARE(view.selectedLayer(), QStringLiteral("layer1.0.downsample.1"));

        QVERIFY(!view.findLayer("no such layer"));
        QCOMPARE(view.selectedLayer(), QStringLiteral("layer1.0.downsample.1"));
        QVERIFY(!view.findLayer("   "));
    }

    void updateWithSameLayersMovesNothing() {
        GraphView view;
        view.resize(900, 700);
        view.setSummary(fp::testing::pruned(m_resnet, 0));
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.selectLayer("layer2.0.conv1");
        const QTransform zoom = view.transform();
        const int scroll = view.verticalScrollBar()->value();
        QHash<QString, QPair<LayerNodeItem*, QPointF>> before;
        for (const auto& l : m_resnet.layers)
            before.insert(l.name, {view.nodeItem(l.name), view.nodeItem(l.name)->pos()});
        const QRectF sceneRect = view.sceneRect();

        for (int it = 1; it <= 5; ++it) {
            const auto next = fp::testing::pruned(m_resnet, it);
            QElapsedTimer timer;
            timer.start();
            view.setSummary(next);
            if (it == 1)
                std::printf("in-place update of %lld layers: %.2f ms\n", static_cast<long long>(next.layers.size()),
                            double(timer.nsecsElapsed()) / 1e6);
            for (const auto& l : next.layers) {
                LayerNodeItem* item = view.nodeItem(l.name);
                QCOMPARE(item, before[l.name].first);
                QCOMPARE(item->pos(), before[l.name].second);
                QCOMPARE(item->widthText(), QStringLiteral("%1 / %2").arg(l.channels).arg(l.originalChannels));
                QVERIFY(item->toolTip().contains(item->widthText()));
            }
        }
        QCOMPARE(view.sceneRect(), sceneRect);
        QCOMPARE(view.transform(), zoom);
        QCOMPARE(view.verticalScrollBar()->value(), scroll);
        QCOMPARE(view.selectedLayer(), QStringLiteral("layer2.0.conv1"));
        QVERIFY(view.nodeItem("layer2.0.conv1")->widthText() != QStringLiteral("128 / 128"));

        // A different model is laid out afresh.
        view.setSummary(m_dlib);
        QVERIFY(!view.nodeItem("layer2.0.conv1"));
        QVERIFY(view.nodeItem("conv32_down"));
    }

    void locksFromDoubleClickAndSlot() {
        GraphView view;
        view.resize(900, 700);
        auto summary = fp::testing::pruned(m_resnet, 1);
        view.setSummary(summary);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QSignalSpy requested(&view, &GraphView::lockRequested);

        QVERIFY(summary.layers[summary.indexOf("layer1.1.conv1")].prunable);
        QVERIFY(!summary.layers[summary.indexOf("layer1.1.conv1")].locked);
        QTest::mouseDClick(view.viewport(), Qt::LeftButton, {}, viewportPointOf(view, "layer1.1.conv1"));
        QCOMPARE(requested.count(), 1);
        QCOMPARE(requested.at(0).at(0).toString(), QStringLiteral("layer1.1.conv1"));
        QCOMPARE(requested.at(0).at(1).toBool(), true);

        // BatchNorm has no filters of its own: nothing to lock.
        QTest::mouseDClick(view.viewport(), Qt::LeftButton, {}, viewportPointOf(view, "layer1.1.bn1"));
        QCOMPARE(requested.count(), 1);

        view.setLocked("layer1.1.conv1", true);
        QVERIFY(view.nodeItem("layer1.1.conv1")->layer().locked);
        QVERIFY(view.nodeItem("layer1.1.conv1")->toolTip().contains("locked"));
        QTest::mouseDClick(view.viewport(), Qt::LeftButton, {}, viewportPointOf(view, "layer1.1.conv1"));
        QCOMPARE(requested.count(), 2);
        QCOMPARE(requested.at(1).at(1).toBool(), false);
    }

    void zoomsAndFits() {
        GraphView view;
        view.resize(900, 700);
        view.setSummary(fp::testing::pruned(m_dlib, 1));
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.setFocus();
        const double z0 = view.zoom();
        QTest::keyClick(&view, Qt::Key_Plus);
        QVERIFY(view.zoom() > z0);
        QTest::keyClick(&view, Qt::Key_Minus);
        QTest::keyClick(&view, Qt::Key_Minus);
        QVERIFY(view.zoom() < z0);
        QTest::keyClick(&view, Qt::Key_0);
        QCOMPARE(view.zoom(), 1.0);

        const QPoint centre = view.viewport()->rect().center();
        QWheelEvent wheel(centre, view.viewport()->mapToGlobal(centre), {}, {0, 120}, Qt::NoButton,
                          Qt::ControlModifier, Qt::NoScrollPhase, false);
        QCoreApplication::sendEvent(view.viewport(), &wheel);
        QVERIFY(view.zoom() > 1.0);

        QTest::keyClick(&view, Qt::Key_F);
        const QRectF visible = view.mapToScene(view.viewport()->rect()).boundingRect();
        QVERIFY(visible.adjusted(-1, -1, 1, 1).contains(view.scene()->itemsBoundingRect()));
    }

    void opensAtTheTopAndPansByDragging() {
        GraphView view;
        view.resize(900, 700);
        view.setSummary(fp::testing::pruned(m_resnet, 1));  // laid out while hidden, as a window might
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        // ResNet50 is a tower: it opens readable (width fitted, at most 100%) with the input in sight.
        QVERIFY(view.zoom() >= 0.5 && view.zoom() <= 1.0);
        const QRectF visible = view.mapToScene(view.viewport()->rect()).boundingRect();
        QVERIFY(visible.contains(view.nodeItem("input")->sceneBoundingRect()));

        // Drag on the background (left of the tower) upwards: the view scrolls down the graph.
        QPoint p(6, view.viewport()->height() - 20);
        QVERIFY(!view.itemAt(p));
        const int before = view.verticalScrollBar()->value();
        QTest::mousePress(view.viewport(), Qt::LeftButton, {}, p);
        for (int i = 0; i < 10; ++i) {
            p.ry() -= 40;
            QMouseEvent move(QEvent::MouseMove, QPointF(p), view.viewport()->mapToGlobal(QPointF(p)), Qt::NoButton,
                             Qt::LeftButton, Qt::NoModifier);
            QCoreApplication::sendEvent(view.viewport(), &move);
        }
        QTest::mouseRelease(view.viewport(), Qt::LeftButton, {}, p);
        QCOMPARE(view.verticalScrollBar()->value(), before + 400);
    }

    void exportsPngAndSvg() {
        GraphView view;
        view.resize(900, 700);
        view.setSummary(fp::testing::pruned(m_resnet, 3));
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString png = dir.filePath("graph.png"), svg = dir.filePath("graph.svg");

        QVERIFY(view.exportPng(png));
        const QImage image(png);
        QVERIFY(!image.isNull());
        const QRectF scene = view.scene()->itemsBoundingRect();
        QVERIFY(image.width() >= 1.9 * scene.width());  // the whole graph at 2x
        QVERIFY(image.height() >= 1.9 * scene.height());

        QVERIFY(view.exportSvg(svg));
        QFile f(svg);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray text = f.readAll();
        QVERIFY(text.contains("<svg"));
        QVERIFY(text.contains("layer4.2.conv3"));  // labels stay text, not pixels
        QVERIFY(text.contains("resnet50"));

        QVERIFY(!view.exportPng(dir.filePath("missing/dir/graph.png")));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression("QSvgPaintEngine::begin.*could not open"));
        QTest::ignoreMessage(QtWarningMsg, "QPainter::begin(): Returned false");
        QVERIFY(!view.exportSvg(dir.filePath("missing/dir/graph.svg")));
        GraphView empty;
        QVERIFY(!empty.exportPng(dir.filePath("empty.png")));
    }

    void keepsARenderingToLookAt() {
        const QByteArray target = qgetenv("FP_GRAPH_VIEW_PNG");
        if (target.isEmpty()) QSKIP("set FP_GRAPH_VIEW_PNG to keep a rendering");
        GraphView view;
        view.resize(1200, 900);
        view.setSummary(fp::testing::pruned(m_resnet, 12));
        QVERIFY(view.exportPng(QString::fromLocal8Bit(target)));
        GraphView dlib;
        dlib.resize(1200, 900);
        dlib.setSummary(fp::testing::pruned(m_dlib, 8));
        QVERIFY(dlib.exportPng(QString::fromLocal8Bit(target).replace(".png", "_dlib.png")));
        QVERIFY(dlib.exportSvg(QString::fromLocal8Bit(target).replace(".png", "_dlib.svg")));
        // What a user sees on opening the model, then after F.
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.findLayer("layer1.0.conv2");
        view.grab().save(QString::fromLocal8Bit(target).replace(".png", "_viewport.png"));
        view.fitAll();
        view.grab().save(QString::fromLocal8Bit(target).replace(".png", "_fit.png"));
    }

private:
    fp::jobs::ModelSummary m_resnet, m_dlib;
};

QTEST_MAIN(TestGraphView)
#include "tst_graph_view.moc"
