#!/usr/bin/env node
// Reference embeddings for tests/core/tst_faceapi_importer.cpp.
//
// Cuts fixed 150x150 face crops out of face-api's demo photos, stores them as
// PNG (lossless, so the C++ test feeds the very same pixels), runs face-api's
// own faceRecognitionNet (dist/face-api.node-wasm.js on TF.js 4.22 WASM) on the
// decoded PNGs and writes the 128-d descriptors to tests/data/faceapi/reference.json.
//
//   cd scripts/faceapi-reference && npm install --ignore-scripts && node make-reference.js
//   node make-reference.js --cpu   # re-runs the stored crops on the plain JS backend and
//                                  # prints how far it lands from the WASM reference
//
// The face-api package comes from the asset cache (scripts/fetch-assets.sh):
// $FACEPRUNE_ASSETS, else $XDG_CACHE_HOME/faceprune/assets, else ~/.cache/faceprune/assets.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const Module = require('module');

// face-api's node build requires '@tensorflow/tfjs' from its own folder, where
// there is no node_modules: let it resolve to ours, so both share one tf instance.
process.env.NODE_PATH = [path.join(__dirname, 'node_modules'), process.env.NODE_PATH || '']
    .filter(Boolean).join(path.delimiter);
Module._initPaths();

const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');
const jpeg = require('jpeg-js');
const { PNG } = require('pngjs');

const repoRoot = path.resolve(__dirname, '..', '..');
const outDir = path.join(repoRoot, 'tests', 'data', 'faceapi');

function assetDir() {
    if (process.env.FACEPRUNE_ASSETS) return process.env.FACEPRUNE_ASSETS;
    const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
    return path.join(cache, 'faceprune', 'assets');
}
const faceApiDir = path.join(assetDir(), 'face-api');

// One face per demo photo: square windows (x, y, side, in source pixels) around
// the face boxes that face-api's SSD detector finds, fixed here so that the
// crops never change with a detector or decoder version.
const crops = [
    { file: 'face1.png', photo: 'sample1.jpg', x: 384, y: 355, side: 238 },
    { file: 'face2.png', photo: 'sample2.jpg', x: 1422, y: 153, side: 244 },
    { file: 'face3.png', photo: 'sample3.jpg', x: 549, y: 329, side: 272 },
    { file: 'face4.png', photo: 'sample4.jpg', x: 629, y: 52, side: 258 },
    { file: 'face5.png', photo: 'sample5.jpg', x: 759, y: 109, side: 212 },
    { file: 'face6.png', photo: 'sample6.jpg', x: 1135, y: 305, side: 280 },
];
const size = 150;

function decodeJpeg(file) {
    const img = jpeg.decode(fs.readFileSync(file), { useTArray: true, formatAsRGBA: true });
    return tf.tidy(() => tf.tensor3d(img.data, [img.height, img.width, 4], 'int32').slice([0, 0, 0], [-1, -1, 3]));
}

// Crop, bilinear resize to 150x150, round to 8 bits: the pixels the PNG stores.
function makeCrop(photo, c) {
    return tf.tidy(() => {
        const [h, w] = photo.shape;
        if (c.x < 0 || c.y < 0 || c.x + c.side > w || c.y + c.side > h)
            throw new Error(`${c.photo}: crop ${c.x},${c.y},${c.side} leaves the ${w}x${h} image`);
        const window = photo.slice([c.y, c.x, 0], [c.side, c.side, 3]).toFloat();
        const resized = tf.image.resizeBilinear(window, [size, size], false, true);
        return resized.round().clipByValue(0, 255).toInt();
    });
}

function writePng(file, rgb) {
    const png = new PNG({ width: size, height: size, colorType: 2, inputColorType: 2, bitDepth: 8 });
    png.data = Buffer.from(rgb);
    fs.writeFileSync(file, PNG.sync.write(png, { colorType: 2, inputColorType: 2, deflateLevel: 9 }));
}

function readPng(file) {
    const png = PNG.sync.read(fs.readFileSync(file));  // always RGBA
    if (png.width !== size || png.height !== size) throw new Error(`${file}: not ${size}x${size}`);
    return tf.tidy(() => tf.tensor3d(png.data, [size, size, 4], 'int32').slice([0, 0, 0], [-1, -1, 3]));
}

async function describe(net, input) {
    return Array.from(await net.computeFaceDescriptor(input));
}


async function loadNet(backend) {
    await tf.setBackend(backend);
    await tf.ready();
    const faceapi = require(path.join(faceApiDir, 'dist', 'face-api.node-wasm.js'));
    await faceapi.nets.faceRecognitionNet.loadFromDisk(path.join(faceApiDir, 'model'));
    return faceapi;
}

async function writeReference() {
    const faceapi = await loadNet('wasm');
    const net = faceapi.nets.faceRecognitionNet;
    fs.mkdirSync(outDir, { recursive: true });
    const results = [];
    for (const c of crops) {
        const photo = decodeJpeg(path.join(faceApiDir, 'demo', c.photo));
        const crop = makeCrop(photo, c);
        writePng(path.join(outDir, c.file), await crop.data());
        // Describe what was stored, read back, to prove the round trip is lossless.
        const stored = readPng(path.join(outDir, c.file));
        if ((await tf.equal(stored, crop).all().data())[0] !== 1)
            throw new Error(`${c.file}: PNG round trip changed the pixels`);
        const descriptor = await describe(net, stored);
        results.push({ file: c.file, source: `face-api/demo/${c.photo}`, crop: [c.x, c.y, c.side, c.side],
                       descriptor });
        tf.dispose([photo, crop, stored]);
        console.log(`${c.file}: ${c.photo} [${c.x}, ${c.y}, ${c.side}] -> |d| = ` +
                    `${Math.hypot(...descriptor).toFixed(4)}`);
    }
    const reference = {
        generator: 'scripts/faceapi-reference/make-reference.js',
        model: 'face-api/model/face_recognition_model-weights_manifest.json',
        faceApi: faceapi.version,
        tfjs: tf.version.tfjs,
        backend: tf.getBackend(),
        input: '150x150 RGB PNG crops, fed as int32 [150,150,3] tensors to computeFaceDescriptor',
        faces: results,
    };
    const out = path.join(outDir, 'reference.json');
    fs.writeFileSync(out, JSON.stringify(reference, null, 1) + '\n');
    console.log(`wrote ${path.relative(repoRoot, out)} (face-api ${faceapi.version}, tfjs ${tf.version.tfjs}, ` +
                `backend ${tf.getBackend()})`);
}

// The spread between two TF.js backends is the noise floor any port must live with.
async function compareCpu() {
    const faceapi = await loadNet('cpu');
    const reference = JSON.parse(fs.readFileSync(path.join(outDir, 'reference.json'), 'utf8'));
    let worst = 0;
    for (const face of reference.faces) {
        const input = readPng(path.join(outDir, face.file));
        const d = await describe(faceapi.nets.faceRecognitionNet, input);
        input.dispose();
        const diff = Math.max(...d.map((v, i) => Math.abs(v - face.descriptor[i])));
        worst = Math.max(worst, diff);
        console.log(`${face.file}: cpu vs ${reference.backend} max |diff| = ${diff.toExponential(3)}`);
    }
    console.log(`worst: ${worst.toExponential(3)}`);
}

(process.argv.includes('--cpu') ? compareCpu() : writeReference()).catch((e) => {
    console.error(e);
    process.exit(1);
});
