"""Image handling that knows nothing of Flask or the database.

Validation and limits, metadata stripping, thumbnails, the print-quality report, perceptual
hashes and the storage that holds originals and thumbnails. `process_image` runs them all.
"""

from gateway.app.imaging.phash import (
    hamming_distance,
    hash_bands,
    perceptual_hash,
    signed64,
    unsigned64,
)
from gateway.app.imaging.pipeline import ProcessedImage, process_image
from gateway.app.imaging.quality import QualityReport, assess_quality
from gateway.app.imaging.storage import (
    FileStorage,
    S3Storage,
    Storage,
    StorageKeyNotFound,
    StorageUnavailable,
    original_key,
    storage_from_url,
    thumbnail_key,
)
from gateway.app.imaging.validation import (
    FileTooLarge,
    ImageLimits,
    ImageRejected,
    InvalidImage,
    UnsupportedImageType,
    detect_format,
)

__all__ = [
    "FileStorage",
    "FileTooLarge",
    "ImageLimits",
    "ImageRejected",
    "InvalidImage",
    "ProcessedImage",
    "QualityReport",
    "S3Storage",
    "Storage",
    "StorageKeyNotFound",
    "StorageUnavailable",
    "UnsupportedImageType",
    "assess_quality",
    "detect_format",
    "hamming_distance",
    "hash_bands",
    "original_key",
    "perceptual_hash",
    "process_image",
    "signed64",
    "storage_from_url",
    "thumbnail_key",
    "unsigned64",
]
