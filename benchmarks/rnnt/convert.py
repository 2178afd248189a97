"""Convert LibriSpeech (flac + trans.txt) to the reference's wav layout and manifest.

    python benchmarks/rnnt/convert.py /data/LibriSpeech/dev-clean /data/rnnt-dev-clean
    python benchmarks/rnnt/run.py --dataset-path /data/rnnt-dev-clean ...

Writes ``OUT/dev-clean-wav/<speaker>/<chapter>/<utt-id>.wav`` (16-bit PCM,
16 kHz) and ``OUT/dev-clean-wav.json`` as the reference's converter does
(the reference runs sox; this uses soundfile). The benchmark reads either
form; this is for sharing the exact files and manifest the reference uses.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from loadgen.harness.script import benchmark_folder

benchmark_folder(__file__)

from rnnt.dataset import convert_librispeech


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="LibriSpeech flac -> the reference's wav layout + manifest")
    p.add_argument(
        "input", help="LibriSpeech folder (dev-clean, with <speaker>/<chapter>/*.flac and *.trans.txt)"
    )
    p.add_argument("output", help="folder for dev-clean-wav/ and dev-clean-wav.json")
    args = p.parse_args(argv)
    try:
        manifest = convert_librispeech(args.input, args.output, log=lambda s: print(s, file=sys.stderr))
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {manifest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
