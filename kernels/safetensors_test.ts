import assert from "node:assert/strict";
import { join } from "node:path";
import { initBackend, tf } from "./backend.ts";
import { Rng } from "./rng.ts";
import { withTempDir } from "@creditlab/core/testing";
import { type ModelConfig, Transformer } from "./model.ts";
import {
  decodeSafetensors,
  encodeSafetensors,
  type HostTensor,
  loadCheckpoint,
  loadTensors,
  saveCheckpoint,
  saveTensors,
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
      const m = new Transformer(cfg, { rng: new Rng(9) });
      const p = join(dir, "model.safetensors");
      await saveCheckpoint(p, m, { extra: { tokenizer: '{"v":1}', step: "3" } });
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
    const m = new Transformer(cfg, { rng: new Rng(1) });
    const good = join(dir, "good.safetensors");
    await saveCheckpoint(good, m);
    const bytes = await Deno.readFile(good);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    const write = async (name: string, b: Uint8Array) => {
      const p = join(dir, name);
      await Deno.writeFile(p, b);
      return p;
    };
    const withHeader = (h: unknown, data = bytes.subarray(8 + n)) =>
      encodeRaw(JSON.stringify(h), data);

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
    const mb = await Deno.readFile(mism);
    const mn = Number(new DataView(mb.buffer).getBigUint64(0, true));
    const mh = JSON.parse(new TextDecoder().decode(mb.subarray(8, 8 + mn)));
    mh.__metadata__.config = JSON.stringify(cfg);
    const pm = await write("mm.safetensors", encodeRaw(JSON.stringify(mh), mb.subarray(8 + mn)));
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
