"""The built-in local backend: deterministic, print-worthy designs and keyword-driven edits."""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from gateway.app.generation.backends.base import (
    GenerationCancelled,
    GenerationFailed,
    GenerationRequest,
    GenerationTimeout,
)
from gateway.app.generation.backends.local import LocalBackend
from gateway.app.generation.backends.local.design import LAYOUTS_FOR_KIND, Design, plan_design
from gateway.app.generation.backends.local.palettes import FAMILIES
from gateway.app.generation.backends.local.render import LAYOUTS, render_design
from gateway.app.generation.backends.local.seeds import RENDERER_VERSION
from gateway.app.imaging.phash import hamming_distance, perceptual_hash
from gateway.app.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[3]
DUPLICATE_MAX_DISTANCE = Settings.model_fields["duplicate_max_distance"].default


class FakeControl:
    """A JobControl that records progress and stops or expires when told to."""

    def __init__(self, *, deadline_in: float = 60.0, stop_at: float | None = None) -> None:
        self.deadline = time.monotonic() + deadline_in
        self.external_id: str | None = None
        self.progress: list[float] = []
        self.stop_at = stop_at

    def remember_external_id(self, external_id: str) -> None:
        self.external_id = external_id

    def report_progress(self, fraction: float) -> None:
        self.progress.append(fraction)

    def should_stop(self) -> bool:
        reached = max(self.progress, default=0.0)
        return self.stop_at is not None and reached >= self.stop_at


def make_request(prompt: str = "retro sunset surf club", **changes: object) -> GenerationRequest:
    request = GenerationRequest(job_id="job-1", prompt=prompt, width=256, height=256, seed=42)
    return replace(request, **changes)


def generate(request: GenerationRequest) -> list[bytes]:
    return [image.data for image in LocalBackend().generate(request, FakeControl()).images]


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def encode(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def source() -> Image.Image:
    """A small RGB picture with distinct halves and one marked pixel."""
    image = Image.new("RGB", (64, 48), (200, 40, 30))
    image.paste((20, 60, 180), (32, 0, 64, 48))
    image.putpixel((3, 5), (10, 220, 90))
    return image


def edit(source: Image.Image, instruction: str, **changes: object) -> list[Image.Image]:
    request = make_request(instruction=instruction, source_image=encode(source), **changes)
    return [decode(data) for data in generate(request)]


# --- Determinism ---


def test_same_request_gives_byte_identical_png():
    assert generate(make_request()) == generate(make_request())


def test_output_is_identical_in_fresh_processes_with_different_hash_salts():
    script = (
        "import hashlib, time\n"
        "from gateway.app.generation.backends.base import GenerationRequest\n"
        "from gateway.app.generation.backends.local import LocalBackend\n"
        "class Control:\n"
        "    deadline = time.monotonic() + 60\n"
        "    def report_progress(self, fraction): pass\n"
        "    def should_stop(self): return False\n"
        "request = GenerationRequest(job_id='j', prompt='neon tiger', width=200, height=160,"
        " seed=7)\n"
        "data = LocalBackend().generate(request, Control()).images[0].data\n"
        "print(hashlib.sha256(data).hexdigest())\n"
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONHASHSEED": salt, "PYTHONPATH": str(REPO_ROOT)},
            stdout=subprocess.PIPE,
            text=True,
        )
        for salt in ("1", "2")
    ]
    digests = {worker.communicate(timeout=120)[0].strip() for worker in workers}
    assert all(worker.returncode == 0 for worker in workers)
    here = generate(make_request("neon tiger", width=200, height=160, seed=7))[0]
    assert digests == {hashlib.sha256(here).hexdigest()}


def test_different_seeds_give_different_images():
    assert generate(make_request(seed=1)) != generate(make_request(seed=2))


def test_different_prompts_give_different_images():
    assert generate(make_request("neon tiger")) != generate(make_request("coffee lover"))


def test_style_parameters_change_the_design_deterministically():
    changed = make_request(steps=12, sampler="dpmpp_2m")
    assert generate(changed) == generate(changed)
    assert generate(changed) != generate(make_request())


def test_batch_images_use_consecutive_seeds_and_match_single_runs():
    output = LocalBackend().generate(make_request(batch_size=4), FakeControl())
    assert [image.seed for image in output.images] == [42, 43, 44, 45]
    assert output.images[2].data == generate(make_request(seed=44))[0]
    assert len({image.data for image in output.images}) == 4


# --- Output format and quality ---


@pytest.mark.parametrize("size", [(64, 64), (512, 768), (1000, 300), (8192, 64), (64, 8192)])
def test_output_has_the_requested_size(size):
    width, height = size
    image = decode(generate(make_request(width=width, height=height))[0])
    assert image.size == size


def test_output_is_a_valid_png():
    data = generate(make_request())[0]
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(data)) as image:
        image.verify()
        assert image.format == "PNG"


@pytest.mark.parametrize(
    "prompt",
    ["retro sunset surf club", "neon tiger", "minimal mountain line art", "coffee typography"],
)
def test_designs_are_flat_artwork_not_noise(prompt):
    size = 384
    data = generate(make_request(prompt, width=size, height=size))[0]
    pixels = decode(data).convert("RGB")
    noise = Image.frombytes("RGB", (size, size), os.urandom(size * size * 3))

    def coarse_colours(image: Image.Image) -> int:  # 16 levels a channel
        return len(image.point(lambda v: v & 0xF0).getcolors(size * size))

    assert len(encode(noise)) > 0.95 * size * size * 3  # noise does not compress at all
    assert len(data) < 0.2 * size * size * 3
    assert coarse_colours(noise) == 4096
    assert coarse_colours(pixels) < 0.15 * 4096
    largest_region = max(count for count, _ in pixels.getcolors(size * size))
    assert largest_region > 0.3 * size * size


def designs(prompt: str, seeds: range = range(40, 48), **changes: object) -> list[Design]:
    return [plan_design(make_request(prompt, **changes), seed)[0] for seed in seeds]


def family(name: str) -> set[str]:
    return {palette.name for palette in FAMILIES[name]}


def test_prompt_keywords_steer_every_seed():
    for sunset in designs("retro sunset surf club"):
        assert sunset.motif == "sun"
        assert (" ".join(sunset.headline).upper(), sunset.tagline) == ("SURF CLUB", "SUNSET")
        assert sunset.palette.name in family("retro") | family("sunset") | family("ocean")
    for tiger in designs("neon tiger"):
        assert (tiger.style, tiger.motif, tiger.icon) == ("neon", "stripes", "tiger")
        assert tiger.palette.name in family("neon")
        assert " ".join(tiger.headline).upper() == "TIGER"
    for mountain in designs("minimal mountain line art"):
        assert (mountain.style, mountain.motif) == ("line", "mountains")
        assert " ".join(mountain.headline).upper() == "MOUNTAIN"
    for coffee in designs("coffee lover typography"):
        assert coffee.layout in LAYOUTS_FOR_KIND["type"]
        assert coffee.icon == "mug"
        assert coffee.palette.name in family("coffee")
        assert " ".join(coffee.headline).upper() == "COFFEE LOVER"
    for cat in designs("cute cat with sunglasses"):
        assert (cat.icon, cat.shades) == ("cat", True)
        assert cat.palette.name in family("pastel")


def test_consecutive_seeds_take_different_layouts_and_palettes():
    for prompt in ["retro sunset surf club", "coffee lover typography", "dog", "neon tiger"]:
        for start in (0, 41, 1000):
            batch = designs(prompt, range(start, start + 4))
            assert len({design.layout for design in batch}) == 4
            assert len({design.palette.name for design in batch}) >= 2


def test_seed_varies_lettering_composition_and_secondary_motifs():
    batch = designs("retro sunset surf club", range(0, 24))
    assert len({design.lettering.face for design in batch}) == 4
    assert {design.lettering.case for design in batch} == {"upper", "title"}
    assert len({design.extra for design in batch}) >= 3
    assert {design.palette.dark for design in batch} == {True, False}
    patterns = designs("geometric pattern", range(0, 24))
    assert len({design.angle for design in patterns}) >= 3
    assert len({round(design.zoom, 1) for design in patterns}) >= 3


@pytest.mark.parametrize(
    ("prompt", "start"),
    [
        ("retro sunset surf club", 42),
        ("neon tiger", 42),
        ("minimal mountain line art", 42),
        ("coffee lover typography", 42),
        ("cute cat with sunglasses", 42),
        ("ocean waves", 7),
        ("geometric pattern", 1000),
    ],
)
def test_batch_siblings_are_not_near_duplicates(prompt, start):
    request = make_request(prompt, width=512, height=512, seed=start, batch_size=4)
    images = LocalBackend().generate(request, FakeControl()).images
    hashes = [perceptual_hash(decode(image.data)) for image in images]
    distances = [hamming_distance(a, b) for a, b in itertools.combinations(hashes, 2)]
    assert min(distances) > DUPLICATE_MAX_DISTANCE, distances


def test_every_layout_renders_in_every_style_at_odd_sizes():
    prompts = ["retro sunset surf club", "neon tiger", "minimal mountain line art", "dog", ""]
    prompts += ["coffee lover typography", "neon geometric pattern", "minimal cat line art"]
    seen = set()
    for prompt in prompts:
        for seed in range(8):
            for width, height in ((96, 64), (40, 160)):
                request = make_request(prompt, width=width, height=height, seed=seed)
                assert render_design(request, seed).size == (width, height)
                seen.add(plan_design(request, seed)[0].layout)
    assert seen == set(LAYOUTS)


def test_negative_prompt_can_drop_the_lettering():
    design, _ = plan_design(make_request("surf club", negative_prompt="text"), 1)
    assert design.headline == ()


def test_negative_background_gives_a_transparent_background():
    for seed in range(40, 45):
        image = decode(generate(make_request(negative_prompt="background", seed=seed))[0])
        assert image.mode == "RGBA"
        assert image.getpixel((0, 0))[3] == 0


def test_transparent_designs_use_palettes_that_show_on_white():
    for design in designs("retro sunset surf club transparent"):
        assert design.transparent
        assert not design.palette.dark


# --- Edit mode ---


def test_edit_invert_inverts_pixels(source):
    (out,) = edit(source, "invert the colours")
    assert out.getpixel((3, 5)) == (245, 35, 165)
    assert out.getpixel((40, 20)) == (235, 195, 75)


def test_edit_grayscale_makes_every_pixel_neutral(source):
    (out,) = edit(source, "make it black and white")
    red, green, blue = out.convert("RGB").split()
    assert red.tobytes() == green.tobytes() == blue.tobytes()


def test_edit_mirror_flips_left_to_right(source):
    (out,) = edit(source, "mirror it")
    assert out.tobytes() == ImageOps.mirror(source).tobytes()


def test_edit_flip_vertically_is_not_also_a_mirror(source):
    (out,) = edit(source, "flip vertically")
    assert out.tobytes() == ImageOps.flip(source).tobytes()


def test_edit_rotate_turns_clockwise_by_default(source):
    (out,) = edit(source, "rotate")
    assert out.size == (48, 64)
    assert out.tobytes() == source.transpose(Image.Transpose.ROTATE_270).tobytes()


def test_edit_applies_several_operations_in_order(source):
    (out,) = edit(source, "mirror, then invert")
    assert out.tobytes() == ImageOps.invert(ImageOps.mirror(source)).tobytes()


def test_edit_border_uses_the_named_colour(source):
    (out,) = edit(source, "add a red border")
    assert out.getpixel((0, 0)) == (0xD7, 0x26, 0x3D)
    assert out.getpixel((32, 24)) == source.getpixel((32, 24))


def test_edit_caption_draws_in_a_band_along_the_bottom(source):
    (out,) = edit(source, "add text 'invert me'")
    assert out.crop((0, 0, 64, 30)).tobytes() == source.crop((0, 0, 64, 30)).tobytes()
    assert out.crop((0, 42, 64, 48)).tobytes() != source.crop((0, 42, 64, 48)).tobytes()


def test_edit_keeps_transparency(source):
    clear = source.convert("RGBA")
    clear.putpixel((0, 0), (1, 2, 3, 0))
    request = make_request(instruction="invert", source_image=encode(clear))
    out = decode(generate(request)[0])
    assert out.mode == "RGBA"
    assert out.getpixel((0, 0))[3] == 0
    assert out.getpixel((3, 5)) == (245, 35, 165, 255)


def test_edit_with_unrecognised_instruction_still_changes_the_image(source):
    (out,) = edit(source, "make it whimsical")
    assert out.size == source.size
    assert out.tobytes() != source.tobytes()


def test_edit_output_keeps_the_source_size_and_batch_seeds(source):
    request = make_request(
        instruction="whimsical", source_image=encode(source), width=512, batch_size=3
    )
    output = LocalBackend().generate(request, FakeControl())
    assert [image.seed for image in output.images] == [42, 43, 44]
    assert {decode(image.data).size for image in output.images} == {(64, 48)}
    assert output.images[1].data == generate(replace(request, seed=43, batch_size=1))[0]


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP"])
def test_edit_accepts_jpeg_and_webp_sources(source, fmt):
    request = make_request(instruction="sepia", source_image=encode(source, fmt))
    assert decode(generate(request)[0]).size == (64, 48)


@pytest.mark.parametrize("data", [b"not an image", encode(Image.new("RGB", (8, 8)), "GIF")])
def test_edit_with_unusable_source_fails_clearly(data):
    request = make_request(instruction="invert", source_image=data)
    with pytest.raises(GenerationFailed, match="source image"):
        LocalBackend().generate(request, FakeControl())


# --- Job control and backend surface ---


def test_progress_rises_to_one():
    control = FakeControl()
    LocalBackend().generate(make_request(batch_size=3), control)
    assert control.progress == sorted(control.progress)
    assert control.progress[-1] == 1.0


def test_cancelled_job_stops_between_images():
    control = FakeControl(stop_at=1 / 3)
    with pytest.raises(GenerationCancelled):
        LocalBackend().generate(make_request(batch_size=3), control)
    assert max(control.progress) < 2 / 3


def test_job_past_its_deadline_times_out():
    with pytest.raises(GenerationTimeout):
        LocalBackend().generate(make_request(), FakeControl(deadline_in=-1.0))


def test_health_is_ok_and_names_the_renderer_version():
    health = LocalBackend().health()
    assert health.status == "ok"
    assert health.version is not None and health.version.startswith(RENDERER_VERSION)


def test_cancel_is_a_harmless_no_op():
    backend = LocalBackend()
    assert backend.name == "local"
    assert backend.cancel("anything") is None
