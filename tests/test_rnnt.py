"""RNN-T (benchmarks/rnnt) on a tiny embedded data set and a tiny model.

The model has the reference's layers at a tiny width; the data set has a few
synthetic utterances of 1-3 s. Checks that do not rest on our own labels:
the mel filterbank against librosa, the feature chain against a NumPy
implementation of the spec's formulas, the greedy decoder on hand-built
joint outputs, and the WER against jiwer on hand-counted pairs. Needs the
`benchmarks` extra (torch, onnxruntime, onnx, soundfile, jiwer) and, for the
filterbank, librosa (the `test` extra).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import benchmark_helpers as bench
import numpy as np
import pytest

RUN_PY = bench.use_benchmark("rnnt")
torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")
sf = pytest.importorskip("soundfile")
pytest.importorskip("jiwer")

from loadgen.harness import BackendOptions, RunOptions, create_backend, run_benchmark
from rnnt import accuracy, synthetic
from rnnt import dataset as ds
from rnnt import features as feat
from rnnt import model as rnnt_model
from rnnt.decoder import RNNTOnnxBackend, RNNTTorchBackend, greedy_decode
from rnnt.run import SPEC, postprocess

N_UTT = 6
MAX_S = 3.0


cache = bench.cache_fixture("rnnt")


@pytest.fixture(scope="module")
def assets(cache) -> synthetic.DefaultAssets:
    return synthetic.ensure_default_assets(
        cache, count=N_UTT, size="tiny", log=lambda s: None, max_seconds=MAX_S
    )


def options(assets, cache, tmp_path, scenario, backend, **kw) -> RunOptions:
    model = assets.onnx_dir if backend == "onnxruntime" else assets.torch_model
    return bench.short_run_options(model, assets.data_dir, cache, tmp_path, scenario, backend, **kw)


# --- Features, against things we did not write.


def test_mel_filterbank_equals_librosa_slaney():
    import librosa

    ours = feat.slaney_mel_filterbank()
    theirs = librosa.filters.mel(
        sr=16000, n_fft=512, n_mels=80, fmin=0.0, fmax=8000.0, htk=False, norm="slaney"
    )
    assert ours.shape == theirs.shape == (80, 257)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)


def numpy_features(x: np.ndarray) -> np.ndarray:
    """The spec's chain (benchmarks.md §4.2) for one utterance, in float64 NumPy,
    with librosa's filterbank: [T, 240]."""
    import librosa

    x = x.astype(np.float64)
    y = np.concatenate(([x[0]], x[1:] - 0.97 * x[:-1]))
    y = np.pad(y, 256, mode="reflect")
    n_frames = 1 + (len(y) - 512) // 160
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(320) / 319)  # symmetric
    window = np.zeros(512)
    window[96 : 96 + 320] = hann
    frames = np.stack([y[i * 160 : i * 160 + 512] * window for i in range(n_frames)])
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2 + 1e-10
    fb = librosa.filters.mel(sr=16000, n_fft=512, n_mels=80).astype(np.float64)
    logmel = np.log(power @ fb.T + 1e-20)  # [F, 80]
    padded = np.concatenate((logmel, np.zeros((2, 80))))
    spliced = np.concatenate([padded[k : k + n_frames] for k in range(3)], axis=1)[::3]
    frames_10ms = -(-len(x) // 160)  # ceil
    valid = -(-frames_10ms // 3)
    spliced = spliced[:valid]
    return (spliced - spliced.mean(0)) / (spliced.std(0, ddof=1) + 1e-5)


def test_feature_chain_matches_a_numpy_implementation_of_the_formulas():
    rng = np.random.default_rng(1)
    lengths = [16000, 4321, 9760]  # 9760 = 61 hops exactly
    audio = np.zeros((3, max(lengths)), dtype=np.float32)
    for i, n in enumerate(lengths):
        t = np.arange(n) / 16000
        audio[i, :n] = 0.3 * np.sin(2 * np.pi * (200 + 100 * i) * t) + rng.normal(0, 0.05, n)
    x, valid = feat.Featurizer()(torch.from_numpy(audio), torch.tensor(lengths))
    assert x.shape[1:] == (3, 240)
    for i, n in enumerate(lengths):
        expected = numpy_features(audio[i, :n])
        assert int(valid[i]) == len(expected)
        np.testing.assert_allclose(x[: len(expected), i].numpy(), expected, atol=2e-3)
        assert not x[len(expected) :, i].any()  # padding frames are zero


def test_features_of_an_utterance_do_not_depend_on_its_batch():
    rng = np.random.default_rng(2)
    lengths = [12000, 3000, 7777]
    audio = np.zeros((3, 12000), dtype=np.float32)
    for i, n in enumerate(lengths):
        audio[i, :n] = rng.normal(0, 0.1, n)
    fz = feat.Featurizer()
    x, valid = fz(torch.from_numpy(audio), torch.tensor(lengths))
    for i, n in enumerate(lengths):
        alone, v = fz(torch.from_numpy(audio[i : i + 1, :n]), torch.tensor([n]))
        assert int(v[0]) == int(valid[i]) == alone.shape[0]
        np.testing.assert_allclose(x[: alone.shape[0], i].numpy(), alone[:, 0].numpy(), atol=1e-5)


def test_featurizer_rejects_audio_too_short_for_the_centred_stft():
    with pytest.raises(ValueError, match="must lie in"):
        feat.Featurizer()(torch.zeros(1, 100), torch.tensor([100]))


# --- Greedy decoding on hand-built joint outputs.


def counting_step(targets: np.ndarray):
    """A hand-built step: the state h[0, b, 0] counts the symbols emitted so far;
    the frame holds how many should have been emitted by its end. Emit symbol
    ((count % 27) + 1) while count < target, else blank. The returned state is
    always count + 1, also for a blank: the loop must drop it then. Asserts
    that the symbol fed is the last one emitted (blank = the start)."""
    calls = []

    def step(frames, symbols, h, c):
        count = h[0, :, 0].astype(np.int64)
        expected_last = np.where(count == 0, 28, ((count - 1) % 27) + 1)
        assert np.array_equal(symbols, expected_last), (symbols, expected_last)
        target = frames[:, 0].astype(np.int64)
        logits = np.zeros((len(frames), 29), dtype=np.float32)
        emit = count < target
        logits[np.arange(len(frames)), np.where(emit, (count % 27) + 1, 28)] = 1.0
        calls.append(len(frames))
        return logits, h + 1, c

    return step, calls


def encoded_from_targets(per_frame: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """[T, B] symbols wanted per frame -> cumulative targets as encoder frames."""
    arr = np.array(per_frame, dtype=np.float32)  # [T, B]
    enc = np.zeros((arr.shape[0], arr.shape[1], 4), dtype=np.float32)
    enc[:, :, 0] = np.cumsum(arr, axis=0)
    return enc, arr


def test_greedy_decoder_blank_at_once_emits_nothing():
    enc, _ = encoded_from_targets([[0, 0], [0, 0], [0, 0]])
    step, calls = counting_step(None)
    symbols, counts = greedy_decode(enc, np.array([3, 2]), step, (1, 1))
    assert counts.tolist() == [0, 0] and symbols.shape == (2, 0)
    assert calls == [2, 2, 1]  # one try per frame; the second utterance has 2 frames


def test_greedy_decoder_emits_several_symbols_on_one_frame_and_advances_state_only_on_symbols():
    enc, _ = encoded_from_targets([[3, 1], [0, 2], [2, 0]])
    step, _ = counting_step(None)
    symbols, counts = greedy_decode(enc, np.array([3, 3]), step, (1, 1))
    assert counts.tolist() == [5, 3]
    assert symbols[0].tolist() == [1, 2, 3, 4, 5]
    assert symbols[1, :3].tolist() == [1, 2, 3] and symbols[1, 3:].tolist() == [28, 28]


def test_greedy_decoder_caps_a_frame_at_30_symbols():
    enc, _ = encoded_from_targets([[100], [100]])
    step, calls = counting_step(None)
    symbols, counts = greedy_decode(enc, np.array([2]), step, (1, 1))
    assert counts.tolist() == [60]  # 30 on each frame, never a 31st try
    assert len(calls) == 60
    assert symbols[0, :3].tolist() == [1, 2, 3] and symbols[0, 29] == 3  # (29 % 27) + 1


def test_greedy_decoder_stops_each_utterance_at_its_length():
    enc, _ = encoded_from_targets([[1, 1], [1, 1], [1, 1]])
    step, _ = counting_step(None)
    _, counts = greedy_decode(enc, np.array([3, 1]), step, (1, 1))
    assert counts.tolist() == [3, 1]


# --- WER, against jiwer and hand counts.


def test_wer_of_known_pairs_and_the_reference_line():
    refs = ["the cat sat", "on the mat"]
    hyps = ["the cat sit", "on mat"]  # one substitution, one deletion: 2 of 6 words
    wer = accuracy.word_error_rate(refs, hyps)
    assert wer == pytest.approx(2 / 6)
    assert accuracy.accuracy_line(wer) == f"Word Error Rate: {100.0 * wer}%, accuracy={100.0 * (1.0 - wer)}%"
    ids = {
        i: np.array([ds.LABELS.index(ch) for ch in h], dtype=np.int64).tobytes() for i, h in enumerate(hyps)
    }
    result = accuracy.evaluate(ids, refs)
    assert result.line.startswith("Word Error Rate: 33.33333333333")
    assert result.value == pytest.approx(100 * 4 / 6)
    assert result.target == pytest.approx((100 - 7.452253714852645) * 0.99)
    assert result.passed is False
    perfect = accuracy.evaluate({0: ids[0], 1: ids[0]}, [hyps[0], hyps[0]], reference_wer=0.0)
    assert perfect.line == "Word Error Rate: 0.0%, accuracy=100.0%" and perfect.passed


def test_an_empty_response_counts_every_reference_word_as_deleted():
    result = accuracy.evaluate({0: b"", 1: np.array([1], dtype=np.int64).tobytes()}, ["a b c", "a"])
    assert result.details["wer_percent"] == pytest.approx(75.0)


def test_transcripts_are_normalised_as_the_reference_does():
    assert (
        ds.normalize_transcript('MR. SMITH\'S  DOG, "REX";  RAN-AWAY!') == "mister smith's dog rex ran away"
    )
    assert ds.normalize_transcript("Café  Ñandú") == "cafe nandu"


# --- Model: the reference checkpoint's keys, ONNX.


def test_reference_checkpoint_loads_after_the_specs_renames(tmp_path):
    expected = set()
    for part, layers in (("encoder.pre_rnn", 2), ("encoder.post_rnn", 3), ("prediction.dec_rnn", 2)):
        for layer in range(layers):
            for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                expected.add(f"{part}.lstm.{w}_l{layer}")
    expected |= {"prediction.embed.weight", "joint.net.0.weight", "joint.net.0.bias"}
    expected |= {"joint.net.3.weight", "joint.net.3.bias"}
    full = rnnt_model.RNNT()
    assert set(full.state_dict()) == expected
    assert rnnt_model.count_parameters(full) == pytest.approx(45.3e6, abs=0.05e6)  # the spec's 45.3 M

    tiny = rnnt_model.RNNT(rnnt_model.EMBEDDED_CONFIGS["tiny"])
    saved = {k.replace("joint.net", "joint_net"): v for k, v in tiny.state_dict().items()}
    saved["audio_preprocessor.featurizer.fb"] = torch.zeros(1, 80, 257)
    saved["audio_preprocessor.featurizer.window"] = torch.zeros(320)
    path = tmp_path / "rnnt.pt"
    torch.save({"state_dict": saved, "epoch": 100}, str(path))
    loaded = rnnt_model.load_model(path)
    assert loaded.cfg == rnnt_model.EMBEDDED_CONFIGS["tiny"]
    for k, v in tiny.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v)
    with pytest.raises(ValueError, match="mismatch"):
        rnnt_model.build_model({**tiny.state_dict(), "extra.weight": torch.zeros(1)})


def test_onnx_graphs_compute_what_torch_computes_at_any_batch(assets):
    model = rnnt_model.load_model(assets.torch_model)
    enc = ort.InferenceSession(
        str(assets.onnx_dir / rnnt_model.ENCODER_FILE), providers=["CPUExecutionProvider"]
    )
    dec = ort.InferenceSession(
        str(assets.onnx_dir / rnnt_model.DECODER_FILE), providers=["CPUExecutionProvider"]
    )
    rng = np.random.default_rng(3)
    for batch, t in ((1, 7), (3, 20)):
        x = rng.normal(size=(t, batch, 240)).astype(np.float32)
        lens = np.array([t] + [max(1, t - 5 * i) for i in range(1, batch)], dtype=np.int64)
        ours_enc, ours_len = rnnt_model.EncoderGraph(model)(torch.from_numpy(x), torch.from_numpy(lens))
        onnx_enc, onnx_len = enc.run(None, {"features": x, "feature_lengths": lens})
        np.testing.assert_allclose(onnx_enc, ours_enc.detach().numpy(), atol=1e-4)
        assert onnx_len.tolist() == ours_len.tolist() == ((lens + 1) // 2).tolist()
        h = rng.normal(size=(2, batch, 16)).astype(np.float32)
        f = rng.normal(size=(batch, 32)).astype(np.float32)
        s = rng.integers(0, 29, size=batch).astype(np.int64)
        ours = rnnt_model.DecoderStep(model)(
            torch.from_numpy(f), torch.from_numpy(s), torch.from_numpy(h), torch.from_numpy(h)
        )
        theirs = dec.run(None, {"encoder_frame": f, "symbol": s, "h_in": h, "c_in": h})
        for a, b in zip(theirs, ours):
            np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-5, atol=1e-4)


def test_fused_torch_step_computes_what_the_lstm_module_step_computes(assets):
    model = rnnt_model.load_model(assets.torch_model)
    rng = np.random.default_rng(6)
    f = torch.from_numpy(rng.normal(size=(4, 32)).astype(np.float32))
    s = torch.tensor([28, 0, 5, 27])
    h = torch.from_numpy(rng.normal(size=(2, 4, 16)).astype(np.float32))
    c = torch.from_numpy(rng.normal(size=(2, 4, 16)).astype(np.float32))
    with torch.no_grad():
        ours = rnnt_model.FusedDecoderStep(model)(f, s, h, c)
        module = rnnt_model.DecoderStep(model)(f, s, h, c)
    for a, b in zip(ours, module):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-4)


def test_batched_encoder_equals_one_utterance_at_a_time(assets):
    model = rnnt_model.load_model(assets.torch_model)
    rng = np.random.default_rng(4)
    x = rng.normal(size=(9, 2, 240)).astype(np.float32)
    x[5:, 1] = 99.0  # padding past the second utterance's 5 frames must not matter
    out, lens = model.encoder(torch.from_numpy(x), torch.tensor([9, 5]))
    alone, alone_len = model.encoder(torch.from_numpy(x[:5, 1:2]), torch.tensor([5]))
    assert lens.tolist() == [5, 3] and alone_len.tolist() == [3]
    np.testing.assert_allclose(out[:3, 1].detach().numpy(), alone[:, 0].detach().numpy(), atol=1e-5)


# --- Data: both forms, the 15 s cut, conversion.


def write_librispeech(root: Path, seconds: list[float]) -> Path:
    rng = np.random.default_rng(5)
    chapter = root / "LibriSpeech" / "dev-clean" / "84" / "121123"
    chapter.mkdir(parents=True)
    lines = []
    for i, s in enumerate(seconds):
        utt = f"84-121123-{i:04d}"
        sf.write(str(chapter / f"{utt}.flac"), rng.normal(0, 0.05, int(s * 16000)), 16000, subtype="PCM_16")
        lines.append(f"{utt} WORD NUMBER {['ONE', 'TWO', 'THREE', 'FOUR', 'FIVE', 'SIX'][i]}")
    (chapter / "84-121123.trans.txt").write_text("\n".join(lines) + "\n")
    return root / "LibriSpeech" / "dev-clean"


def test_both_data_forms_read_the_same_utterances_and_drop_those_over_15_s(tmp_path):
    src = write_librispeech(tmp_path / "raw", [1.0, 15.5, 2.0, 15.0])
    flac = ds.select_entries(src)
    assert [e.transcript for e in flac] == ["word number one", "word number three", "word number four"]
    manifest = ds.convert_librispeech(src, tmp_path / "conv")
    items = json.loads(manifest.read_text())
    assert len(items) == 4 and items[1]["transcript"] == "word number two"
    assert items[0]["files"][0]["fname"] == "dev-clean-wav/84/121123/84-121123-0000.wav"
    wav = ds.select_entries(tmp_path / "conv")
    assert [e.transcript for e in wav] == [e.transcript for e in flac]
    for a, b in zip(flac, wav):
        np.testing.assert_array_equal(ds.read_audio(a.audio_path), ds.read_audio(b.audio_path))
    # The manifest's order is the QSL order.
    (tmp_path / "conv" / ds.MANIFEST_NAME).write_text(json.dumps(items[::-1]))
    assert ds.select_entries(tmp_path / "conv")[0].transcript == "word number four"
    data = ds.LibriSpeech(src, count=2)
    data.load([0, 1])
    batch = data.get_batch([1, 0])
    assert batch["audio"].shape == (2, 32000) and batch["audio_len"].tolist() == [32000, 16000]
    assert not batch["audio"][1, 16000:].any()


def test_a_folder_without_transcripts_or_manifest_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="neither dev-clean-wav.json nor any LibriSpeech"):
        ds.select_entries(tmp_path)
    (tmp_path / ds.MANIFEST_NAME).write_text('[{"files": []}]')
    with pytest.raises(ValueError, match="entry 0 lacks"):
        ds.select_entries(tmp_path)


# --- The embedded default and the runs.


def test_embedded_default_is_flac_in_librispeech_layout_with_the_models_own_transcripts(assets):
    trans = sorted(assets.data_dir.rglob("*.trans.txt"))
    assert trans and len(list(assets.data_dir.rglob("*.flac"))) == N_UTT
    data = ds.LibriSpeech(assets.data_dir)
    assert data.total_count == N_UTT and all(t.split() for t in data.transcripts)
    backend = RNNTTorchBackend()
    backend.load(BackendOptions(model_path=str(assets.torch_model)))
    data.load(list(range(N_UTT)))
    symbols, counts = backend.predict(data.get_batch(list(range(N_UTT))))  # all at once, padded
    for i, row in enumerate(postprocess([symbols, counts])):
        hyp = ds.ids_to_text(np.frombuffer(row, dtype=np.int64))
        assert hyp.split() == data.transcripts[i].split()


def test_backends_are_the_benchmarks_own_and_leave_the_registry_alone():
    assert isinstance(create_backend("onnxruntime", SPEC.backends), RNNTOnnxBackend)
    assert isinstance(create_backend("torch", SPEC.backends), RNNTTorchBackend)
    assert type(create_backend("onnxruntime")).__name__ == "OnnxRuntimeBackend"


def test_onnx_backend_given_a_checkpoint_says_to_export(assets):
    with pytest.raises(ValueError, match="export.py"):
        RNNTOnnxBackend().load(BackendOptions(model_path=str(assets.torch_model)))


# --count ends the run; max_duration (--time) stays long enough that a
# query slowed by a loaded machine is not taken for a stuck SUT (Offline:
# min_duration, 1 ms so that even a fast machine's one query outlasts it).
test_every_scenario_runs_with_both_backends = bench.every_scenario_runs_test(
    SPEC, options, 4, more=lambda scenario: {"time_s": 0.001 if scenario == "Offline" else 5.0}
)


@pytest.mark.parametrize("backend", bench.BACKENDS)
@pytest.mark.parametrize("scenario", ["SingleStream", "Offline"])
def test_both_backends_decode_the_fp32_transcripts(assets, cache, tmp_path, scenario, backend):
    acc = bench.accuracy_run(SPEC, options, assets, cache, tmp_path, scenario, backend)
    assert acc.details["utterances"] == N_UTT
    assert acc.line == "Word Error Rate: 0.0%, accuracy=100.0%" and acc.passed


def test_accuracy_script_works_standalone_and_checks_the_target(assets, cache, tmp_path):
    report = run_benchmark(SPEC, options(assets, cache, tmp_path, "Offline", "onnxruntime", accuracy=True))
    script, dataset = bench.BENCHMARKS / "rnnt" / "accuracy.py", ("--dataset_dir", assets.data_dir)
    out = bench.run_script(script, "--log_dir", tmp_path / "out", *dataset)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "Word Error Rate: 0.0%, accuracy=100.0%"
    assert "PASSED" in lines[1]
    # The same log against other transcripts misses the target: exit status 1.
    log = json.loads(Path(report.logs["accuracy"]).read_text())
    for rec in log:
        rec["data"] = np.array([1, 0, 2], dtype=np.int64).tobytes().hex()  # "a b"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(log))
    out = bench.run_script(script, "--mlperf-accuracy-file", bad, *dataset)
    assert out.returncode == 1 and "FAILED" in out.stdout


def test_run_py_offline_with_real_form_arguments(assets, tmp_path):
    proc = bench.run_script(
        RUN_PY, "--no-progress", scenario="Offline", dataset_path=assets.data_dir, model=assets.onnx_dir,
        count=3, time=0.001, qps=50, output=tmp_path / "cli",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"result\s+VALID", proc.stdout), proc.stdout
    assert (tmp_path / "cli" / "mlperf_log_summary.txt").is_file()


test_run_py_with_dataset_but_no_model_is_a_usage_error = bench.usage_error_without_model_test(
    RUN_PY, "without --model"
)


test_compliance_and_submission_flow = bench.submission_flow_test(SPEC, options)
