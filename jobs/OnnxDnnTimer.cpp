#include "jobs/OnnxDnnTimer.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include <opencv2/dnn.hpp>

#include "util/Errors.h"

namespace fp::jobs {

QVector<double> OnnxDnnTimer::measure(const QStringList& paths, int height, int width, int runs) {
    constexpr int kWarmup = 3;  // cv::dnn sets its layers up on the first forwards
    const int dims[] = {1, 3, height, width};
    const cv::Mat input(4, dims, CV_32F, cv::Scalar(0));
    std::vector<cv::dnn::Net> nets;
    for (const QString& path : paths) try {
            nets.push_back(cv::dnn::readNetFromONNX(path.toStdString()));
            for (int i = 0; i < kWarmup; ++i) {
                nets.back().setInput(input);
                nets.back().forward();
            }
        } catch (const cv::Exception& e) {
            throw Error(path.toStdString() + ": OpenCV cannot run it (" + e.what() + ")");
        }
    QVector<double> best(paths.size(), 1e30);
    for (int r = 0; r < std::max(1, runs); ++r)
        for (size_t i = 0; i < nets.size(); ++i) {
            nets[i].setInput(input);
            const auto t0 = std::chrono::steady_clock::now();
            nets[i].forward();
            best[i] = std::min(best[i], std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        }
    return best;
}

}  // namespace fp::jobs
