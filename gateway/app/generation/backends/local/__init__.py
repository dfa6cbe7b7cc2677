"""The built-in `local` backend: deterministic poster-style artwork, no GPU, no network.

A fresh install must make real, printable designs before any GPU backend is configured, and
tests and demos need output that is byte-identical on every machine. So this backend composes
typographic and geometric designs with Pillow alone, lettering them in Pillow's bundled font.
The prompt's words steer the subject, style and colours; the seed picks the layout, palette,
composition, secondary motifs and lettering, so the images of one batch differ visibly.

    words, palettes, seeds    reading the prompt, curated palettes, stable seeds
    design                    planning every choice of one image
    scenes, patterns, extras  motifs: scenes, fields, and small secondary motifs
    icons, lettering, shapes  hero objects, type setting, shared geometry
    frames, emblems, posters  layouts, and what they share
    render, edits, backend    rendering, edit mode, and the backend itself
"""

from gateway.app.generation.backends.local.backend import LocalBackend

__all__ = ["LocalBackend"]
