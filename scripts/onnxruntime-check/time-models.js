// Batch-1 latency of ONNX files in ONNX Runtime (CPU), on a zero input.
//   node time-models.js N,C,H,W RUNS MODEL.onnx...
// prints one JSON line: {"ort": "1.30.0", "ms": [best ms of MODEL 1, of MODEL 2, ...]}
// After a few warm-up runs the files take turns, so whatever else runs on the
// machine weighs on all of them alike; each figure is the fastest of RUNS.
// Exit code 1 with a message on stderr when anything fails (the caller shows it).
'use strict';

const kWarmup = 3;  // the first runs allocate and pick kernels

async function main() {
    const [dimsText, runsText, ...models] = process.argv.slice(2);
    if (models.length === 0) throw new Error('usage: node time-models.js N,C,H,W RUNS MODEL.onnx...');
    const dims = dimsText.split(',').map(Number);
    const runs = Math.max(1, Number(runsText) || 1);

    let ort;
    try {
        ort = require('onnxruntime-node');
    } catch (e) {
        throw new Error(`onnxruntime-node is not installed here (${__dirname}): run ` +
                        `"npm ci --ignore-scripts" in that folder (${e.message})`);
    }

    const input = new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
    const sessions = [];
    for (const model of models) {
        let session;
        try {
            // Two threads: what FacePrune's own figures and cv::dnn use on this small machine.
            session = await ort.InferenceSession.create(model, {intraOpNumThreads: 2, interOpNumThreads: 1});
        } catch (e) {
            throw new Error(`${model}: ONNX Runtime cannot load it (${e.message})`);
        }
        const feeds = {[session.inputNames[0]]: input};
        for (let i = 0; i < kWarmup; ++i) await session.run(feeds);
        sessions.push({session, feeds});
    }

    const best = sessions.map(() => Infinity);
    for (let r = 0; r < runs; ++r) {
        for (let i = 0; i < sessions.length; ++i) {
            const t0 = process.hrtime.bigint();
            await sessions[i].session.run(sessions[i].feeds);
            best[i] = Math.min(best[i], Number(process.hrtime.bigint() - t0) / 1e6);
        }
    }
    process.stdout.write(JSON.stringify({ort: ort.env.versions.node, ms: best}) + '\n');
}

main().catch((e) => {
    process.stderr.write(`onnxruntime-check: ${e.message}\n`);
    process.exit(1);
});
