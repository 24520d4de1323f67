// The run settings have one definition (prune/RunSettings.h): every setting, given on the command
// line with a value other than its default, survives CLI -> run.json -> the window's panel ->
// run.json unchanged, and has an input in the panel.
#include <QtTest>

#include <QTemporaryDir>
#include <cmath>

#include "app/cli/PruneOptions.h"
#include "jobs/EngineSettings.h"
#include "prune/History.h"
#include "util/TextLines.h"
#include "widgets/PruningPanel.h"

using namespace fp;

namespace {

// A value of `s` other than its default that the setting accepts.
std::string otherValue(const prune::Setting& s, const std::string& def, const QTemporaryDir& tmp) {
    using K = prune::SettingKind;
    const auto dir = [&](const char* name) {
        QDir(tmp.path()).mkpath(name);
        return tmp.filePath(name).toStdString();
    };
    switch (s.kind) {
    case K::Integer: {
        const long long d = std::stoll(def);
        return std::to_string(d + 3 <= s.max ? d + 3 : d - 1);
    }
    case K::Real: {
        const double d = std::stod(def);
        double v = std::round((d + (s.max - s.min) / 4) * 100) / 100;
        if (v > s.max) v = std::round((d + s.min) / 2 * 100) / 100;
        return prune::formatNumber(v);
    }
    case K::Flag: return def == "true" ? "false" : "true";
    case K::Choice:
        for (const auto& c : s.choices)
            if (c != def) return c;
        break;
    case K::Dir: return dir(s.key.c_str());
    case K::File: {
        QFile f(tmp.filePath(QString::fromStdString(s.key) + ".txt"));
        f.open(QIODevice::WriteOnly);
        return f.fileName().toStdString();
    }
    case K::DirList: return joinLines({dir("more-a"), dir("more-b")});
    case K::Text: return "7";
    case K::Measure: return s.choices.front() + ":0.4";
    case K::List: return s.key == "min-width-of" ? "conv_a=8\nconv_b=16" : "conv_a\nconv_b";
    }
    return def;
}

// faceprune-cli prune's options, parsed from argv.
cli::PruneOptions parseCli(const std::map<std::string, std::string>& values) {
    using K = prune::SettingKind;
    std::vector<std::string> args{"prune"};
    for (const auto& [key, v] : values) {
        const auto* s = prune::findSetting(key);
        if (s->kind == K::Flag) {
            args.push_back((v == "true" ? "--" : "--no-") + key);
            continue;
        }
        args.push_back("--" + key);
        if (s->kind == K::DirList || s->kind == K::List)
            for (const auto& item : splitLines(v)) args.push_back(item);
        else
            args.push_back(v);
    }
    cli::PruneOptions o;
    CLI::App app;
    cli::addRunOptions(&app, o);
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    app.parse(int(argv.size()), argv.data());
    return o;
}

// run.json as the engine writes it, and the settings a reopened run gives the panel.
jobs::PruneSettings throughRunFile(const prune::RunRequest& r, const QString& path) {
    prune::History h;
    h.model = "mobilefacenet";
    h.config = r.config;
    h.data = r.data.toMap();
    prune::saveHistory(h, path.toStdString());
    return jobs::settingsFromHistory(prune::loadHistory(path.toStdString()), QFileInfo(path).path());
}

std::map<std::string, std::string> walk(const std::map<std::string, std::string>& given, const QTemporaryDir& tmp) {
    const auto first = throughRunFile(cli::toRequest(parseCli(given)), tmp.filePath("first.json"));
    widgets::PruningPanel panel(jobs::PruneSettings::fields());
    panel.setSettings(first);
    const auto second = throughRunFile(jobs::toRunRequest(panel.settings()), tmp.filePath("second.json"));
    std::map<std::string, std::string> out;
    for (auto it = second.values.begin(); it != second.values.end(); ++it)
        out[it.key().toStdString()] = it.value().toStdString();
    return out;
}

}  // namespace

class TestRunSettings : public QObject {
    Q_OBJECT
private slots:
    void everySettingSurvivesCliRunFileAndPanel() {
        QTemporaryDir tmp;
        const auto defaults = prune::settingValues(prune::defaultRunRequest());
        std::map<std::string, std::string> given;
        for (const auto& s : prune::runSettings()) {
            if (s.key == "quick") continue;  // it turns the recovery settings off: walked alone below
            given[s.key] = otherValue(s, defaults.at(s.key), tmp);
            QVERIFY2(given[s.key] != defaults.at(s.key), s.key.c_str());
        }
        const auto back = walk(given, tmp);
        for (const auto& [key, v] : given) QCOMPARE(QString::fromStdString(back.at(key)), QString::fromStdString(v));
        QCOMPARE(QString::fromStdString(back.at("quick")), QString("false"));
    }

    void quickLookSurvivesToo() {
        QTemporaryDir tmp;
        const auto back = walk({{"quick", "true"}}, tmp);
        QCOMPARE(QString::fromStdString(back.at("quick")), QString("true"));
        QCOMPARE(QString::fromStdString(back.at("recovery-steps")), QString("0"));
        QCOMPARE(QString::fromStdString(back.at("distill")), QString("0"));
    }

    void everySettingHasAPanelInput() {
        widgets::PruningPanel panel(jobs::PruneSettings::fields());
        for (const auto& s : prune::runSettings())
            QVERIFY2(panel.findChild<QWidget*>(QString::fromStdString("setting-" + s.key)), s.key.c_str());
    }

    // A bad value is refused with a message naming the setting, from the command line as from the panel.
    void badValuesNameTheSetting() {
        const auto refused = [](const std::map<std::string, std::string>& given) {
            try {
                cli::toRequest(parseCli(given));
            } catch (const std::exception& e) {
                return QString::fromUtf8(e.what());
            }
            return QString();
        };
        QVERIFY(refused({{"min-width", "1.5"}}).contains("min-width"));
        QVERIFY(refused({{"per-iteration", "5 percent"}}).contains("per-iteration"));
        QVERIFY(refused({{"target", "flops:0.5"}}).contains("target"));
        QVERIFY(refused({{"criterion", "magic"}}).contains("magic"));
        jobs::PruneSettings s = jobs::PruneSettings::defaults();
        s.setValue("batch-size", "0");
        try {
            jobs::toRunRequest(s);
            QFAIL("batch size 0 accepted");
        } catch (const std::exception& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains("batch-size"), e.what());
        }
    }
};

QTEST_MAIN(TestRunSettings)
#include "tst_run_settings.moc"
