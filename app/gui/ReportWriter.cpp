#include "app/gui/ReportWriter.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <algorithm>

#include "widgets/PlotBase.h"

namespace fp::gui {

namespace {

QString esc(const QString& s) { return s.toHtmlEscaped(); }
QString pct(double v) { return QString::number(100.0 * v, 'f', 2) + QLatin1Char('%'); }
double share(qint64 part, qint64 whole) { return double(part) / double(std::max<qint64>(1, whole)); }

QString row(const QStringList& cells, bool header = false) {
    const QString tag = header ? QStringLiteral("th") : QStringLiteral("td");
    QString out = QStringLiteral("<tr>");
    for (const auto& c : cells) out += QStringLiteral("<%1>%2</%1>").arg(tag, c);
    return out + QStringLiteral("</tr>\n");
}

QString metric(const QMap<QString, double>& m, const char* key) {
    return m.contains(key) ? pct(m.value(key)) : QStringLiteral("—");
}

QString jsonText(const QJsonValue& v) {
    if (v.isString()) return v.toString();
    if (v.isDouble()) return QString::number(v.toDouble());
    if (v.isBool()) return v.toBool() ? QStringLiteral("yes") : QStringLiteral("no");
    if (v.isArray()) return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    if (v.isObject()) return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    return {};
}

// Every setting the run was made with, as run.json holds it (nothing written out by hand here).
QString settingsSection(const QString& runDir) {
    QFile f(QDir(runDir).filePath(QStringLiteral("run.json")));
    if (!f.open(QIODevice::ReadOnly)) return QStringLiteral("<p>run.json could not be read.</p>");
    const QJsonObject run = QJsonDocument::fromJson(f.readAll()).object();
    QString out = QStringLiteral("<table>\n") + row({QStringLiteral("setting"), QStringLiteral("value")}, true);
    for (const char* part : {"config", "data"}) {
        const QJsonObject o = run.value(QLatin1String(part)).toObject();
        for (auto it = o.begin(); it != o.end(); ++it) out += row({esc(it.key()), esc(jsonText(it.value()))});
    }
    return out + QStringLiteral("</table>\n");
}

}  // namespace

QString ReportWriter::html(const ReportInput& in) {
    const auto& h = in.history;
    const QString name = QFileInfo(h.runDir).fileName();
    QString out;
    out += QStringLiteral(
               "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>FacePrune report: %1</title>\n"
               "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
               "table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;"
               "text-align:right}th{background:#eef}td:first-child{text-align:left}img{max-width:100%;"
               "border:1px solid #ddd}h2{border-bottom:1px solid #ccc}</style></head><body>\n")
               .arg(esc(name));
    out += QStringLiteral("<h1>FacePrune report: %1</h1>\n<p>Model <b>%2</b>, criterion <b>%3</b>, %4 iterations. %5<br>"
                          "Run folder %6; written %7.</p>\n")
               .arg(esc(name), esc(h.model), esc(h.criterion))
               .arg(h.iterations())
               .arg(h.finished() ? esc(QStringLiteral("Finished: ") + h.stopReason) : QStringLiteral("Not finished."),
                    esc(h.runDir), QDateTime::currentDateTime().toString(Qt::ISODate));
    if (h.points.isEmpty()) return out + QStringLiteral("<p>The run has no figures yet.</p></body></html>\n");

    // Before and after.
    const auto& o = h.points.front();
    const auto& last = h.points.back();
    const auto final = h.recoveredMetrics.isEmpty() ? last.metrics : h.recoveredMetrics;
    out += QStringLiteral("<h2>Before and after</h2>\n<table>\n");
    out += row({QString(), QStringLiteral("original"), h.recoveredMetrics.isEmpty() ? QStringLiteral("final")
                                                                                    : QStringLiteral("final (after recovery)")},
               true);
    out += row({QStringLiteral("filters"), QString::number(o.filters), QString::number(last.filters)});
    out += row({QStringLiteral("parameters"), QString::number(o.params), QStringLiteral("%1 (%2)").arg(last.params).arg(pct(share(last.params, o.params)))});
    out += row({QStringLiteral("MACs"), QString::number(o.macs), QStringLiteral("%1 (%2)").arg(last.macs).arg(pct(share(last.macs, o.macs)))});
    out += row({QStringLiteral("verification accuracy (10-fold)"), metric(o.metrics, "accuracy"), metric(final, "accuracy")});
    out += row({QStringLiteral("fold spread (sd)"), metric(o.metrics, "fold_std"), metric(final, "fold_std")});
    out += row({QStringLiteral("EER"), metric(o.metrics, "eer"), metric(final, "eer")});
    out += row({QStringLiteral("TAR at FAR = 1e-3"), metric(o.metrics, "tar_far1e-3"), metric(final, "tar_far1e-3")});
    if (o.latencyMs > 0 && last.latencyMs > 0)
        out += row({QStringLiteral("batch-1 latency (FacePrune, this machine)"), QStringLiteral("%1 ms").arg(o.latencyMs, 0, 'f', 2),
                    QStringLiteral("%1 ms (%2x faster)").arg(last.latencyMs, 0, 'f', 2).arg(o.latencyMs / last.latencyMs, 0, 'f', 2)});
    out += QStringLiteral("</table>\n");
    if (h.recoveredStep >= 0)
        out += QStringLiteral("<p>The final model is the final recovery's best checkpoint (step %1), chosen by "
                              "verification on the held-out people.</p>\n").arg(h.recoveredStep);

    // Every iteration.
    out += QStringLiteral("<h2>Iterations</h2>\n<table>\n");
    out += row({QStringLiteral("iteration"), QStringLiteral("filters removed"), QStringLiteral("MACs left"), QStringLiteral("params left"),
                QStringLiteral("accuracy"), QStringLiteral("EER"), QStringLiteral("TAR@1e-3"), QStringLiteral("ms / face")},
               true);
    for (const auto& p : h.points)
        out += row({p.iteration == 0 ? QStringLiteral("original") : QString::number(p.iteration), QString::number(p.filtersRemoved),
                    pct(share(p.macs, o.macs)), pct(share(p.params, o.params)), metric(p.metrics, "accuracy"),
                    metric(p.metrics, "eer"), metric(p.metrics, "tar_far1e-3"),
                    p.latencyMs > 0 ? QString::number(p.latencyMs, 'f', 2) : QStringLiteral("—")});
    out += QStringLiteral("</table>\n");

    out += QStringLiteral("<h2>Plots</h2>\n");
    for (auto* plot : in.plots)
        out += QStringLiteral("<h3>%1</h3>\n<img alt=\"%1\" src=\"data:image/png;base64,%2\">\n")
                   .arg(esc(plot->title()), QString::fromLatin1(plot->pngBytes().toBase64()));

    out += QStringLiteral("<h2>Layers: width before and after</h2>\n<p>%1</p>\n<table>\n").arg(esc(in.modelTitle));
    out += row({QStringLiteral("layer"), QStringLiteral("op"), QStringLiteral("original width"), QStringLiteral("width"),
                QStringLiteral("left"), QStringLiteral("locked")},
               true);
    for (const auto& l : in.model.layers)
        if (l.prunable)
            out += row({esc(l.name), esc(l.op), QString::number(l.originalChannels), QString::number(l.channels),
                        pct(l.shareLeft()), l.locked ? QStringLiteral("yes") : QString()});
    out += QStringLiteral("</table>\n");

    out += QStringLiteral("<h2>Export</h2>\n");
    if (const auto& e = in.lastExport) {
        QStringList lines{esc(e->path + QStringLiteral(": ") + e->description), esc(QString::fromStdString(e->check.text))};
        for (const QString& line : jobs::latencyLines(*e)) lines << esc(line);
        out += QStringLiteral("<p>%1</p>\n").arg(lines.join(QStringLiteral("<br>")));
    }
    else
        out += QStringLiteral("<p>Not exported in this session (File &gt; Export checks the file in cv::dnn and times it in ONNX Runtime).</p>\n");

    out += QStringLiteral("<h2>Settings</h2>\n") + settingsSection(h.runDir);
    return out + QStringLiteral("</body></html>\n");
}

QString ReportWriter::write(const QString& path, const ReportInput& input) {
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly)) return QStringLiteral("%1: cannot be written (%2)").arg(path, f.errorString());
    f.write(html(input).toUtf8());
    if (!f.commit()) return QStringLiteral("%1: cannot be written (%2)").arg(path, f.errorString());
    return {};
}

}  // namespace fp::gui
