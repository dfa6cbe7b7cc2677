"""Near-duplicate bookkeeping: perceptual-hash bands, the symmetric duplicate pairs and each image's
count, kept in step as images are added and deleted.

Band matches narrow the candidates (an index lookup) and the Hamming distance decides, so adding an
image never compares its hash with every other image's.
"""

from __future__ import annotations

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from gateway.app.images.models import Image, ImageDuplicate, ImageHashBand
from gateway.app.imaging.phash import hamming_distance, hash_bands


def signed64(value: int) -> int:
    """A 64-bit hash as the signed BIGINT the column stores."""
    return value - (1 << 64) if value >= (1 << 63) else value


def _unsigned64(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def _find(session: Session, image: Image, phash: int, max_distance: int) -> list[tuple[str, int]]:
    """Near-duplicates by perceptual hash: band matches narrow the candidates, Hamming decides."""
    matches = or_(
        *(
            and_(ImageHashBand.band == band, ImageHashBand.value == value)
            for band, value in enumerate(hash_bands(phash))
        )
    )
    candidates = session.execute(
        select(Image.id, Image.phash)
        .join(ImageHashBand, ImageHashBand.image_id == Image.id)
        .where(matches, Image.id != image.id)
        .distinct()
    )
    distances = [(other, hamming_distance(phash, _unsigned64(h))) for other, h in candidates]
    found = [(other, distance) for other, distance in distances if distance <= max_distance]
    return sorted(found, key=lambda pair: (pair[1], pair[0]))


def record(session: Session, image: Image, phash: int, max_distance: int) -> None:
    """Pair a new (flushed) image with its near-duplicates both ways and store its hash bands."""
    found = _find(session, image, phash, max_distance)
    for other_id, distance in found:
        session.add(ImageDuplicate(image_id=image.id, duplicate_id=other_id, distance=distance))
        session.add(ImageDuplicate(image_id=other_id, duplicate_id=image.id, distance=distance))
    if found:
        image.duplicate_count = len(found)
        session.execute(
            update(Image)
            .where(Image.id.in_([other for other, _ in found]))
            .values(duplicate_count=Image.duplicate_count + 1)
        )
    for band, value in enumerate(hash_bands(phash)):
        session.add(ImageHashBand(image_id=image.id, band=band, value=value))


def forget(session: Session, image_id: str) -> None:
    """Drop an image being deleted from its duplicates' counts, its pairs and its hash bands."""
    others = select(ImageDuplicate.duplicate_id).where(ImageDuplicate.image_id == image_id)
    session.execute(
        update(Image)
        .where(Image.id.in_(others))
        .values(duplicate_count=Image.duplicate_count - 1)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(ImageDuplicate).where(
            or_(ImageDuplicate.image_id == image_id, ImageDuplicate.duplicate_id == image_id)
        )
    )
    session.execute(delete(ImageHashBand).where(ImageHashBand.image_id == image_id))
