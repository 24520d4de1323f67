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

}  // namespace fp
