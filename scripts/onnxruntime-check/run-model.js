// Runs an ONNX model in ONNX Runtime (CPU) on one raw float32 input and writes
// every model output as raw float32 (little-endian, row-major).
//   node run-model.js MODEL.onnx INPUT.bin N,C,H,W OUT_PREFIX
// writes OUT_PREFIX.<output name>.bin per output and prints one JSON line:
//   {"ort": "1.30.0", "outputs": [{"name": "embedding", "dims": [2, 512], "file": "..."}]}
// Exit code 1 with a message on stderr when anything fails (the caller shows it).
'use strict';

const fs = require('fs');

async function main() {
    const [modelPath, inputPath, dimsText, outPrefix] = process.argv.slice(2);
    if (!outPrefix) throw new Error('usage: node run-model.js MODEL.onnx INPUT.bin N,C,H,W OUT_PREFIX');

    let ort;
    try {
        ort = require('onnxruntime-node');
    } catch (e) {
        throw new Error(`onnxruntime-node is not installed here (${__dirname}): run ` +
                        `"npm ci --ignore-scripts" in that folder (${e.message})`);
    }

    const dims = dimsText.split(',').map(Number);
    const bytes = fs.readFileSync(inputPath);
    const expected = dims.reduce((a, b) => a * b, 1);
    if (bytes.length !== expected * 4)
        throw new Error(`${inputPath}: ${bytes.length} bytes, expected ${expected * 4} for dims ${dims}`);
    // Copy into an aligned buffer: Buffer slices need not start on a 4-byte boundary.
    const data = new Float32Array(expected);
    new Uint8Array(data.buffer).set(bytes);

    // Two threads: the machine is small and shared; results do not depend on it.
    const session = await ort.InferenceSession.create(modelPath, {intraOpNumThreads: 2, interOpNumThreads: 1});
    const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', data, dims)};
    const results = await session.run(feeds);

    const outputs = [];
    for (const name of session.outputNames) {
        const t = results[name];
        if (t.type !== 'float32') throw new Error(`output ${name} is ${t.type}, not float32`);
        const file = `${outPrefix}.${name}.bin`;
        fs.writeFileSync(file, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
        outputs.push({name, dims: t.dims, file});
    }
    process.stdout.write(JSON.stringify({ort: ort.env.versions.node, outputs}) + '\n');
}

main().catch((e) => {
    process.stderr.write(`onnxruntime-check: ${e.message}\n`);
    process.exit(1);
});
