#pragma once
// What the live job reports and the live tab draws: plain Qt values, safe to queue across threads.
// Index 0 of every pair is the original model, 1 the pruned one.
#include <QImage>
#include <QList>
#include <QMetaType>
#include <QRectF>
#include <QSize>
#include <QString>
#include <QVector>
#include <array>

namespace fp::jobs {

struct LiveSource {
    enum Kind { Demo, File, Camera };
    Kind kind = Demo;
    QString id;                // file path, or the camera's QCameraDevice id
    QString label;             // for menus: "Demo video", the file name, the camera's description
    QSize resolution;          // cameras: the chosen capture size (invalid = the camera's default)
    QList<QSize> resolutions;  // cameras: what it offers, largest first
};

struct LiveModelInfo {
    QString name;
    qint64 params = 0, macs = 0;
    qint64 fileBytes = 0;  // the model exported as ONNX (what a deployment ships)
    QString backend;       // "OpenCV dnn" or "LibTorch": what embeds the faces
    QString backendNote;   // what the choice measured
};

struct LiveFace {
    QRectF box;                   // frame pixels
    std::array<QString, 2> name;  // best gallery match per model (empty: nobody enrolled)
    std::array<double, 2> similarity{0, 0};
    std::array<bool, 2> accepted{false, false};  // similarity >= threshold: the face is named
    double crossSimilarity = -2;  // cosine between the models' embeddings; -2 when not comparable
};

struct LiveStats {
    double fps = 0;                                     // frames recognised per second (both models)
    std::array<double, 2> modelFps{0, 0};               // what the pipeline would reach with that model alone
    std::array<double, 2> perFaceMs{0, 0};              // embedding one face
    double detectMs = 0, landmarksMs = 0, alignMs = 0;  // per frame
    qint64 frames = 0, dropped = 0;                     // recognised; skipped to stay live
    qint64 compared = 0;                                // faces both models decided on (gallery not empty)
    double agreementRate = -1;                          // share of those named the same; -1 before any
    double meanSimilarity = -1;                         // mean cosine original vs pruned; -1 before any
    double threshold = 0;
};

struct LiveFrame {
    QImage image;
    qint64 index = -1;
    QVector<LiveFace> faces;
    LiveStats stats;
};

struct LivePerson {
    QString name;
    int samples = 0;
    QImage thumbnail;  // the first enrolled face
};

}  // namespace fp::jobs

Q_DECLARE_METATYPE(fp::jobs::LiveSource)
Q_DECLARE_METATYPE(fp::jobs::LiveModelInfo)
Q_DECLARE_METATYPE(fp::jobs::LiveFace)
Q_DECLARE_METATYPE(fp::jobs::LiveFrame)
Q_DECLARE_METATYPE(fp::jobs::LivePerson)
