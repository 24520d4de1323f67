// Verification metrics against values worked out by hand on small score sets: what a user reads as
// "accuracy", "EER", "TAR at FAR" and "10-fold" must mean what the field means by them.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <fstream>
#include <limits>
#include <string>

#include "eval/VerificationMetrics.h"
#include "util/Errors.h"

using fp::eval::RocPoint;
using fp::eval::VerificationMetrics;
using fp::eval::VerificationReport;

namespace {

struct Set {
    std::vector<double> scores;
    std::vector<bool> same;
    std::vector<int> folds;
    void add(double s, bool m, int f = 0) {
        scores.push_back(s);
        same.push_back(m);
        folds.push_back(f);
    }
};

// Matched 0.9 0.8 0.6 0.3, mismatched 0.7 0.4 0.2 0.1.
Set fourAndFour() {
    Set s;
    for (double v : {0.9, 0.8, 0.6, 0.3}) s.add(v, true);
    for (double v : {0.7, 0.4, 0.2, 0.1}) s.add(v, false);
    return s;
}

bool near(double a, double b, double tol = 1e-9) { return std::abs(a - b) <= tol; }

}  // namespace

class TestVerificationMetrics : public QObject {
    Q_OBJECT

private slots:
    void rocAucEerAccuracyByHand() {
        const Set s = fourAndFour();
        const VerificationReport r = VerificationMetrics::compute(s.scores, s.same);
        QCOMPARE(r.matched, int64_t{4});
        QCOMPARE(r.mismatched, int64_t{4});
        // Descending: .9P .8P .7N .6P .4N .3P .2N .1N -> one ROC point per score after (0, 0).
        const std::vector<RocPoint> expected = {{std::numeric_limits<double>::infinity(), 0, 0},
                                                {0.9, 0, .25},
                                                {0.8, 0, .5},
                                                {0.7, .25, .5},
                                                {0.6, .25, .75},
                                                {0.4, .5, .75},
                                                {0.3, .5, 1},
                                                {0.2, .75, 1},
                                                {0.1, 1, 1}};
        QCOMPARE(r.roc.size(), expected.size());
        for (size_t i = 0; i < expected.size(); ++i) {
            QVERIFY2(near(r.roc[i].far, expected[i].far) && near(r.roc[i].tar, expected[i].tar),
                     qPrintable(QString("point %1: (%2, %3)").arg(i).arg(r.roc[i].far).arg(r.roc[i].tar)));
            if (i > 0) QCOMPARE(r.roc[i].threshold, expected[i].threshold);
        }
        // AUC = P(matched score > mismatched score) = 13/16.
        QVERIFY(near(r.auc, 13.0 / 16));
        // FRR - FAR reaches 0 exactly at threshold 0.6: FAR = FRR = 1/4.
        QVERIFY(near(r.eer, 0.25));
        QVERIFY(near(r.eerThreshold, 0.6));
        // 6 of 8 right at best; the first (highest) cut that does it lies between 0.8 and 0.7.
        QVERIFY(near(r.accuracy, 0.75));
        QVERIFY(near(r.accuracyThreshold, 0.75));
        // No mismatched pair above 0.7: at FAR 0 half of the matched pairs pass.
        QVERIFY(near(r.tarAtFar1e2, 0.5));
        QVERIFY(near(r.tarAtFar1e3, 0.5));
        QVERIFY(near(r.thresholdAtFar1e2, 0.8));
    }

    void eerIsInterpolatedAcrossTies() {
        // Matched 0.8 0.5, mismatched 0.5 0.2: the tie at 0.5 is a diagonal ROC step from
        // (0, .5) to (.5, 1) which crosses FAR = FRR halfway: EER 0.25 at threshold 0.65.
        Set s;
        s.add(0.8, true);
        s.add(0.5, true);
        s.add(0.5, false);
        s.add(0.2, false);
        const VerificationReport r = VerificationMetrics::compute(s.scores, s.same);
        QCOMPARE(r.roc.size(), size_t{4});
        QVERIFY(near(r.eer, 0.25));
        QVERIFY(near(r.eerThreshold, 0.65));
        QVERIFY(near(r.auc, 0.875));  // 3.5 of 4 orderings, the tie counting half

        // Matched 0.9 0.5 0.4, mismatched 0.6 0.1: FRR - FAR goes 1/6 -> -1/6 between the points at
        // 0.6 and 0.5, so EER = 0.5 at threshold 0.55.
        Set t;
        for (double v : {0.9, 0.5, 0.4}) t.add(v, true);
        for (double v : {0.6, 0.1}) t.add(v, false);
        const VerificationReport q = VerificationMetrics::compute(t.scores, t.same);
        QVERIFY(near(q.eer, 0.5));
        QVERIFY(near(q.eerThreshold, 0.55));
    }

    void tarAtFarCountsFalseAccepts() {
        // 1000 mismatched scores 0.000 .. 0.999; FAR 1e-3 allows one of them through, 1e-2 ten.
        Set s;
        for (int i = 0; i < 1000; ++i) s.add(i / 1000.0, false);
        for (int i = 0; i < 50; ++i) s.add(1.5, true);     // above every mismatched pair
        for (int i = 0; i < 30; ++i) s.add(0.9985, true);  // above all but 0.999
        for (int i = 0; i < 10; ++i) s.add(0.9905, true);  // above all but the top ten
        for (int i = 0; i < 10; ++i) s.add(0.5005, true);
        const VerificationReport r = VerificationMetrics::compute(s.scores, s.same);
        QVERIFY2(near(r.tarAtFar1e3, 0.80), qPrintable(QString::number(r.tarAtFar1e3)));
        QVERIFY(near(r.thresholdAtFar1e3, 0.9985));
        QVERIFY2(near(r.tarAtFar1e2, 0.90), qPrintable(QString::number(r.tarAtFar1e2)));
        QVERIFY(near(r.thresholdAtFar1e2, 0.9905));
        QVERIFY(near(VerificationMetrics::tarAtFar(r.roc, 0.0).tar, 0.5));
        QVERIFY(near(VerificationMetrics::tarAtFar(r.roc, 1.0).tar, 1.0));
    }

    void tenFoldUsesTheOtherFoldsThreshold() {
        // Three folds of 2 matched + 2 mismatched. Thresholds learnt on the other two folds:
        //   fold 0: best cut of folds 1+2 between .6 and .5 -> .55, fold 0 all right (1.0)
        //   fold 1: best cut of folds 0+2 between .65 and .5 -> .575, fold 1 all right (1.0)
        //   fold 2: best cut of folds 0+1 between .6 and .4 -> .5; fold 2 then rejects its
        //           matched .35 and accepts its mismatched .5: 2 of 4 (0.5)
        Set s;
        s.add(0.9, true, 0), s.add(0.7, true, 0), s.add(0.3, false, 0), s.add(0.1, false, 0);
        s.add(0.8, true, 1), s.add(0.6, true, 1), s.add(0.4, false, 1), s.add(0.2, false, 1);
        s.add(0.65, true, 2), s.add(0.35, true, 2), s.add(0.5, false, 2), s.add(0.05, false, 2);
        const VerificationReport r = VerificationMetrics::compute(s.scores, s.same, s.folds);
        QCOMPARE(r.folds, 3);
        QVERIFY(near(r.foldThresholds[0], 0.55));
        QVERIFY(near(r.foldThresholds[1], 0.575));
        QVERIFY(near(r.foldThresholds[2], 0.5));
        QVERIFY(near(r.foldAccuracies[0], 1.0));
        QVERIFY(near(r.foldAccuracies[1], 1.0));
        QVERIFY(near(r.foldAccuracies[2], 0.5));
        QVERIFY(near(r.foldMean, 2.5 / 3));
        QVERIFY(near(r.foldStd, std::sqrt(1.0 / 18)));  // population deviation of {1, 1, .5}
        // Over all twelve, one matched pair (.35) is below the best cut (.55): 11 of 12.
        QVERIFY(near(r.accuracy, 11.0 / 12));
        QVERIFY(near(r.accuracyThreshold, 0.55));
    }

    void perfectSeparation() {
        Set s;
        for (int i = 0; i < 5; ++i) s.add(0.6 + i * 0.05, true, i % 2), s.add(-0.2 + i * 0.05, false, i % 2);
        const VerificationReport r = VerificationMetrics::compute(s.scores, s.same, s.folds);
        QVERIFY(near(r.accuracy, 1.0));
        QVERIFY(near(r.auc, 1.0));
        QVERIFY(near(r.eer, 0.0));
        QVERIFY(near(r.tarAtFar1e3, 1.0));
        QVERIFY(near(r.foldMean, 1.0));
        QVERIFY(r.accuracyThreshold > 0.0 && r.accuracyThreshold < 0.6);
    }

    void rejectsUnusableInput() {
        Set s = fourAndFour();
        try {
            VerificationMetrics::compute(s.scores, std::vector<bool>(3, true));
            QFAIL("length mismatch accepted");
        } catch (const fp::InputError& e) {
            QVERIFY(std::string(e.what()).find("8 scores but 3 labels") != std::string::npos);
        }
        try {
            VerificationMetrics::compute({0.5, 0.6}, {true, true});
            QFAIL("no mismatched pair accepted");
        } catch (const fp::InputError& e) {
            QVERIFY(std::string(e.what()).find("2 matched and 0 mismatched") != std::string::npos);
        }
        s.scores[2] = std::nan("");
        try {
            VerificationMetrics::compute(s.scores, s.same);
            QFAIL("NaN accepted");
        } catch (const fp::InputError& e) {
            QVERIFY(std::string(e.what()).find("pair 3") != std::string::npos);
        }
    }

    void writesJsonAndCsv() {
        QTemporaryDir dir;
        const Set s = fourAndFour();
        std::vector<int> folds = {0, 1, 0, 1, 0, 1, 0, 1};
        const VerificationReport r = VerificationMetrics::compute(s.scores, s.same, folds);
        const std::string json = dir.filePath("m.json").toStdString(),
                          csv = dir.filePath("roc.csv").toStdString();
        VerificationMetrics::writeJson(r, json, R"({"model": "test-model"})");
        VerificationMetrics::writeCurvesCsv(r, csv);

        QFile jf(QString::fromStdString(json));
        QVERIFY(jf.open(QIODevice::ReadOnly));
        const QJsonObject o = QJsonDocument::fromJson(jf.readAll()).object();
        QCOMPARE(o["model"].toString(), QString("test-model"));
        QCOMPARE(o["pairs"].toInt(), 8);
        QVERIFY(near(o["accuracy"].toDouble(), 0.75));
        QVERIFY(near(o["eer"].toDouble(), 0.25));
        QVERIFY(near(o["auc"].toDouble(), 0.8125));
        QCOMPARE(o["k_fold"].toObject()["folds"].toInt(), 2);
        QCOMPARE(o["k_fold"].toObject()["accuracies"].toArray().size(), 2);
        QVERIFY(o["roc_summary"].toArray().size() == 4);

        std::ifstream in(csv);
        std::string line;
        std::getline(in, line);
        QCOMPARE(QString::fromStdString(line), QString("threshold,far,tar,frr"));
        int rows = 0;
        while (std::getline(in, line)) ++rows;
        QCOMPARE(rows, static_cast<int>(r.roc.size()));

        // A folder that does not exist: the error names the file.
        const std::string bad = dir.filePath("missing/m.json").toStdString();
        try {
            VerificationMetrics::writeJson(r, bad);
            QFAIL("wrote into a missing folder");
        } catch (const fp::Error& e) {
            QVERIFY(std::string(e.what()).find(bad) != std::string::npos);
        }
    }
};

QTEST_GUILESS_MAIN(TestVerificationMetrics)
#include "tst_verification_metrics.moc"
