// The pruning panel as a user fills it in: what is typed is what a run gets, a pairs file takes the
// place of held-out people, a quick look switches recovery off and back, settings lock while a run
// goes on, and a saved session's settings come back. Inputs are found by their names (setting-KEY).
#include <QtTest>

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QSpinBox>

#include "jobs/PruneSettings.h"
#include "widgets/PruningPanel.h"

using fp::jobs::PruneSettings;
using fp::jobs::SettingField;
using fp::widgets::PruningPanel;

namespace {

// The panel's fields as the window gets them from jobs (widgets do not link the engine): a copy of
// the settings this test touches, with their kinds, groups and defaults.
QList<SettingField> fields() {
    using K = SettingField::Kind;
    const auto f = [](const char* key, K kind, const char* group, QString def, double min = 0, double max = 0,
                      bool percent = false, QStringList choices = {}, QString none = {}) {
        SettingField s;
        s.key = key;
        s.kind = kind;
        s.group = group;
        s.label = key;
        s.help = QStringLiteral("help for %1").arg(key);
        s.defaultValue = def;
        s.min = min;
        s.max = max;
        s.decimals = 2;
        s.percent = percent;
        s.choices = choices;
        s.noneText = none;
        return s;
    };
    return {f("train", K::Dir, "Data", ""),
            f("verify-fraction", K::Real, "Data", "0.2", 0, 0.9, true),
            f("pairs", K::File, "Data", ""),
            f("images", K::Dir, "Data", ""),
            f("unlabelled", K::DirList, "Data", ""),
            f("cost-lambda", K::Real, "Method", "0.3", 0, 10),
            f("cost", K::Choice, "Method", "", 0, 0, false, {"macs", "latency"}, "none"),
            f("lock", K::List, "Method", ""),
            f("finetune-steps", K::Integer, "Recovery", "20", 0, 1e6),
            f("recovery-steps", K::Integer, "Recovery", "800", 0, 1e7),
            f("quick", K::Flag, "Recovery", "false"),
            f("target", K::Measure, "Stop when", "", 0.01, 0.99, true, {"filters", "params", "macs"}, "none")};
}

template <typename W>
W* input(PruningPanel& p, const QString& key) {
    return p.findChild<W*>(QStringLiteral("setting-") + key);
}

}  // namespace

class TestPruningPanel : public QObject {
    Q_OBJECT

private slots:
    void everyFieldHasANamedInputAtItsDefault() {
        PruningPanel panel(fields());
        const auto s = panel.settings();
        for (const auto& f : fields()) {
            QVERIFY2(input<QWidget>(panel, f.key), qPrintable(f.key));
            QCOMPARE(s.value(f.key), f.defaultValue);
        }
    }

    void pairsFileReplacesHeldOutPeople() {
        PruningPanel panel(fields());
        auto* pairs = input<QLineEdit>(panel, "pairs");
        auto* images = input<QLineEdit>(panel, "images");
        auto* fraction = input<QDoubleSpinBox>(panel, "verify-fraction");
        QVERIFY(pairs && images && fraction);
        QVERIFY(fraction->isEnabled());

        QTest::keyClicks(pairs, "/data/lfw/pairs.txt");
        QTest::keyClicks(images, "/data/lfw");
        QVERIFY(!fraction->isEnabled());
        auto s = panel.settings();
        QCOMPARE(s.value("pairs"), QString("/data/lfw/pairs.txt"));
        QCOMPARE(s.value("images"), QString("/data/lfw"));

        pairs->clear();
        QVERIFY(fraction->isEnabled());
        QVERIFY(panel.settings().value("pairs").isEmpty());
    }

    // The cost regulariser: off by default, its weight only editable once a cost is chosen.
    void costRegulariserIsChosenWithItsWeight() {
        PruningPanel panel(fields());
        auto* cost = input<QComboBox>(panel, "cost");
        auto* weight = input<QDoubleSpinBox>(panel, "cost-lambda");
        QVERIFY(cost && weight);
        QVERIFY(panel.settings().value("cost").isEmpty());
        QVERIFY(!weight->isEnabled());
        cost->setCurrentIndex(cost->findData(QStringLiteral("latency")));
        QVERIFY(weight->isEnabled());
        weight->setValue(0.5);
        const auto s = panel.settings();
        QCOMPARE(s.value("cost"), QString("latency"));
        QCOMPARE(s.value("cost-lambda"), QString("0.5"));

        PruningPanel restored(fields());
        restored.setSettings(s);
        QCOMPARE(restored.settings().value("cost"), QString("latency"));
        QCOMPARE(restored.settings().value("cost-lambda"), QString("0.5"));
    }

    // A quick look greys out the recovery settings; leaving it brings back the recipe's values.
    void quickLookSwitchesRecoveryOffAndBack() {
        PruningPanel panel(fields());
        auto* quick = input<QCheckBox>(panel, "quick");
        auto* steps = input<QSpinBox>(panel, "recovery-steps");
        QVERIFY(quick && steps);
        QVERIFY(steps->isEnabled());
        quick->setChecked(true);
        QVERIFY(!steps->isEnabled());
        QCOMPARE(panel.settings().value("quick"), QString("true"));

        // A reopened quick run shows zeros; unticking restores the defaults rather than zero recovery.
        auto s = panel.settings();
        s.setValue("recovery-steps", "0");
        s.setValue("finetune-steps", "0");
        panel.setSettings(s);
        quick->setChecked(false);
        QVERIFY(steps->isEnabled());
        QCOMPARE(panel.settings().value("recovery-steps"), QString("800"));
        QCOMPARE(panel.settings().value("finetune-steps"), QString("20"));
    }

    void targetIsAKindAndAShare() {
        PruningPanel panel(fields());
        auto* kind = input<QComboBox>(panel, "target");
        auto* share = panel.findChild<QDoubleSpinBox*>("setting-target-value");
        QVERIFY(kind && share);
        QVERIFY(!share->isEnabled());  // no target: nothing to set
        kind->setCurrentIndex(kind->findData(QStringLiteral("macs")));
        QVERIFY(share->isEnabled());
        share->setValue(40);
        QCOMPARE(panel.settings().value("target"), QString("macs:0.4"));
    }

    void settingsLockWhileRunningAndComeBack() {
        PruningPanel panel(fields());
        PruneSettings s;
        s.setValue("train", "/faces");
        s.setValue("pairs", "/faces/pairs.txt");
        s.setValue("images", "/faces");
        s.setValue("verify-fraction", "0.3");
        s.setList("unlabelled", {"/more/a", "/more/b"});
        s.setList("lock", {"conv1", "conv2"});
        panel.setSettings(s);
        const auto back = panel.settings();
        for (const char* key : {"train", "pairs", "images", "verify-fraction", "unlabelled", "lock"})
            QCOMPARE(back.value(key), s.value(key));

        panel.setRunState(PruningPanel::RunState::Running);
        QVERIFY(!input<QLineEdit>(panel, "pairs")->isEnabled());
        panel.setRunState(PruningPanel::RunState::Idle);
        QVERIFY(input<QLineEdit>(panel, "pairs")->isEnabled());
        QVERIFY(!input<QDoubleSpinBox>(panel, "verify-fraction")->isEnabled());  // still replaced by the pairs file
    }
};

QTEST_MAIN(TestPruningPanel)
#include "tst_pruning_panel.moc"
