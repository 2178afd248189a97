"""Log-mel features of the MLPerf RNN-T, computed in torch on a padded batch.

The steps (shared/spec/benchmarks.md §4.2), for each utterance of ``S``
samples at 16 kHz:

1. pre-emphasis ``y[t] = x[t] - 0.97 x[t-1]``, the first sample kept;
2. STFT: n_fft 512, a symmetric Hann window of 320 samples centred in the
   512-point frame, hop 160, centred frames (the signal reflect-padded by 256
   on both sides), so ``1 + S // 160`` frames;
3. power spectrum plus the deterministic dither ``1e-5 ** 2``, times the
   80-band Slaney mel filterbank, then ``ln(x + 1e-20)``;
4. splicing: each frame followed by the next two (zeros past the last
   frame) -> 240 features, keeping every third frame;
5. per-feature normalisation over the ``ceil(ceil(S / 160) / 3)`` valid
   frames: ``(x - mean) / (unbiased std + 1e-5)``; frames past that are cut
   (the batch keeps the longest) and zeroed.

The reference computes one utterance at a time. Here a batch of utterances
of different lengths is one padded tensor, and each step keeps to each
utterance's own length: the reflect padding mirrors the utterance's own end,
splicing sees zeros past its own last frame, and the statistics use its own
valid frames. So an utterance's features do not depend on what it is batched
with (tests/test_rnnt.py checks this, and checks the whole chain against a
NumPy implementation of the formulas above).

``slaney_mel_filterbank`` is the filterbank the reference takes from
``librosa.filters.mel(sr=16000, n_fft=512, n_mels=80)`` (Slaney's mel scale
and area normalisation); librosa is not needed at run time (the tests compare
the two).
"""

from __future__ import annotations

import math

import numpy as np
import torch

SAMPLE_RATE = 16000
N_FFT = 512
WIN_LENGTH = 320
HOP_LENGTH = 160
N_MELS = 80
PREEMPHASIS = 0.97
DITHER = 1e-5
LOG_GUARD = 1e-20
FRAME_SPLICING = 3
NORM_EPS = 1e-5
N_FEATURES = N_MELS * FRAME_SPLICING  # 240
MIN_SAMPLES = N_FFT // 2 + 1  # the reflect padding needs more samples than the pad


# ---------------------------------------------------------------------------
# The mel filterbank (Slaney).

_F_SP = 200.0 / 3  # Hz per mel below 1 kHz
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOG_STEP = math.log(6.4) / 27.0


def hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    lin = hz / _F_SP
    log = _MIN_LOG_MEL + np.log(np.maximum(hz, _MIN_LOG_HZ) / _MIN_LOG_HZ) / _LOG_STEP
    return np.where(hz >= _MIN_LOG_HZ, log, lin)


def mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    lin = mel * _F_SP
    log = _MIN_LOG_HZ * np.exp(_LOG_STEP * (mel - _MIN_LOG_MEL))
    return np.where(mel >= _MIN_LOG_MEL, log, lin)


def slaney_mel_filterbank(
    sample_rate: int = SAMPLE_RATE,
    n_fft: int = N_FFT,
    n_mels: int = N_MELS,
    fmin: float = 0.0,
    fmax: float | None = None,
) -> np.ndarray:
    """``[n_mels, n_fft // 2 + 1]`` float32: triangles with corners equally spaced
    on the mel scale, each scaled to unit area (2 / bandwidth in Hz)."""
    fmax = sample_rate / 2.0 if fmax is None else fmax
    fft_hz = np.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1)
    corners = mel_to_hz(np.linspace(hz_to_mel(np.array(fmin)), hz_to_mel(np.array(fmax)), n_mels + 2))
    widths = np.diff(corners)
    # distance of each FFT bin from each corner: [n_mels + 2, bins]
    offset = corners[:, None] - fft_hz[None, :]
    rising = -offset[:-2] / widths[:-1, None]
    falling = offset[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (corners[2:] - corners[:-2]))[:, None]
    return weights.astype(np.float32)


# ---------------------------------------------------------------------------
# Lengths.


def stft_frames(num_samples: torch.Tensor) -> torch.Tensor:
    """Centred STFT frames of utterances of these lengths: ``1 + S // 160``."""
    return 1 + torch.div(num_samples, HOP_LENGTH, rounding_mode="floor")


def feature_lengths(num_samples: torch.Tensor) -> torch.Tensor:
    """Valid feature frames: ``ceil(ceil(S / 160) / 3)``."""
    frames = torch.div(num_samples + HOP_LENGTH - 1, HOP_LENGTH, rounding_mode="floor")
    return torch.div(frames + FRAME_SPLICING - 1, FRAME_SPLICING, rounding_mode="floor")


# ---------------------------------------------------------------------------
# The featurizer.


class Featurizer:
    """Padded audio ``[B, S_max]`` float32 and lengths ``[B]`` -> features
    ``[T, B, 240]`` (the encoder's layout) and their valid lengths ``[B]``.

    Stateless apart from two constant tensors, so one instance may be used by
    several threads at once.
    """

    def __init__(self) -> None:
        self.window = torch.hann_window(WIN_LENGTH, periodic=False, dtype=torch.float32)
        self.filterbank = torch.from_numpy(slaney_mel_filterbank())

    def __call__(self, audio: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if audio.dim() != 2:
            raise ValueError(f"audio of shape {tuple(audio.shape)}: expected [batch, samples]")
        lengths = lengths.to(torch.int64)
        if audio.shape[0] != lengths.shape[0]:
            raise ValueError(f"{audio.shape[0]} utterances but {lengths.shape[0]} lengths")
        if audio.shape[0] == 0:
            raise ValueError("an empty batch")
        if int(lengths.min()) < MIN_SAMPLES or int(lengths.max()) > audio.shape[1]:
            raise ValueError(
                f"utterance lengths {lengths.tolist()} must lie in [{MIN_SAMPLES}, {audio.shape[1]}] samples"
            )
        x = audio.to(torch.float32)
        batch, s_max = x.shape
        x = torch.cat((x[:, :1], x[:, 1:] - PREEMPHASIS * x[:, :-1]), dim=1)

        # Centre padding, reflecting each utterance at its own ends.
        pad = N_FFT // 2
        pos = torch.arange(-pad, s_max + pad, dtype=torch.int64).unsqueeze(0)  # [1, P]
        last = (lengths - 1).unsqueeze(1)  # [B, 1]
        src = pos.abs()
        src = torch.where(src > last, 2 * last - src, src)
        inside = (pos < lengths.unsqueeze(1) + pad) & (src >= 0)
        padded = torch.gather(x, 1, src.clamp(0, s_max - 1)) * inside

        spec = torch.stft(
            padded,
            n_fft=N_FFT,
            hop_length=HOP_LENGTH,
            win_length=WIN_LENGTH,
            window=self.window,
            center=False,
            return_complex=True,
        )  # [B, 257, F]
        power = spec.real.square() + spec.imag.square() + DITHER**2
        mel = torch.log(torch.matmul(self.filterbank, power) + LOG_GUARD)  # [B, 80, F]
        n_frames = mel.shape[2]
        frame_idx = torch.arange(n_frames).unsqueeze(0)
        mel = mel * (frame_idx < stft_frames(lengths).unsqueeze(1)).unsqueeze(1)

        zeros = mel.new_zeros(batch, N_MELS, FRAME_SPLICING - 1)
        ext = torch.cat((mel, zeros), dim=2)
        spliced = torch.cat([ext[:, :, k : k + n_frames] for k in range(FRAME_SPLICING)], dim=1)
        spliced = spliced[:, :, ::FRAME_SPLICING]  # [B, 240, ceil(F / 3)]

        valid = feature_lengths(lengths)
        t_max = int(valid.max())
        spliced = spliced[:, :, :t_max]
        mask = (torch.arange(t_max).unsqueeze(0) < valid.unsqueeze(1)).unsqueeze(1).to(spliced.dtype)
        count = valid.to(spliced.dtype).view(batch, 1, 1)
        mean = (spliced * mask).sum(dim=2, keepdim=True) / count
        centred = (spliced - mean) * mask
        var = centred.square().sum(dim=2, keepdim=True) / (count - 1).clamp_min(1.0)
        normed = centred / (var.sqrt() + NORM_EPS)
        return normed.permute(2, 0, 1).contiguous(), valid
