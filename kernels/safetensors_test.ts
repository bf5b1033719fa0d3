import assert from "node:assert/strict";
import { join } from "node:path";
import { initBackend, tf } from "./backend.ts";
import { Rng } from "./rng.ts";
import { withTempDir } from "@creditlab/core/testing";
import { type ModelConfig, Transformer } from "./model.ts";
import {
  assertFiniteTensors,
  CHECKPOINT_BOUNDS,
  decodeSafetensors,
  encodeSafetensors,
  type HostTensor,
  loadCheckpoint,
  loadTensors,
  saveCheckpoint,
  saveTensors,
  toHostTensors,
} from "./safetensors.ts";

const cfg: ModelConfig = {
  vocabSize: 17,
  dModel: 16,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  ffnHidden: 20,
  maxSeqLen: 16,
  ropeTheta: 10000,
  normEps: 1e-6,
  tiedEmbeddings: false,
};

const withTmp = (f: (dir: string) => Promise<void>) => withTempDir(f, { prefix: "creditlab-st-" });

Deno.test("safetensors: byte layout follows the format (LE length, padded JSON, offsets)", () => {
  const bytes = encodeSafetensors(
    new Map<string, HostTensor>([
      ["a", { shape: [2], data: Float32Array.of(1, -2) }],
      ["b", { shape: [1, 1], data: Float32Array.of(0.5) }],
    ]),
    { note: "hi" },
  );
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(n % 8, 0);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  assert.deepEqual(header, {
    __metadata__: { note: "hi" },
    a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
    b: { dtype: "F32", shape: [1, 1], data_offsets: [8, 12] },
  });
  assert.equal(bytes.length, 8 + n + 12);
  const data = new DataView(bytes.buffer, 8 + n);
  assert.equal(data.getFloat32(4, true), -2);
  assert.equal(data.getFloat32(8, true), 0.5);
  const back = decodeSafetensors(bytes);
  assert.deepEqual(back.metadata, { note: "hi" });
  assert.deepEqual(back.tensors.get("a"), { shape: [2], data: Float32Array.of(1, -2) });
});

Deno.test("safetensors: named tensors round-trip bit-exactly through a file", async () => {
  await withTmp(async (dir) => {
    const rng = new Rng(2);
    const t = new Map<string, HostTensor>([
      ["m.0", { shape: [3, 4], data: Float32Array.from({ length: 12 }, () => rng.normal()) }],
      ["v.0", { shape: [5], data: Float32Array.of(0, -0, 1e-40, 3.4e38, -1) }],
      ["empty", { shape: [0, 3], data: new Float32Array(0) }],
    ]);
    const p = join(dir, "opt.safetensors");
    await saveTensors(p, t, { metadata: { step: "7" } });
    const back = await loadTensors(p);
    assert.deepEqual(back.metadata, { step: "7" });
    for (const [k, v] of t) {
      const got = back.tensors.get(k)!;
      assert.deepEqual(got.shape, v.shape);
      assert.deepEqual(
        new Uint8Array(got.data.buffer, got.data.byteOffset, got.data.byteLength),
        new Uint8Array(v.data.buffer),
      );
    }
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["opt.safetensors"]);
  });
});

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`checkpoint (${backend}): save/load gives identical weights and identical logits`, async () => {
    await initBackend({ backend });
    await withTmp(async (dir) => {
      const { m, p } = await savedModel(dir, 9, "model.safetensors", {
        tokenizer: '{"v":1}',
        step: "3",
      });
      const { model, extra, config } = await loadCheckpoint(p);
      assert.deepEqual(extra, { tokenizer: '{"v":1}', step: "3" });
      assert.deepEqual(config, { ...cfg, qkNorm: true });
      const a = m.namedVariables(), b = model.namedVariables();
      assert.deepEqual(a.map(([n]) => n), b.map(([n]) => n));
      a.forEach(([n, v], i) => assert.deepEqual(v.dataSync(), b[i]![1].dataSync(), n));
      const toks = tf.tensor2d([[1, 5, 16, 0, 3]], undefined, "int32");
      assert.deepEqual(m.forward(toks).dataSync(), model.forward(toks).dataSync());
      m.dispose();
      model.dispose();
    });
  });
}

Deno.test("checkpoint: corrupt, truncated and mismatched files give errors naming the file", async () => {
  await initBackend({ backend: "cpu" });
  await withTmp(async (dir) => {
    const { m, p: good } = await savedModel(dir, 1);
    const bytes = await Deno.readFile(good);
    const { header, data } = split(bytes);
    const write = async (name: string, b: Uint8Array) => {
      const p = join(dir, name);
      await Deno.writeFile(p, b);
      return p;
    };
    const withHeader = (h: unknown) => encodeRaw(JSON.stringify(h), data);

    const cases: [string, Uint8Array, RegExp][] = [
      ["short", bytes.subarray(0, 5), /too short/],
      ["trunc", bytes.subarray(0, bytes.length - 4), /truncated/],
      ["trail", concat(bytes, Uint8Array.of(1, 2, 3, 4)), /4 unexpected trailing bytes/],
      [
        "hugeheader",
        concat(Uint8Array.of(255, 255, 255, 0, 0, 0, 0, 0), bytes.subarray(8)),
        /header length .* exceeds/,
      ],
      ["badjson", encodeRaw("{not json", new Uint8Array(0)), /not valid UTF-8 JSON/],
      [
        "dtype",
        withHeader({ ...header, embed: { ...header.embed, dtype: "BF16" } }),
        /"embed": dtype "BF16" is not supported/,
      ],
      [
        "shape",
        withHeader({ ...header, final_norm: { ...header.final_norm, shape: [8] } }),
        /"final_norm": data_offsets span 64 bytes but shape \[8\] F32 needs 32/,
      ],
      [
        "noconfig",
        withHeader({ ...header, __metadata__: { format: "creditlab" } }),
        /config is missing/,
      ],
      [
        "badconfig",
        withHeader({
          ...header,
          __metadata__: { config: JSON.stringify({ ...cfg, nKvHeads: 3 }) },
        }),
        /config is invalid: ModelConfig.nKvHeads/,
      ],
    ];
    for (const [name, b, re] of cases) {
      const p = await write(`${name}.safetensors`, b);
      await assert.rejects(loadCheckpoint(p), (e: Error) => {
        assert.match(e.message, re, name);
        assert.ok(e.message.includes(p), `${name}: message names the file: ${e.message}`);
        return true;
      });
    }
    // a tensor missing / unexpected / wrong shape against the config
    const other = new Transformer({ ...cfg, ffnHidden: 24 }, { rng: new Rng(1) });
    const mism = join(dir, "mismatch.safetensors");
    await saveCheckpoint(mism, other);
    const { header: mh, data: md } = split(await Deno.readFile(mism));
    mh.__metadata__.config = JSON.stringify(cfg);
    delete mh.__metadata__.checksum; // as an older file, or one whose editor dropped it
    const pm = await write("mm.safetensors", encodeRaw(JSON.stringify(mh), md));
    await assert.rejects(
      loadCheckpoint(pm),
      /"layers.0.w_gate" has shape \[16,24\], config needs \[16,20\]/,
    );
    await assert.rejects(
      loadCheckpoint(join(dir, "nope.safetensors")),
      /nope.safetensors: cannot read/,
    );
    await assert.rejects(
      saveCheckpoint(join(dir, "x.safetensors"), m, { extra: { config: "x" } }),
      /reserved/,
    );
    m.dispose();
    other.dispose();
  });
});

/** A `cfg` model with weights from `seed`, saved (with `extra`) as `name` in `dir`. */
async function savedModel(
  dir: string,
  seed: number,
  name = "good.safetensors",
  extra?: Record<string, string>,
): Promise<{ m: Transformer; p: string }> {
  const m = new Transformer(cfg, { rng: new Rng(seed) });
  const p = join(dir, name);
  await saveCheckpoint(p, m, extra ? { extra } : {});
  return { m, p };
}

/** The header (parsed) and the data section of safetensors bytes. */
// deno-lint-ignore no-explicit-any
function split(bytes: Uint8Array): { header: Record<string, any>; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return {
    header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))),
    data: bytes.subarray(8 + n),
  };
}

/** The file's error message when loading checkpoint `path` fails (fails the test if it loads). */
async function loadError(path: string): Promise<string> {
  try {
    const { model } = await loadCheckpoint(path);
    model.dispose();
  } catch (e) {
    const msg = (e as Error).message;
    assert.ok(msg.includes(path), `the message names the file: ${msg}`);
    return msg;
  }
  assert.fail(`${path} loaded`);
}

Deno.test("checkpoint: saved with a checksum; a file without one (older saver) still loads bit-exactly", async () => {
  await initBackend({ backend: "cpu" });
  await withTmp(async (dir) => {
    const { m, p } = await savedModel(dir, 3, "new.safetensors", { step: "4" });
    const { header } = split(await Deno.readFile(p));
    const sums = JSON.parse(header.__metadata__.checksum).sha256;
    assert.match(sums.header, /^[0-9a-f]{64}$/);
    assert.deepEqual(Object.keys(sums.tensors), m.namedVariables().map(([n]) => n));
    assert.equal((await loadTensors(p)).verified, true);
    assert.deepEqual(Object.keys((await loadTensors(p)).metadata).sort(), [
      "config",
      "format",
      "step",
    ]);
    // The bytes the saver wrote before checksums: same tensors and metadata, no checksum.
    const legacy = join(dir, "legacy.safetensors");
    const metadata = { format: "creditlab", config: JSON.stringify(m.config), step: "4" };
    await Deno.writeFile(legacy, encodeSafetensors(toHostTensors(m.namedVariables()), metadata));
    assert.equal((await loadTensors(legacy)).verified, false);
    for (const path of [p, legacy]) {
      const { model, extra } = await loadCheckpoint(path);
      assert.deepEqual(extra, { step: "4" });
      const a = m.namedVariables(), b = model.namedVariables();
      a.forEach(([n, v], i) => assert.deepEqual(v.dataSync(), b[i]![1].dataSync(), n));
      model.dispose();
    }
    await assert.rejects(
      saveCheckpoint(join(dir, "x.safetensors"), m, { extra: { checksum: "x" } }),
      /extra key "checksum" is reserved/,
    );
    await assert.rejects(
      saveTensors(join(dir, "y.safetensors"), new Map(), { metadata: { checksum: "x" } }),
      /metadata key "checksum" is reserved/,
    );
    m.dispose();
  });
});

Deno.test("checkpoint: NaN weights are refused naming the file and the tensor, with or without a checksum", async () => {
  await initBackend({ backend: "cpu" });
  await withTmp(async (dir) => {
    const m = new Transformer(cfg, { rng: new Rng(4) });
    const named = new Map(m.namedVariables());
    const w = named.get("layers.1.wv")!;
    const vals = w.dataSync() as Float32Array;
    vals[5] = NaN;
    vals[7] = -Infinity;
    w.assign(tf.tensor(vals, w.shape));
    const p = join(dir, "nan.safetensors");
    await saveCheckpoint(p, m); // a valid checksum over NaN weights
    assert.match(
      await loadError(p),
      /tensor "layers.1.wv" holds 2 non-finite values of 128 \(first: NaN at index 5\)/,
    );
    const legacy = join(dir, "nan-legacy.safetensors");
    const metadata = { format: "creditlab", config: JSON.stringify(m.config) };
    await Deno.writeFile(legacy, encodeSafetensors(toHostTensors(m.namedVariables()), metadata));
    assert.match(await loadError(legacy), /tensor "layers.1.wv" holds 2 non-finite values/);
    assert.doesNotThrow(() =>
      assertFiniteTensors(new Map([["ok", { shape: [2], data: Float32Array.of(0, -3e38) }]]), "x")
    );
    m.dispose();
  });
});

Deno.test("checkpoint: flipped bytes are refused naming the file and the tensor", async () => {
  await initBackend({ backend: "cpu" });
  await withTmp(async (dir) => {
    const { m, p } = await savedModel(dir, 5);
    const bytes = await Deno.readFile(p);
    const dataStart = bytes.length - split(bytes).data.length;
    // One flipped low mantissa bit: the weight stays finite and plausible.
    const { header } = split(bytes);
    const [begin] = header["layers.0.w_up"].data_offsets as [number, number];
    const one = bytes.slice();
    one[dataStart + begin + 4] = one[dataStart + begin + 4]! ^ 1;
    await Deno.writeFile(join(dir, "one.safetensors"), one);
    assert.match(
      await loadError(join(dir, "one.safetensors")),
      /tensor "layers.0.w_up": its bytes do not match their checksum/,
    );
    // 2,000 random bytes of the data section overwritten.
    const many = bytes.slice();
    const rng = new Rng(6);
    for (let i = 0; i < 2000; i++) {
      many[dataStart + rng.int(bytes.length - dataStart)] = rng.int(256);
    }
    await Deno.writeFile(join(dir, "many.safetensors"), many);
    assert.match(
      await loadError(join(dir, "many.safetensors")),
      /tensor "[a-z_.0-9]+": its bytes do not match their checksum/,
    );
    m.dispose();
  });
});

Deno.test("checkpoint: an edited header is refused: maxSeqLen 1e9 (checksum or bounds), bounds named", async () => {
  await initBackend({ backend: "cpu" });
  await withTmp(async (dir) => {
    const { m, p } = await savedModel(dir, 7);
    const { header, data } = split(await Deno.readFile(p));
    const edit = async (name: string, change: Partial<ModelConfig>, keepChecksum: boolean) => {
      const h = structuredClone(header);
      h.__metadata__.config = JSON.stringify({ ...JSON.parse(h.__metadata__.config), ...change });
      if (!keepChecksum) delete h.__metadata__.checksum;
      const path = join(dir, name);
      await Deno.writeFile(path, encodeRaw(JSON.stringify(h), data));
      return path;
    };
    assert.match(
      await loadError(await edit("a.safetensors", { maxSeqLen: 1e9 }, true)),
      /the header does not match its checksum/,
    );
    assert.match(
      await loadError(await edit("b.safetensors", { maxSeqLen: 1e9 }, false)),
      /__metadata__.config is out of bounds: maxSeqLen is 1000000000, expected at most 32768/,
    );
    assert.match(
      await loadError(await edit("c.safetensors", { ropeTheta: 1e300, normEps: 5 }, false)),
      /ropeTheta is 1e\+300, expected 1 to 1000000000; normEps is 5, expected at most 0.1/,
    );
    // Within bounds and without a checksum, an edited maxSeqLen is what the header says.
    const ok = await edit("d.safetensors", { maxSeqLen: CHECKPOINT_BOUNDS.maxSeqLen }, false);
    const { model } = await loadCheckpoint(ok);
    assert.equal(model.config.maxSeqLen, 32768);
    model.dispose();
    const big = new Transformer({ ...cfg, maxSeqLen: 40_000 }, { rng: new Rng(7) });
    await assert.rejects(
      saveCheckpoint(join(dir, "big.safetensors"), big),
      /big.safetensors: config out of bounds: maxSeqLen is 40000/,
    );
    big.dispose();
    m.dispose();
  });
});

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const o = new Uint8Array(a.length + b.length);
  o.set(a);
  o.set(b, a.length);
  return o;
}

function encodeRaw(json: string, data: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(json);
  const o = new Uint8Array(8 + h.length + data.length);
  new DataView(o.buffer).setBigUint64(0, BigInt(h.length), true);
  o.set(h, 8);
  o.set(data, 8 + h.length);
  return o;
}
