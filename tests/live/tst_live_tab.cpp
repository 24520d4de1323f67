// The live tab offscreen, fed with values as LiveJob sends them: names and boxes on both panes, the
// pruned side marking faces it decides differently, a click on a face asking for a name and requesting
// enrolment at the right frame pixel, the snapshot, the "video ended" banner, the gallery list, the
// threshold default, and the wiring to a real LiveJob.
#include <QtTest>

#include <QDoubleSpinBox>
#include <QListWidget>
#include <QMenu>
#include <QPushButton>
#include <QToolButton>

#include "jobs/LiveJob.h"
#include "widgets/LabelPlacement.h"
#include "widgets/LiveFramePane.h"
#include "widgets/LiveTab.h"

using namespace fp::jobs;
using namespace fp::widgets;

namespace {

LiveFrame sampleFrame() {
    LiveFrame f;
    f.index = 42;
    f.image = QImage(640, 480, QImage::Format_RGB888);
    f.image.fill(QColor(70, 80, 90));
    LiveFace agree;
    agree.box = QRectF(100, 120, 90, 110);
    agree.name = {QStringLiteral("Ada"), QStringLiteral("Ada")};
    agree.similarity = {0.71, 0.69};
    agree.accepted = {true, true};
    agree.crossSimilarity = 0.98;
    LiveFace differ;
    differ.box = QRectF(420, 150, 80, 100);
    differ.name = {QStringLiteral("Bob"), QStringLiteral("Bob")};
    differ.similarity = {0.52, 0.30};
    differ.accepted = {true, false};
    f.faces = {agree, differ};
    f.stats.fps = 9.5;
    f.stats.perFaceMs = {13.1, 8.2};
    f.stats.modelFps = {20.0, 25.0};
    f.stats.compared = 200;
    f.stats.agreementRate = 0.93;
    f.stats.meanSimilarity = 0.97;
    f.stats.dropped = 17;
    return f;
}

// Widget position of a frame pixel in a pane (the picture keeps its aspect ratio, centred).
QPoint toWidget(const LiveFramePane* pane, QPointF framePos, QSize image) {
    const double s = std::min(double(pane->width()) / image.width(), double(pane->height()) / image.height());
    const QPointF origin((pane->width() - image.width() * s) / 2, (pane->height() - image.height() * s) / 2);
    return (origin + framePos * s).toPoint();
}

int countColour(const QImage& img, QRect region, QColor c) {
    int n = 0;
    for (int y = region.top(); y <= region.bottom(); ++y)
        for (int x = region.left(); x <= region.right(); ++x)
            if (img.pixelColor(x, y) == c) ++n;
    return n;
}

}  // namespace

class TestLiveTab : public QObject {
    Q_OBJECT
private slots:
    void labelsSayWhatEachModelDecided() {
        const LiveFrame f = sampleFrame();
        QCOMPARE(LiveFramePane::label(f.faces[0], 0), QStringLiteral("Ada  0.71"));
        QCOMPARE(LiveFramePane::label(f.faces[1], 1), QStringLiteral("unknown (Bob? 0.30)"));
        QVERIFY(!LiveFramePane::disagree(f.faces[0]));
        QVERIFY(LiveFramePane::disagree(f.faces[1]));
        LiveFace nobody;
        QCOMPARE(LiveFramePane::label(nobody, 0), QStringLiteral("face"));
    }

    void namesOfFacesCloseTogetherDoNotCoverEachOther() {
        // Two faces side by side, 20 px apart, with names wider than that gap; a third just below.
        const QRectF area(0, 0, 640, 480);
        const std::vector<QRectF> boxes{{100, 120, 80, 100}, {200, 125, 80, 100}, {110, 230, 80, 100}};
        const std::vector<QSizeF> sizes(3, QSizeF(150, 20));
        const auto tags = placeLabels(boxes, sizes, area);
        QCOMPARE(tags.size(), size_t(3));
        for (size_t i = 0; i < tags.size(); ++i) {
            QVERIFY2(area.contains(tags[i]), qPrintable(QString("tag %1 leaves the picture").arg(i)));
            for (size_t j = i + 1; j < tags.size(); ++j)
                QVERIFY2(!tags[i].intersects(tags[j]), qPrintable(QString("tags %1 and %2 overlap").arg(i).arg(j)));
        }
        // A lone face keeps its name right above its box.
        QCOMPARE(tags[0].bottom(), boxes[0].top());
        // A face at the top edge gets its name below the box.
        const auto top = placeLabels({{300, 0, 80, 100}}, {QSizeF(150, 20)}, area);
        QCOMPARE(top[0].top(), 100.0);
    }

    void showsModelsFiguresAndFrames() {
        LiveTab tab;
        tab.setAutoStart(false);
        LiveModelInfo a{QStringLiteral("mobilefacenet"), 1190000, 221000000, 4780000,
                        QStringLiteral("OpenCV dnn"),    {}};
        LiveModelInfo b{QStringLiteral("mobilefacenet (l1)"), 860000, 144000000, 3460000,
                        QStringLiteral("LibTorch"),           {}};
        tab.showModels(a, b);
        tab.showFrame(sampleFrame());
        QVERIFY(tab.infoText(0).contains(QStringLiteral("1.19 M params")));
        QVERIFY(tab.infoText(0).contains(QStringLiteral("221 M MACs")));
        QVERIFY(tab.infoText(0).contains(QStringLiteral("4.78 MB")));
        QVERIFY(tab.infoText(1).contains(QStringLiteral("8.2 ms")));
        QVERIFY(tab.infoText(1).contains(QStringLiteral("25.0 fps")));
        QVERIFY(tab.statsText().contains(QStringLiteral("93.0%")));
        QVERIFY(tab.statsText().contains(QStringLiteral("0.970")));
        QCOMPARE(tab.pane(1)->frame().faces.size(), 2);
        QVERIFY(tab.pane(0)->overlay().isEmpty());
    }

    void clickingAFaceEnrolsItAtThatFramePixel() {
        LiveTab tab;
        tab.setAutoStart(false);
        tab.resize(1300, 700);
        tab.show();
        QVERIFY(QTest::qWaitForWindowExposed(&tab));
        tab.showModels({}, {});
        const LiveFrame f = sampleFrame();
        tab.showFrame(f);
        QImage prompted;
        tab.setNamePrompt([&](const QImage& face) {
            prompted = face;
            return QStringLiteral("Carol");
        });
        QSignalSpy enrol(&tab, &LiveTab::enrolFaceRequested);
        LiveFramePane* pane = tab.pane(1);
        QTest::mouseClick(pane, Qt::LeftButton, {}, toWidget(pane, f.faces[1].box.center(), f.image.size()));
        QCOMPARE(enrol.count(), 1);
        QCOMPARE(enrol.at(0).at(0).toString(), QStringLiteral("Carol"));
        QCOMPARE(enrol.at(0).at(1).toLongLong(), qint64(42));
        const QPointF at = enrol.at(0).at(2).toPointF();
        QVERIFY((at - f.faces[1].box.center()).manhattanLength() < 4);
        QCOMPARE(prompted.size(), f.faces[1].box.toAlignedRect().size());
        // Outside every face: nothing is asked.
        QTest::mouseClick(pane, Qt::LeftButton, {}, toWidget(pane, QPointF(320, 20), f.image.size()));
        QCOMPARE(enrol.count(), 1);
        // The scripted form enrols the faces the original does not name (Bob's here, not Ada's).
        LiveFrame unnamed = f;
        unnamed.faces[1].accepted = {false, false};
        tab.showFrame(unnamed);
        QCOMPARE(tab.enrolShownFaces(), 1);
        QCOMPARE(enrol.count(), 2);
        QCOMPARE(enrol.at(1).at(0).toString(), QStringLiteral("Person 1"));
        QCOMPARE(enrol.at(1).at(2).toPointF(), f.faces[1].box.center());
    }

    void snapshotPutsBothPanesSideBySide() {
        LiveTab tab;
        tab.setAutoStart(false);
        QVERIFY(tab.sideBySide().isNull());  // nothing shown yet
        tab.showModels({QStringLiteral("orig"), 1, 1, 1, {}, {}},
                       {QStringLiteral("pruned"), 1, 1, 1, {}, {}});
        tab.showFrame(sampleFrame());
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("snap.png"));
        QVERIFY(tab.saveSnapshot(path));
        QImage img(path);
        QVERIFY(img.width() > 2 * 640 && img.height() > 480);
        // The disagreement is marked in red on the pruned (right) half only.
        const QColor red(231, 76, 60);
        const int half = img.width() / 2;
        QCOMPARE(countColour(img, QRect(0, 0, half, img.height()), red), 0);
        QVERIFY(countColour(img, QRect(half, 0, img.width() - half, img.height()), red) > 100);
        QVERIFY(countColour(img, QRect(0, 0, half, img.height()), QColor(46, 204, 113)) >
                100);  // named, green
    }

    void endOfVideoIsShownAndTheTabStaysUsable() {
        LiveTab tab;
        tab.setAutoStart(false);
        QSignalSpy requested(&tab, &LiveTab::sourceRequested);
        tab.showSourceStarted(LiveJob::demoSource());
        QVERIFY(tab.bannerText().isEmpty());
        tab.showSourceEnded(QStringLiteral("end of video"));
        QVERIFY(tab.bannerText().contains(QStringLiteral("end of video")));
        tab.chooseDemo();
        QCOMPARE(requested.count(), 1);
        QCOMPARE(requested.at(0).at(0).value<LiveSource>().kind, LiveSource::Demo);
        tab.showSourceStarted(LiveJob::demoSource());
        QVERIFY(tab.bannerText().isEmpty());
    }

    void galleryListsPeopleAndRemoves() {
        LiveTab tab;
        tab.setAutoStart(false);
        QImage thumb(56, 56, QImage::Format_RGB888);
        thumb.fill(Qt::gray);
        tab.setGallery({{QStringLiteral("Ada"), 3, thumb}, {QStringLiteral("Bob"), 1, thumb}});
        QCOMPARE(tab.galleryList()->count(), 2);
        QVERIFY(tab.galleryList()->item(0)->text().contains(QStringLiteral("3 faces")));
        QSignalSpy removed(&tab, &LiveTab::removeRequested);
        tab.galleryList()->setCurrentRow(1);
        auto* button = tab.findChild<QPushButton*>(QStringLiteral("remove-person"));  // by name: texts get translated
        QVERIFY(button);
        QTest::mouseClick(button, Qt::LeftButton);
        QCOMPARE(removed.count(), 1);
        QCOMPARE(removed.at(0).at(0).toString(), QStringLiteral("Bob"));
    }

    void thresholdDefaultsFromVerificationUnlessTheUserSetOne() {
        LiveTab tab;
        tab.setAutoStart(false);
        QCOMPARE(tab.threshold(), 0.35);
        QSignalSpy changed(&tab, &LiveTab::thresholdChanged);
        tab.setDefaultThreshold(0.42);
        QCOMPARE(tab.threshold(), 0.42);
        QCOMPARE(changed.count(), 1);
        tab.findChild<QDoubleSpinBox*>(QStringLiteral("LiveThreshold"))->setValue(0.5);  // the user's choice
        tab.setDefaultThreshold(0.3);
        QCOMPARE(tab.threshold(), 0.5);
    }

    void firstShowStartsTheDemoWithoutACameraAndHidingPauses() {
        LiveTab tab;
        LiveJob job;
        tab.attach(&job);  // the wiring the window uses
        QSignalSpy requested(&tab, &LiveTab::sourceRequested), paused(&tab, &LiveTab::pauseRequested);
        const bool noCamera = LiveJob::cameras().isEmpty();
        tab.show();
        QVERIFY(QTest::qWaitForWindowExposed(&tab));
        QCOMPARE(requested.count(), 1);
        if (noCamera) QCOMPARE(requested.at(0).at(0).value<LiveSource>().kind, LiveSource::Demo);
        QVERIFY(job.isRunning());
        tab.hide();
        QCOMPARE(paused.count(), 1);
        QCOMPARE(paused.at(0).at(0).toBool(), true);
        tab.show();
        QCOMPARE(paused.count(), 2);
        QCOMPARE(paused.at(1).at(0).toBool(), false);
        job.stop();
    }
};

QTEST_MAIN(TestLiveTab)
#include "tst_live_tab.moc"
