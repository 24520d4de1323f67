// The pruning panel as a user fills it in: what is typed is what a run gets, a pairs file takes the
// place of held-out people, settings lock while a run goes on, and a saved session's settings come back.
#include <QtTest>

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLineEdit>

#include "widgets/PruningPanel.h"

using fp::widgets::PruningPanel;

class TestPruningPanel : public QObject {
    Q_OBJECT

    static QLineEdit* field(PruningPanel& p, const QString& placeholderStart) {
        for (auto* e : p.findChildren<QLineEdit*>())
            if (e->placeholderText().startsWith(placeholderStart)) return e;
        return nullptr;
    }

    static QComboBox* regulariserCost(PruningPanel& p) {
        for (auto* c : p.findChildren<QComboBox*>())
            if (c->findData(QStringLiteral("latency")) >= 0) return c;
        return nullptr;
    }

    static QDoubleSpinBox* regulariserWeight(PruningPanel& p) {
        for (auto* s : p.findChildren<QDoubleSpinBox*>())
            if (s->toolTip().contains("cost outweighs importance")) return s;
        return nullptr;
    }

    static QDoubleSpinBox* heldOut(PruningPanel& p) {
        for (auto* s : p.findChildren<QDoubleSpinBox*>())
            if (s->suffix() == QStringLiteral(" %") && s->toolTip().contains("held out")) return s;
        return nullptr;
    }

private slots:
    void pairsFileReplacesHeldOutPeople() {
        PruningPanel panel;
        auto* pairs = field(panel, "optional: LFW");
        auto* images = field(panel, "folder the pairs");
        auto* fraction = heldOut(panel);
        QVERIFY(pairs && images && fraction);
        QVERIFY(fraction->isEnabled());

        QTest::keyClicks(pairs, "/data/lfw/pairs.txt");
        QTest::keyClicks(images, "/data/lfw");
        QVERIFY(!fraction->isEnabled());
        auto s = panel.settings();
        QCOMPARE(s.pairsFile, QString("/data/lfw/pairs.txt"));
        QCOMPARE(s.pairsImages, QString("/data/lfw"));

        pairs->clear();
        QVERIFY(fraction->isEnabled());
        QVERIFY(panel.settings().pairsFile.isEmpty());
    }

    // The cost regulariser: off by default, its weight only editable once a cost is chosen.
    void costRegulariserIsChosenWithItsWeight() {
        PruningPanel panel;
        auto* cost = regulariserCost(panel);
        auto* weight = regulariserWeight(panel);
        QVERIFY(cost && weight);
        QVERIFY(panel.settings().regulariserCost.isEmpty());
        QVERIFY(!weight->isEnabled());
        cost->setCurrentIndex(cost->findData(QStringLiteral("latency")));
        QVERIFY(weight->isEnabled());
        weight->setValue(0.5);
        const auto s = panel.settings();
        QCOMPARE(s.regulariserCost, QString("latency"));
        QCOMPARE(s.regulariserWeight, 0.5);

        PruningPanel restored;
        restored.setSettings(s);
        QCOMPARE(restored.settings().regulariserCost, QString("latency"));
        QCOMPARE(restored.settings().regulariserWeight, 0.5);
    }

    void settingsLockWhileRunningAndComeBack() {
        PruningPanel panel;
        fp::jobs::PruneSettings s;
        s.trainDir = "/faces";
        s.pairsFile = "/faces/pairs.txt";
        s.pairsImages = "/faces";
        s.verifyFraction = 0.3;
        panel.setSettings(s);
        const auto back = panel.settings();
        QCOMPARE(back.trainDir, s.trainDir);
        QCOMPARE(back.pairsFile, s.pairsFile);
        QCOMPARE(back.pairsImages, s.pairsImages);
        QCOMPARE(back.verifyFraction, 0.3);

        panel.setRunState(PruningPanel::RunState::Running);
        QVERIFY(!field(panel, "optional: LFW")->isEnabled());
        panel.setRunState(PruningPanel::RunState::Idle);
        QVERIFY(field(panel, "optional: LFW")->isEnabled());
        QVERIFY(!heldOut(panel)->isEnabled());  // still replaced by the pairs file
    }
};

QTEST_MAIN(TestPruningPanel)
#include "tst_pruning_panel.moc"
