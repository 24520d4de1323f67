#pragma once
// Typed exceptions thrown by core. Messages are written for the user: they name
// the file, node or setting at fault and what was expected.
#include <stdexcept>
#include <string>

namespace fp {

struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};
// A model file that cannot be read or makes no sense.
struct ModelFileError : Error { using Error::Error; };
// A graph whose structure or shapes are inconsistent.
struct GraphError : Error { using Error::Error; };
// An operator the importer or exporter cannot represent.
struct UnsupportedOpError : Error { using Error::Error; };
// Input data (images, batches) that do not fit the model.
struct InputError : Error { using Error::Error; };
// Training whose loss became NaN or infinite: the weights of that step are not worth keeping.
struct TrainingDiverged : Error { using Error::Error; };
// A required asset (npm model file) that is missing or corrupt.
struct AssetError : Error { using Error::Error; };
// The user stopped the work. Not a failure: what was saved stays (a run resumes), the CLI exits 130
// and the window says "stopped". The one way core, jobs and CLI unwind on a cancel.
struct Cancelled : Error {
    Cancelled() : Error("cancelled") {}
    using Error::Error;
};

}  // namespace fp
